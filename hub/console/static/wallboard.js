/* Dasan Hub wallboard: the floor's figures on a wall screen, pushed over /api/v1/wallboard/ws.
 *
 * It rides the console's session cookie (log in at /console/ on the same browser). Server data
 * reaches the DOM only as text. The oldest waits count up between frames on the page's clock;
 * every frame replaces them with the hub's figure.
 */
"use strict";

const AGENT_STATES = ["available", "busy", "break", "offline"];
const QUEUE_ORDER = ["transport", "water", "city", "district", "other", "foreign_language", "sign_language"];
const STATUS_TEXT = {
  connecting: "연결 중",
  connected: "실시간",
  reconnecting: "연결 끊김 · 재연결 중",
};

const board = {
  socket: null,
  attempt: 0,        // reconnects since the last frame: the backoff grows with it
  retryTimer: null,
  frameAt: 0,        // the page's clock when the last frame arrived: waits count up from it
  queues: [],        // the last frame's queues
};

const $ = (id) => document.getElementById(id);

function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "className") node.className = value;
    else node.setAttribute(key, String(value));
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

const percent = (value) => (typeof value === "number" ? `${(value * 100).toFixed(1)}%` : "-");

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return hours ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

// ---------------------------------------------------------------- who is watching

function notice(text, loginLink) {
  $("wb-board").hidden = true;
  $("wb-notice").hidden = false;
  $("wb-notice-text").textContent = text;
  $("wb-login").hidden = !loginLink;
}

/* Why the hub would refuse the socket, in words; null when it should accept it. */
async function refusal() {
  let response;
  try {
    response = await fetch("/api/v1/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch {
    return null; // the hub is unreachable: keep retrying
  }
  if (response.status === 401) return { text: "로그인이 필요합니다. 상담 콘솔에서 로그인한 뒤 이 화면을 다시 여세요.", login: true };
  if (!response.ok) return null;
  const me = await response.json();
  if (!["supervisor", "admin"].includes(me.role)) {
    return { text: `현황판은 관리자(supervisor)와 운영자(admin)만 볼 수 있습니다. 현재 계정: ${me.username}`, login: false };
  }
  return null;
}

// ---------------------------------------------------------------- the socket

function setStatus(status) {
  const node = $("wb-status");
  node.dataset.state = status;
  node.textContent = STATUS_TEXT[status];
  document.body.dataset.stale = String(status !== "connected");
}

function connect() {
  clearTimeout(board.retryTimer);
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/api/v1/wallboard/ws`);
  board.socket = socket;
  setStatus(board.attempt ? "reconnecting" : "connecting");
  socket.onmessage = (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (frame.type === "wallboard") {
      board.attempt = 0; // a frame means the connection is healthy
      setStatus("connected");
      render(frame);
    }
  };
  socket.onclose = () => {
    if (board.socket !== socket) return;
    board.socket = null;
    setStatus("reconnecting");
    retry();
  };
}

/* A refused socket looks like any dropped one, so ask the hub who we are before trying again;
 * otherwise back off (1 s doubling up to 30 s, with jitter so a hub restart is not stormed). */
async function retry() {
  const refused = await refusal();
  if (refused) {
    notice(refused.text, refused.login);
    return;
  }
  const delay = Math.min(30000, 1000 * 2 ** board.attempt) * (0.8 + Math.random() * 0.4);
  board.attempt += 1;
  board.retryTimer = setTimeout(connect, delay);
}

// ---------------------------------------------------------------- drawing a frame

function render(frame) {
  $("wb-notice").hidden = true;
  $("wb-board").hidden = false;
  const at = new Date(frame.at);
  const two = (n) => String(n).padStart(2, "0");
  $("wb-updated").textContent = Number.isNaN(at.getTime())
    ? "-" : `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
  $("wb-updated").setAttribute("datetime", frame.at);

  const today = frame.today || {};
  const rate = today.answer_rate;
  const target = today.answer_rate_target;
  const settled = typeof rate === "number" && typeof target === "number";
  $("wb-answer-rate").textContent = percent(rate);
  $("wb-answer-target").textContent = typeof target === "number" ? `목표 ${percent(target)}` : "";
  const verdict = !settled ? "none" : rate < target ? "below" : "met";
  $("wb-answer-tile").dataset.verdict = verdict;
  $("wb-answer-verdict").textContent = { none: "연결 기록 없음 ·", below: "▼ 목표 미달 ·", met: "▲ 목표 달성 ·" }[verdict];
  $("wb-service-level").textContent = percent(today.service_level);
  $("wb-waiting").textContent = String(today.waiting ?? "-");
  $("wb-waiting-tile").dataset.verdict = today.waiting > 0 ? "waiting" : "none";
  $("wb-contacts").textContent = String(today.contacts ?? "-");

  const byState = frame.agents_by_state || {};
  for (const state of AGENT_STATES) {
    document.querySelector(`[data-testid=wallboard-agents-${state}]`).textContent = String(byState[state] ?? 0);
  }

  const rank = (name) => (QUEUE_ORDER.includes(name) ? QUEUE_ORDER.indexOf(name) : QUEUE_ORDER.length);
  board.queues = [...(frame.queues || [])].sort((a, b) => rank(a.name) - rank(b.name));
  board.frameAt = Date.now();
  $("wb-queue-list").replaceChildren(...board.queues.map(queueRow));
  tick();
}

function queueRow(queue) {
  return h("li", {
    className: "wb-queue", "data-testid": "wallboard-queue", "data-queue": queue.name, "data-waiting": queue.waiting,
  },
  h("span", { className: "wb-queue-name" }, queue.label || queue.name),
  h("strong", { className: "wb-queue-waiting", "data-testid": "wallboard-queue-waiting" }, String(queue.waiting)),
  h("span", { className: "wb-queue-oldest", "data-testid": "wallboard-queue-oldest" }, "-"),
  h("span", { className: "wb-queue-verdict", "data-testid": "wallboard-queue-verdict" }, ""));
}

/* The oldest waits and their verdicts, counted on from the last frame. */
function tick() {
  const elapsed = (Date.now() - board.frameAt) / 1000;
  const rows = document.querySelectorAll("#wb-queue-list > li");
  board.queues.forEach((queue, index) => {
    const row = rows[index];
    if (!row) return;
    const oldest = queue.waiting > 0 ? queue.oldest_wait_seconds + elapsed : 0;
    const over = queue.waiting > 0 && oldest > queue.sla_seconds;
    row.querySelector(".wb-queue-oldest").textContent = queue.waiting > 0 ? clock(oldest) : "-";
    row.dataset.verdict = queue.waiting === 0 ? "idle" : over ? "over" : "within";
    row.querySelector(".wb-queue-verdict").textContent =
      queue.waiting === 0 ? "대기 없음" : over ? `▼ ${queue.sla_seconds}초 초과` : `${queue.sla_seconds}초 이내`;
  });
}

async function boot() {
  const refused = await refusal();
  if (refused) {
    notice(refused.text, refused.login);
    return;
  }
  connect();
  setInterval(tick, 1000);
}

boot();
