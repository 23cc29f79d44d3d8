/* Dasan Hub agent console.
 *
 * One page, no framework: index.html holds the static skeleton, this file fills it.
 * Contract: docs/api.md (REST under /api/v1, live updates over /api/v1/console/ws).
 * Security: every piece of server data is untrusted and only ever reaches the DOM through
 * textContent / text nodes (see h()); there is no innerHTML anywhere in this file.
 */
"use strict";

// ---------------------------------------------------------------- vocabulary (Korean labels)

const LABELS = {
  queue: {
    transport: "교통", water: "상수도", city: "시정", district: "자치구", other: "기타",
    foreign_language: "외국어", sign_language: "수어",
  },
  category: { transport: "교통", water: "상수도", city: "시정", district: "자치구", other: "기타" },
  language: { ko: "한국어", en: "영어", zh: "중국어", ja: "일본어", vi: "베트남어", mn: "몽골어" },
  channel: {},  // the running channels' labels, from GET /api/v1/channels (loadChannels)
  disposition: {
    resolved: "1차 상담완료", directory: "전화번호 안내", connected: "담당자 연결",
    transferred: "부서이관", callback: "재통화",
  },
  state: { bot: "챗봇", queued: "대기", offered: "배정 대기", assigned: "상담중", resolved: "종료" },
  agentState: { available: "상담가능", busy: "상담중", break: "휴식", offline: "오프라인" },
  author: { citizen: "시민", bot: "챗봇", agent: "상담사", system: "시스템" },
  status: {
    received: "수신", queued: "전송 대기", sent: "전송됨", delivered: "전달됨",
    held: "보류 – 시민의 다음 메시지 때 전달", undelivered: "미전달", failed: "실패",
  },
  attachment: { image: "사진", audio: "음성", video: "동영상", file: "파일", location: "위치" },
  event: {
    created: "접수", message: "메시지", language_set: "언어 지정", category_set: "분류 지정",
    bot_answered: "챗봇 응답", bot_failed: "챗봇 응답 실패", handed_off: "상담사 연결 요청",
    queued: "대기열 등록", offered: "상담사 배정 제안", offer_expired: "배정 제안 만료", declined: "배정 거절",
    accepted: "수락", first_response: "첫 응답", transferred: "이관", priority_set: "우선순위 변경",
    resolved: "종료", reopened: "재개", abandoned: "포기", flagged: "악성민원 지정",
    citizen_left: "시민이 대화 종료", contact_linked: "연락처 연결", report_filed: "신고 접수",
    abuse_detected: "악성 표현 감지", warned: "경고 발송", ended_under_protocol: "보호 조치로 종료",
    contact_blocked: "연락 차단", block_lifted: "차단 해제",
  },
  reportType: { parking: "불법주정차", noise: "소음", dumping: "무단투기", water_leak: "누수" },
  // Action taken on an abuse incident (악성민원). The value is stored as-is by the hub.
  flagAction: { warned: "경고 안내", ended: "상담 종료", blocked: "연락 차단", reported: "법적 조치 검토" },
};

const label = (group, code) => (code == null ? "-" : LABELS[group][code] || String(code));

/* Queues in the order the floor thinks of them (LABELS.queue), unknown ones last by name. */
const QUEUE_ORDER = Object.keys(LABELS.queue);
function sortQueues(queues) {
  const rank = (name) => {
    const index = QUEUE_ORDER.indexOf(name);
    return index < 0 ? QUEUE_ORDER.length : index;
  };
  return [...queues].sort((a, b) => rank(a.name) - rank(b.name) || String(a.name).localeCompare(String(b.name)));
}

// ---------------------------------------------------------------- state

const state = {
  agent: null,          // the logged-in Agent
  ws: null,
  wsAttempt: 0,
  wsTimer: null,
  openId: null,         // id of the conversation in the view
  openSeq: 0,           // guards against a slow load overwriting a newer one
  conv: null,           // latest Conversation of the open view
  messages: new Map(),  // message id -> Message (open conversation)
  messageEls: new Map(),// message id -> <li>
  drafts: new Map(),    // conversation id -> unsent reply text
  unread: new Set(),    // conversation ids with citizen messages not yet seen
  kbResults: [],
  kbArticle: null,
  sending: false,
  openListed: false,    // the open conversation was in the last snapshot's lists
  contacts: new Map(),  // contact id -> {id, name, channel}: contacts seen this session, oldest first
  video: null,          // the interpreter's call panel and the supervisors' recordings (video.js)
  knowledge: null,      // the editors' knowledge-base workspace (knowledge.js)
  reports: null,        // the supervisors' reports workspace (reports.js)
  protection: null,     // abuse veils, personal data, warnings, alerts, the 악성민원 panel (protection.js)
  privacy: null,        // the supervisors' 개인정보 열람·삭제 panel (privacy.js)
};

/* SMS segment counter of the reply box (POST /api/v1/sms/segments). */
const sms = {
  timer: null,
  seq: 0,
  unavailable: false,   // the hub has no counter (404): stay quiet until the next conversation
  tooLong: false,       // over the SMS limit: sending is blocked
};

const REPLY_PLACEHOLDER = "답변 입력 (Enter 전송, Shift+Enter 줄바꿈)";
const SMS_SEGMENTS_PATH = "/api/v1/sms/segments";
const SMS_DEBOUNCE_MS = 200;

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;

// ---------------------------------------------------------------- DOM helper

/* h("li", {className, text, "data-testid": …, onclick}, ...children)
 * Strings become text nodes, so data can never turn into markup. */
function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === "className") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/* Codes from the server become class names only when they look like codes. */
const codeClass = (code) => (/^[a-z0-9_]{1,32}$/.test(String(code ?? "")) ? String(code) : "other");

/* The channel as a coloured badge with its Korean name: lists, header, identities, history. */
function channelBadge(channel) {
  return h("span", {
    className: `tag channel channel-${codeClass(channel)}`,
    "data-testid": "channel-badge", "data-channel": channel ?? "",
    title: `채널: ${label("channel", channel)}`,
  }, label("channel", channel));
}

function fillSelect(select, options, current) {
  select.replaceChildren(...Object.entries(options).map(([value, text]) => h("option", { value }, text)));
  if (current != null) setSelectValue(select, current);
}

/* Select a value, adding an option for codes we do not know rather than showing a wrong one. */
function setSelectValue(select, value) {
  if (value == null) { select.value = ""; return; }
  if (![...select.options].some((o) => o.value === value)) select.append(h("option", { value }, value));
  select.value = value;
}

// ---------------------------------------------------------------- time

function toMs(iso) {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

function fmtClock(iso) {
  const t = toMs(iso);
  return t == null ? "" : new Date(t).toLocaleTimeString("ko-KR", { hour: "2-digit", minute: "2-digit" });
}

function fmtDateTime(iso) {
  const t = toMs(iso);
  return t == null ? "" : new Date(t).toLocaleString("ko-KR", { dateStyle: "short", timeStyle: "short" });
}

function fmtDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  if (s < 60) return `${s}초`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}분 ${s % 60}초`;
  return `${Math.floor(m / 60)}시간 ${m % 60}분`;
}

/* A span that counts up from `sinceMs` (or down to `untilMs`); tickDurations() keeps it fresh. */
function liveDuration({ sinceMs = null, untilMs = null, className = "duration" } = {}) {
  const span = h("span", { className });
  if (sinceMs != null) span.dataset.since = String(sinceMs);
  else if (untilMs != null) span.dataset.until = String(untilMs);
  else span.textContent = "-";
  tickOne(span, Date.now());
  return span;
}

function tickOne(node, now) {
  if (node.dataset.since) node.textContent = fmtDuration((now - Number(node.dataset.since)) / 1000);
  else if (node.dataset.until) node.textContent = fmtDuration((Number(node.dataset.until) - now) / 1000);
}

function tickDurations() {
  const now = Date.now();
  document.querySelectorAll("[data-since], [data-until]").forEach((node) => tickOne(node, now));
}

// ---------------------------------------------------------------- HTTP

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/* Every call rides the session cookie; writes carry the CSRF header the hub insists on. */
async function api(method, path, body) {
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (method !== "GET") options.headers["X-Requested-With"] = "dasan-console";
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    throw new ApiError(0, "network", "서버에 연결할 수 없습니다.");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const message = data?.error?.message || `요청이 실패했습니다 (HTTP ${response.status}).`;
    const error = new ApiError(response.status, data?.error?.code || "http_error", message);
    // A session that ends while working (expired, logged out elsewhere) returns to login.
    if (response.status === 401 && state.agent && path !== "/api/v1/auth/login") {
      showLogin("세션이 만료되었습니다. 다시 로그인하세요.");
    }
    throw error;
  }
  return data;
}

const convPath = (id, tail = "") => `/api/v1/conversations/${enc(id)}${tail}`;

// ---------------------------------------------------------------- toast

let toastTimer = null;
function toast(text, kind = "info") {
  const node = $("toast");
  node.textContent = text;
  node.dataset.kind = kind;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, kind === "error" ? 6000 : 3000);
}

const toastError = (err) => toast(err.message || String(err), "error");

// ---------------------------------------------------------------- login / session

async function boot() {
  fillSelect($("language-select"), LABELS.language);
  fillSelect($("category-select"), LABELS.category);
  fillSelect($("transfer-queue-select"), LABELS.queue);
  fillSelect($("disposition-select"), LABELS.disposition);
  fillSelect($("flag-action"), LABELS.flagAction);
  state.video = createVideoPanel({ api, toast });
  state.knowledge = createKnowledgeWorkspace({ api, h, toast, labels: LABELS, fmtDateTime });
  state.reports = createReportsWorkspace({ api, h, toast, labels: LABELS });
  state.protection = createProtection({
    api, h, toast, labels: LABELS, fmtDateTime, convPath, applyConversation, upsertMessage,
  });
  state.privacy = createPrivacyPanel({ api, h, toast });
  createCannedReplies({ api, h, toast, conversation: () => state.conv, agent: () => state.agent });
  bindEvents();
  setInterval(tickDurations, 1000);
  try {
    await startSession(await api("GET", "/api/v1/me"));
  } catch {
    showLogin();
  }
}

async function login(event) {
  event.preventDefault();
  const errorBox = $("login-error");
  const submit = $("login-submit");
  errorBox.hidden = true;
  submit.disabled = true;
  try {
    const data = await api("POST", "/api/v1/auth/login", {
      username: $("login-username").value.trim(),
      password: $("login-password").value,
    });
    $("login-password").value = "";
    await startSession(data.agent);
  } catch (err) {
    errorBox.textContent = err.message;
    errorBox.hidden = false;
  } finally {
    submit.disabled = false;
  }
}

async function startSession(agent) {
  state.agent = agent;
  $("login-view").hidden = true;
  $("app").hidden = false;
  renderAgent(agent);
  state.knowledge.start(state.agent);
  state.reports.start(state.agent);
  if (!readsConversations(state.agent)) return; // an editor: articles only, no lists and no socket
  state.protection.start(state.agent);
  state.privacy.start(state.agent);
  await loadChannels();
  connectWs();
  openLinkedConversation();
}

/* `#conversation=ID` opens that conversation: links from a contact's history, and the way a
 * supervisor reaches any conversation (its recordings, a colleague's thread). */
function openLinkedConversation() {
  const id = new URLSearchParams(location.hash.slice(1)).get("conversation");
  if (id && id !== state.openId && readsConversations(state.agent)) openConversation(id);
}

/* Editors write articles and read no conversation (DESIGN.md, roles). */
const readsConversations = (agent) => Boolean(agent) && agent.role !== "editor";

/* The channels' Korean labels, before the first snapshot draws any badge. Without them
 * (an older hub, a failed request) a badge shows the channel's code. */
async function loadChannels() {
  try {
    const data = await api("GET", "/api/v1/channels");
    for (const channel of data.channels || []) LABELS.channel[channel.name] = channel.label;
  } catch {
    // label() falls back to the code
  }
}

/* Back to the login form; forgets everything about the previous session. */
function showLogin(message) {
  stopWs();
  state.agent = null;
  state.knowledge.stop();
  state.reports.stop();
  state.protection.stop();
  state.privacy.stop();
  closeConversation();
  state.drafts.clear();
  state.unread.clear();
  $("app").hidden = true;
  $("login-view").hidden = false;
  const errorBox = $("login-error");
  errorBox.textContent = message || "";
  errorBox.hidden = !message;
  $("login-username").focus();
}

async function logout() {
  try {
    await api("POST", "/api/v1/auth/logout");
  } catch {
    // Logging out locally is what matters; the cookie expires on its own.
  }
  showLogin();
}

function renderAgent(agent) {
  state.agent = { ...state.agent, ...agent };
  const me = state.agent;
  $("agent-name").textContent = me.display_name ? `${me.display_name} (${me.username})` : me.username;
  $("app").dataset.role = me.role; // an editor's top bar has no presence and no socket status
  setSelectValue($("presence-select"), me.state);
  $("presence-select").dataset.state = me.state;
  $("supervisor-view").hidden = !["supervisor", "admin"].includes(me.role);
}

async function changePresence(event) {
  const select = event.target;
  const previous = state.agent?.state;
  try {
    renderAgent(await api("POST", "/api/v1/me/state", { state: select.value }));
  } catch (err) {
    if (previous) select.value = previous;
    toastError(err);
  }
}

// ---------------------------------------------------------------- live updates (WebSocket)

const WS_TEXT = { connecting: "연결 중", connected: "실시간 연결됨", reconnecting: "재연결 중…" };

function setWsStatus(status) {
  const node = $("ws-status");
  node.dataset.state = status;
  node.textContent = WS_TEXT[status];
}

function connectWs() {
  clearTimeout(state.wsTimer);
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/api/v1/console/ws`);
  state.ws = ws;
  setWsStatus(state.wsAttempt ? "reconnecting" : "connecting");
  ws.onopen = () => setWsStatus("connected");
  ws.onmessage = (event) => handleFrame(event.data);
  ws.onclose = () => {
    if (state.ws !== ws) return; // closed on purpose (logout) or superseded
    state.ws = null;
    scheduleReconnect();
  };
}

/* Exponential backoff, 0.5 s doubling up to 10 s, with a little jitter so that a hub
 * restart is not greeted by every console at the same instant. */
function scheduleReconnect() {
  if (!state.agent) return;
  const delay = Math.min(10000, 500 * 2 ** state.wsAttempt) * (0.8 + Math.random() * 0.4);
  state.wsAttempt += 1;
  setWsStatus("reconnecting");
  state.wsTimer = setTimeout(reconnect, delay);
}

/* A socket refused for an expired session looks like any other close, so ask /me first:
 * a 401 there sends the agent to the login form (inside api()). */
async function reconnect() {
  try {
    renderAgent(await api("GET", "/api/v1/me"));
  } catch (err) {
    if (err.status === 401) return;
    scheduleReconnect();
    return;
  }
  connectWs();
}

function stopWs() {
  clearTimeout(state.wsTimer);
  const ws = state.ws;
  state.ws = null;
  state.wsAttempt = 0;
  if (ws) ws.close();
}

function handleFrame(raw) {
  let frame;
  try {
    frame = JSON.parse(raw);
  } catch {
    return;
  }
  if (frame.type === "snapshot") {
    state.wsAttempt = 0; // a real snapshot means the connection is healthy
    state.protection.configure(frame);
    renderSnapshot(frame);
  } else if (frame.type === "message" && frame.message) {
    onMessageFrame(frame.conversation_id || frame.message.conversation_id, frame.message);
  } else if (frame.type === "alert") {
    state.protection.onAlert(frame);
  }
}

function onMessageFrame(conversationId, message) {
  if (conversationId === state.openId) {
    upsertMessage(message);
    return;
  }
  if (message.author === "citizen") {
    state.unread.add(conversationId);
    markListItems();
  }
}

// ---------------------------------------------------------------- snapshot: queues and lists

function renderSnapshot(snapshot) {
  if (snapshot.agent) renderAgent(snapshot.agent);
  const queues = sortQueues(snapshot.queues || []);
  renderQueues(queues);
  updateTransferQueues(queues);
  renderConversationList($("queued-list"), snapshot.queued || [], "queued", "대기 중인 상담이 없습니다.");
  renderConversationList($("my-list"), snapshot.mine || [], "mine", "배정된 상담이 없습니다.");
  if (snapshot.overview) renderOverview(snapshot.overview);
  const listed = [...(snapshot.mine || []), ...(snapshot.queued || [])];
  listed.forEach((conv) => rememberContact(conv, false));
  syncOpenConversation(listed);
  renderLinkCandidates();
}

/* Longest-wait figures arrive as seconds at snapshot time; turn them into a start time so
 * they keep counting between snapshots. */
const sinceSeconds = (seconds) => (seconds > 0 ? Date.now() - seconds * 1000 : null);

function queueName(queue) {
  return LABELS.queue[queue.name] || queue.label || queue.name;
}

function renderQueues(queues) {
  const items = queues.map((queue) =>
    h("li", { className: "queue-item", "data-queue": queue.name, "data-waiting": queue.waiting },
      h("span", { className: "queue-name" }, queueName(queue)),
      h("span", { className: "queue-waiting" }, `대기 ${queue.waiting ?? 0}`),
      h("span", { className: "queue-longest", title: "최장 대기" },
        liveDuration({ sinceMs: sinceSeconds(queue.longest_wait_seconds) }))));
  $("queue-list").replaceChildren(...items);
}

/* Offer the hub's own queues; refill only when they change so an open dropdown survives. */
function updateTransferQueues(queues) {
  const select = $("transfer-queue-select");
  const names = queues.map((q) => q.name).join(",");
  if (!queues.length || select.dataset.names === names) return;
  select.dataset.names = names;
  const current = select.value;
  const options = Object.fromEntries(queues.map((q) => [q.name, queueName(q)]));
  fillSelect(select, options, options[current] ? current : undefined);
}

function renderConversationList(list, conversations, kind, emptyText) {
  if (!conversations.length) {
    list.replaceChildren(h("li", { className: "empty" }, emptyText));
    return;
  }
  list.replaceChildren(...conversations.map((conv) => conversationItem(conv, kind)));
  markListItems();
}

function conversationItem(conv, kind) {
  const canClaim = kind === "queued" || conv.state === "offered";
  const item = h("li", {
    className: "conv-item", tabindex: 0,
    "data-testid": "conversation-item", "data-conversation-id": conv.id, "data-state": conv.state,
  },
    h("div", { className: "conv-item-tags" },
      channelBadge(conv.channel),
      h("span", { className: "tag" }, label("language", conv.language)),
      h("span", { className: "tag" }, label("category", conv.category)),
      h("span", { className: `tag state state-${conv.state}` }, label("state", conv.state)),
      state.protection.listTag(conv)),
    h("div", { className: "conv-item-name" }, conv.contact?.display_name || "시민"),
    conv.last_message?.text ? h("div", { className: "conv-item-preview" }, conv.last_message.text) : null,
    h("div", { className: "conv-item-foot" }, waitingInfo(conv),
      canClaim ? claimButton(conv) : null,
      canClaim && conv.state === "offered" ? declineButton(conv) : null));
  item.addEventListener("click", () => openConversation(conv.id));
  item.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target === item) openConversation(conv.id);
  });
  return item;
}

function waitingInfo(conv) {
  if (conv.state === "offered" && conv.offer_expires_at) {
    return h("span", { className: "waiting offer" }, "수락 기한 ",
      liveDuration({ untilMs: toMs(conv.offer_expires_at) }));
  }
  if (conv.state === "queued") {
    const position = conv.queue_position ? ` · ${conv.queue_position}번째` : "";
    return h("span", { className: "waiting" }, "대기 ",
      liveDuration({ sinceMs: toMs(conv.queued_at || conv.created_at) }), position);
  }
  return h("span", { className: "waiting" }, fmtClock(conv.last_message?.created_at || conv.created_at));
}

function claimButton(conv) {
  const button = h("button", { type: "button", className: "primary small", "data-testid": "claim-button" },
    conv.state === "offered" ? "수락" : "가져오기");
  button.addEventListener("click", (event) => {
    event.stopPropagation(); // the item itself opens the conversation
    claim(conv.id, button);
  });
  return button;
}

/* An offer the agent cannot take now: it goes back to the front of its queue for someone else. */
function declineButton(conv) {
  const button = h("button", { type: "button", className: "small", "data-testid": "decline-button" }, "거절");
  button.addEventListener("click", async (event) => {
    event.stopPropagation();
    button.disabled = true;
    try {
      await api("POST", convPath(conv.id, "/decline"));
    } catch (err) {
      toastError(err);
      button.disabled = false;
    }
  });
  return button;
}

async function claim(id, button) {
  if (button) button.disabled = true;
  try {
    const conv = await api("POST", convPath(id, "/claim"));
    await openConversation(conv?.id || id);
  } catch (err) {
    toastError(err);
    if (button) button.disabled = false;
  }
}

/* Highlight the open conversation and the unread ones after any list re-render. */
function markListItems() {
  document.querySelectorAll(".conv-item").forEach((item) => {
    const id = item.dataset.conversationId;
    item.classList.toggle("active", id === state.openId);
    item.classList.toggle("unread", state.unread.has(id));
  });
}

// ---------------------------------------------------------------- supervisor overview

function renderOverview(overview) {
  const longest = overview.longest_wait_seconds;
  $("sup-longest-wait").replaceChildren(longest > 0 ? liveDuration({ sinceMs: sinceSeconds(longest) }) : "0초");
  const today = overview.today || {};
  $("sup-resolved").textContent = today.resolved != null ? `${today.resolved}건` : "-";
  const fcr = today.first_contact_resolution;
  $("sup-fcr").textContent = typeof fcr === "number" ? `${Math.round(fcr * 100)}%` : "-";

  const byState = overview.agents_by_state || {};
  $("sup-by-state").textContent = Object.keys(LABELS.agentState)
    .map((code) => `${LABELS.agentState[code]} ${byState[code] ?? 0}`).join(" · ");

  $("sup-agents").replaceChildren(...(overview.agents || []).map((agent) =>
    h("li", { className: "sup-agent", "data-username": agent.username, "data-state": agent.state },
      h("span", { className: "sup-agent-name" }, agent.display_name || agent.username),
      h("span", { className: `tag agent-state agent-${agent.state}` }, label("agentState", agent.state)),
      h("span", { className: "muted" }, `진행 ${agent.active_conversations ?? 0}건`))));

  $("sup-queues").replaceChildren(...sortQueues(overview.queues || []).map((queue) =>
    h("li", { className: "queue-item", "data-queue": queue.name },
      h("span", { className: "queue-name" }, queueName(queue)),
      h("span", { className: "queue-waiting" }, `대기 ${queue.waiting ?? 0}`),
      h("span", { className: "queue-longest" }, liveDuration({ sinceMs: sinceSeconds(queue.longest_wait_seconds) })))));
}

// ---------------------------------------------------------------- conversation view

async function openConversation(id) {
  saveDraft();
  const seq = ++state.openSeq;
  state.openId = id;
  state.video.viewing(id);
  state.conv = null;
  state.protection.update(null);
  state.openListed = false;
  state.messages = new Map();
  state.messageEls = new Map();
  state.unread.delete(id);
  markListItems();

  $("conversation-empty").hidden = true;
  $("conversation-view").hidden = false;
  $("conversation-view").dataset.conversationId = id;
  $("message-list").replaceChildren();
  $("event-list").replaceChildren();
  $("history-list").replaceChildren();
  $("history-count").textContent = "";
  $("contact-identities").replaceChildren();
  $("contact-id").textContent = "";
  $("link-contact-input").value = "";
  $("flag-form").hidden = true;
  $("transfer-agent-input").value = "";
  $("reply-input").value = state.drafts.get(id) || "";
  resetSmsCounter();
  updateControls();

  try {
    const [conv, messages, events] = await Promise.all([
      api("GET", convPath(id)),
      api("GET", convPath(id, "/messages")),
      api("GET", convPath(id, "/events")),
    ]);
    if (seq !== state.openSeq) return; // another conversation was opened meanwhile
    state.conv = conv;
    rememberContact(conv, true);
    renderConvHeader();
    renderMessages(messages.messages || []);
    renderEvents(events.events || []);
    loadHistory(conv, seq);
    scheduleSmsCount();
  } catch (err) {
    if (seq === state.openSeq) toastError(err);
  }
}

function closeConversation() {
  state.openSeq += 1;
  state.openId = null;
  state.conv = null;
  state.openListed = false;
  state.video.viewing(null);
  state.protection.update(null);
  resetSmsCounter();
  $("conversation-view").hidden = true;
  $("conversation-empty").hidden = false;
}

function saveDraft() {
  if (state.openId) state.drafts.set(state.openId, $("reply-input").value);
}

/* Snapshots carry the latest state of listed conversations; keep the open header in step
 * and refresh the trail when the routing changed (transfer, offer expiry, …). A conversation
 * that leaves the lists (resolved, abandoned, moved to a queue we do not serve) is re-read,
 * so its header does not go on claiming an old state. */
function syncOpenConversation(conversations) {
  if (!state.conv) return;
  const fresh = conversations.find((c) => c.id === state.openId);
  if (!fresh) {
    if (state.openListed) {
      state.openListed = false;
      refreshOpenConversation();
    }
    return;
  }
  state.openListed = true;
  const old = state.conv;
  const moved = fresh.state !== old.state || fresh.queue !== old.queue || fresh.assigned_agent !== old.assigned_agent;
  const contact = fresh.contact || old.contact;
  state.conv = { ...old, ...fresh, contact };
  renderConvHeader();
  if (moved) refreshEvents();
  // Merged into another contact (by a colleague, or by a verified phone number).
  if (contact?.id !== old.contact?.id) loadHistory(state.conv, state.openSeq);
}

async function refreshOpenConversation() {
  const id = state.openId;
  const seq = state.openSeq;
  if (!id) return;
  try {
    const conv = await api("GET", convPath(id));
    if (seq === state.openSeq) applyConversation(conv);
  } catch {
    // Informative only: the next snapshot or action brings the state.
  }
}

function renderConvHeader() {
  const conv = state.conv;
  if (!conv) return;
  const me = state.agent?.username;
  $("conv-contact").textContent = conv.contact?.display_name || "시민";
  $("conv-assigned").textContent = conv.assigned_agent ? `담당: ${conv.assigned_agent}` : "미배정";
  const channelNode = $("conv-channel");
  channelNode.textContent = label("channel", conv.channel);
  channelNode.className = `tag channel channel-${codeClass(conv.channel)}`;
  channelNode.dataset.channel = conv.channel ?? "";
  setSelectValue($("language-select"), conv.language);
  setSelectValue($("category-select"), conv.category);
  $("conv-queue").textContent = conv.queue ? label("queue", conv.queue) : "-";
  // Korean label for people, the code for scripts and supervisors who grep logs.
  const stateNode = $("conversation-state");
  stateNode.textContent = `${label("state", conv.state)} (${conv.state})`;
  stateNode.dataset.state = conv.state;
  $("conv-priority").textContent = String(conv.priority ?? 0);

  const claimable = conv.state === "queued" || (conv.state === "offered" && conv.assigned_agent === me);
  const claimButtonNode = $("view-claim-button");
  claimButtonNode.hidden = !claimable;
  claimButtonNode.textContent = conv.state === "offered" ? "수락" : "가져오기";
  renderContact();
  updateControls();
  renderTranslationBar();
  state.video.update(conv, state.agent);
  state.protection.update(conv);
  state.privacy.viewing(conv);
}

/* A resolved conversation is read-only: no reply, transfer or resolve. The send button also
 * waits for a send in flight and refuses an SMS over the provider's limit. */
function updateControls() {
  const closed = state.conv?.state === "resolved";
  const input = $("reply-input");
  input.disabled = closed;
  input.placeholder = closed ? "종료된 상담입니다. 답변을 보낼 수 없습니다." : REPLY_PLACEHOLDER;
  $("reply-send").disabled = closed || !state.conv || state.sending || sms.tooLong;
  for (const id of ["transfer-queue-select", "transfer-agent-input", "transfer-button",
    "disposition-select", "resolve-button"]) {
    $(id).disabled = closed;
  }
  $("conversation-view").dataset.closed = String(closed);
}

async function patchConversation(field, select) {
  if (!state.conv) return;
  const previous = state.conv[field];
  try {
    const conv = await api("PATCH", convPath(state.conv.id), { [field]: select.value });
    applyConversation(conv);
    toast("변경되었습니다.");
  } catch (err) {
    setSelectValue(select, previous);
    toastError(err);
  }
}

/* A write answered with the conversation: show it and re-read the trail it added to. */
function applyConversation(conv) {
  if (!conv || conv.id !== state.openId) return;
  state.conv = { ...state.conv, ...conv };
  renderConvHeader();
  refreshEvents();
}

// ---------------------------------------------------------------- contact panel

/* Contacts of conversations seen this session, offered as "the other contact" when linking. */
function rememberContact(conv, opened) {
  const contact = conv?.contact;
  if (!contact?.id) return;
  const entry = { id: String(contact.id), name: contact.display_name || "시민", channel: conv.channel };
  if (opened) state.contacts.delete(entry.id); // most recently opened goes last (shown first)
  if (opened || !state.contacts.has(entry.id)) state.contacts.set(entry.id, entry);
  while (state.contacts.size > 50) state.contacts.delete(state.contacts.keys().next().value);
}

function renderContact() {
  const contact = state.conv?.contact || {};
  $("contact-id").textContent = contact.id || "-";
  const identities = Array.isArray(contact.identities) ? contact.identities : [];
  $("contact-identities").replaceChildren(...(identities.length
    ? identities.map((identity) =>
      h("li", { className: "identity", "data-testid": "contact-identity", "data-channel": identity.channel ?? "" },
        channelBadge(identity.channel),
        h("code", { className: "identity-id" }, identity.external_id ?? "")))
    : [h("li", { className: "muted" }, "등록된 채널 정보가 없습니다.")]));
  renderLinkCandidates();
}

/* Up to six other contacts from this session; a click puts the id in the link box. */
function renderLinkCandidates() {
  const box = $("link-candidates");
  if (!box) return;
  const current = state.conv?.contact?.id;
  const others = [...state.contacts.values()].reverse().filter((c) => c.id !== current).slice(0, 6);
  box.hidden = !current || others.length === 0;
  // Snapshots come often: rebuild only on a change, so a chip under the pointer stays put.
  const key = JSON.stringify(others);
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  $("link-candidate-list").replaceChildren(...others.map((contact) =>
    h("li", {},
      h("button", {
        type: "button", className: "contact-chip", "data-testid": "link-contact-candidate",
        "data-contact-id": contact.id, title: `연락처 ID ${contact.id}`,
        onclick: () => pickLinkCandidate(contact.id),
      },
      channelBadge(contact.channel), " ", contact.name, " ",
      h("code", { className: "muted" }, contact.id.slice(0, 8))))));
}

function pickLinkCandidate(id) {
  const input = $("link-contact-input");
  input.value = id;
  input.focus();
}

/* The other contact is the same citizen: its channels and history join this contact. */
async function linkContact(event) {
  event.preventDefault();
  const contactId = state.conv?.contact?.id;
  const input = $("link-contact-input");
  const other = input.value.trim();
  if (!contactId || !other) return;
  if (other === contactId) {
    toast("지금 보고 있는 연락처입니다. 다른 연락처의 ID를 입력하세요.", "error");
    return;
  }
  const button = $("link-contact-button");
  button.disabled = true;
  try {
    const contact = await api("POST", `/api/v1/contacts/${enc(contactId)}/link`, { contact_id: other });
    state.contacts.delete(other); // it no longer exists on its own
    if (state.conv?.contact?.id === contactId) {
      input.value = "";
      state.conv = { ...state.conv, contact: { ...state.conv.contact, ...contact } };
      renderContact();
      $("history").open = true;
      await Promise.all([loadHistory(state.conv, state.openSeq), refreshEvents()]);
    }
    toast("연락처를 연결했습니다. 이전 상담에 함께 표시됩니다.");
  } catch (err) {
    toastError(err);
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------- messages

/* How far an outbound message got; a status only ever moves forward. A held message waits
 * for the citizen's next contact and then goes out; delivered, undelivered and failed are
 * where a message ends. A queued message may be re-sent with a new error (same rank). */
const STATUS_RANK = { received: 0, queued: 1, held: 2, sent: 3, delivered: 4, undelivered: 4, failed: 4 };
const statusRank = (message) => STATUS_RANK[message?.status] ?? 0;

function compareMessages(a, b) {
  const ta = toMs(a.created_at) ?? 0;
  const tb = toMs(b.created_at) ?? 0;
  if (ta !== tb) return ta - tb;
  return String(a.id).localeCompare(String(b.id), undefined, { numeric: true });
}

function renderMessages(messages) {
  for (const message of messages) {
    const known = state.messages.get(String(message.id)); // pushed while the list loaded
    if (!known || statusRank(message) >= statusRank(known)) state.messages.set(String(message.id), message);
  }
  const sorted = [...state.messages.values()].sort(compareMessages);
  state.messageEls = new Map(sorted.map((m) => [String(m.id), messageItem(m)]));
  $("message-list").replaceChildren(...state.messageEls.values());
  scrollMessages(true);
}

/* Add a new message or replace one we have (a delivery status change re-sends it).
 * Copies arrive out of order: the WebSocket's "delivered" often beats the answer to our own
 * POST, which still says "queued"; an older copy never replaces a newer one. */
function upsertMessage(message) {
  const id = String(message.id);
  const known = state.messages.get(id);
  if (known && statusRank(message) < statusRank(known)) return;
  const node = messageItem(message);
  const existing = state.messageEls.get(id);
  state.messages.set(id, message);
  state.messageEls.set(id, node);
  if (existing) {
    existing.replaceWith(node);
    return;
  }
  const list = $("message-list");
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.append(node);
  scrollMessages(nearBottom || message.author === "agent");
}

function scrollMessages(force) {
  const list = $("message-list");
  if (force) list.scrollTop = list.scrollHeight;
}

function authorLabel(message) {
  if (message.author === "agent" && message.agent) return `상담사 ${message.agent}`;
  return label("author", message.author);
}

function messageItem(message) {
  const outbound = message.direction === "out";
  const attachments = Array.isArray(message.attachments) ? message.attachments : [];
  return h("li", {
    className: `message author-${codeClass(message.author)} ${outbound ? "out" : "in"}`,
    "data-testid": "message", "data-author": message.author, "data-message-id": message.id,
    "data-status": message.status,
  },
    h("div", { className: "message-meta" },
      h("span", { className: "message-author" }, authorLabel(message)),
      h("time", { dateTime: message.created_at }, fmtClock(message.created_at))),
    ...state.protection.messageBody(message, messageBody),
    attachments.length
      ? h("ul", { className: "attachments" }, attachments.map((a) => h("li", {}, attachmentNode(a))))
      : null,
    outbound && message.status ? statusNode(message) : null,
    state.knowledge.draftButton(message, state.agent));
}

/* The text of a message as an agent reads it. A citizen's foreign message shows its Korean
 * translation, the original one click away; when translation failed, the original with a
 * visible note. A reply sent translated shows what the citizen received and the agent's Korean. */
function messageBody(message) {
  const inbound = message.direction === "in";
  if (inbound && message.translation) {
    return [
      h("div", { className: "message-text", "data-testid": "message-translation", lang: "ko" }, message.translation),
      h("details", { className: "message-original" },
        h("summary", { "data-testid": "show-original" }, `원문 보기 (${label("language", message.language)})`),
        h("div", { "data-testid": "message-original", lang: message.language || "" }, message.text)),
    ];
  }
  const body = message.text ? [h("div", { className: "message-text", lang: message.language || "" }, message.text)] : [];
  if (inbound && message.translation_status === "unavailable") {
    body.push(h("div", { className: "message-translation unavailable", "data-testid": "translation-unavailable" },
      "번역 불가 – 원문을 표시합니다"));
  }
  if (!inbound && message.translation) {
    const written = message.author === "agent" ? "상담사 작성(한국어)" : "한국어";
    body.push(h("div", { className: "message-translation", "data-testid": "message-korean", lang: "ko" },
      `${written}: ${message.translation}`));
  }
  return body;
}

/* What became of an outbound message, in words; a reason from the provider when there is one. */
function statusText(message) {
  const error = typeof message.error === "string" ? message.error.trim() : "";
  switch (message.status) {
    case "queued": return error ? `재전송 대기: ${error}` : "전송 대기";
    case "undelivered": return error ? `미전달: ${error}` : "미전달";
    case "failed": return error ? `실패: ${error}` : "실패";
    default: return label("status", message.status);
  }
}

function statusNode(message) {
  const retrying = message.status === "queued" && typeof message.error === "string" && message.error.trim() !== "";
  return h("div", {
    className: `message-status status-${codeClass(message.status)}${retrying ? " retrying" : ""}`,
    "data-testid": "message-status", "data-status": message.status,
  }, statusText(message));
}

/* Only absolute http(s) addresses become links; anything else (javascript:, data:, relative
 * paths into the console) stays text. */
function safeHttpUrl(raw) {
  if (typeof raw !== "string" || raw.length > 2048) return null;
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
}

/* A latitude or longitude as a plain decimal within range, else null. */
function coordinate(value, limit) {
  let number = NaN;
  if (typeof value === "number") number = value;
  else if (typeof value === "string" && /^\s*-?\d{1,3}(\.\d{1,15})?\s*$/.test(value)) number = Number(value);
  if (!Number.isFinite(number) || Math.abs(number) > limit) return null;
  const text = number.toFixed(6).replace(/\.?0+$/, "");
  return text === "-0" ? "0" : text;
}

function externalLink(href, text) {
  return h("a", { href, target: "_blank", rel: "noopener noreferrer", referrerpolicy: "no-referrer" }, text);
}

/* Photos are links, never loaded into the console (no tracking pixels, no surprises). */
function attachmentNode(attachment) {
  const kind = codeClass(attachment?.kind);
  const data = attachment?.data && typeof attachment.data === "object" ? attachment.data : {};
  if (kind === "location") {
    const lat = coordinate(data.latitude ?? data.lat, 90);
    const lon = coordinate(data.longitude ?? data.lon ?? data.lng, 180);
    const place = [data.title, data.address].filter((part) => typeof part === "string" && part.trim()).join(" · ");
    if (lat == null || lon == null) {
      return h("span", { className: "attachment attachment-location", "data-testid": "attachment" },
        "위치: 좌표를 읽을 수 없습니다");
    }
    return h("span", { className: "attachment attachment-location", "data-testid": "attachment" },
      `위치: ${lat}, ${lon} `,
      externalLink(`https://map.kakao.com/link/map/${lat},${lon}`, "카카오맵에서 보기"),
      place ? h("span", { className: "muted" }, ` (${place})`) : null);
  }
  const contentType = typeof attachment?.content_type === "string" ? attachment.content_type : "";
  const fileName = typeof data.file_name === "string" ? data.file_name : "";
  const text = [label("attachment", kind), contentType, fileName].filter(Boolean).join(" ");
  const href = safeHttpUrl(attachment?.url);
  return h("span", { className: `attachment attachment-${kind}`, "data-testid": "attachment" },
    href ? externalLink(href, text) : h("span", {}, text, h("span", { className: "muted" }, " (링크 없음)")));
}

async function sendReply() {
  const input = $("reply-input");
  const text = input.value.trim();
  const id = state.openId;
  if (!text || !id || state.sending || $("reply-send").disabled) return;
  state.sending = true;
  updateControls();
  try {
    const translate = translating();
    const message = await api("POST", convPath(id, "/messages"), { text, translate });
    state.drafts.delete(id);
    if (state.openId === id) {
      input.value = "";
      resetSmsCounter();
      hideTranslationPreview();
      upsertMessage(message);
    }
  } catch (err) {
    toastError(err); // the text stays in the box so nothing typed is lost
  } finally {
    state.sending = false;
    updateControls();
    if (!input.disabled) input.focus();
  }
}

// ---------------------------------------------------------------- machine translation

/* The translation bar shows when the hub can translate this conversation's language. It is
 * on by default for an agent who does not speak the language, off for one who does. */
function renderTranslationBar() {
  const conv = state.conv;
  const available = Boolean(conv && conv.machine_translation);
  $("translate-bar").hidden = !available;
  if (!available) return;
  $("translate-language").textContent = label("language", conv.language);
  if ($("translate-bar").dataset.conversationId !== conv.id) {
    $("translate-bar").dataset.conversationId = conv.id;
    $("translate-toggle").checked = !(state.agent?.languages || []).includes(conv.language);
    hideTranslationPreview();
  }
}

function translating() {
  return !$("translate-bar").hidden && $("translate-toggle").checked;
}

function hideTranslationPreview() {
  $("translate-preview").hidden = true;
  $("translate-preview").textContent = "";
}

async function previewTranslation() {
  const text = $("reply-input").value.trim();
  const id = state.openId;
  if (!text || !id) return;
  try {
    const preview = await api("POST", convPath(id, "/translation"), { text });
    if (state.openId !== id) return;
    $("translate-preview").textContent = preview.text;
    $("translate-preview").lang = preview.language || "";
    $("translate-preview").hidden = false;
  } catch (err) {
    toastError(err);
  }
}

// ---------------------------------------------------------------- SMS segment counter

/* While the agent types to an SMS conversation, ask the hub what the text costs: encoding,
 * segments, characters. Debounced; the last answer wins; no counter when the hub has none. */
function scheduleSmsCount() {
  clearTimeout(sms.timer);
  const text = $("reply-input").value.trim();
  if (state.conv?.channel !== "sms" || sms.unavailable || !text) {
    sms.seq += 1; // an answer still on its way is stale
    hideSmsCounter();
    return;
  }
  sms.timer = setTimeout(() => countSms(text), SMS_DEBOUNCE_MS);
}

async function countSms(text) {
  const seq = ++sms.seq;
  const id = state.openId;
  try {
    const count = await api("POST", SMS_SEGMENTS_PATH, { text });
    if (seq === sms.seq && id === state.openId) renderSmsCounter(count);
  } catch (err) {
    if (seq !== sms.seq) return;
    if (err.status === 404 || err.status === 405) sms.unavailable = true;
    hideSmsCounter();
  }
}

function renderSmsCounter(count) {
  const node = $("sms-segments");
  const segments = Number(count?.segments);
  const characters = Number(count?.characters);
  const max = Number(count?.max_characters) || 1600;
  if (!Number.isFinite(segments) || !Number.isFinite(characters)) {
    hideSmsCounter();
    return;
  }
  const encoding = count.encoding === "GSM-7" || count.encoding === "UCS-2" ? count.encoding : String(count.encoding ?? "");
  sms.tooLong = characters > max;
  node.replaceChildren(`문자 ${segments}건 · ${encoding} · ${characters}자`);
  if (sms.tooLong) {
    node.append(h("strong", { className: "sms-warning" },
      ` — 문자는 ${max}자까지 보낼 수 있습니다. ${characters - max}자를 줄여 주세요.`));
  }
  node.dataset.over = String(sms.tooLong);
  node.dataset.encoding = encoding;
  node.hidden = false;
  updateControls();
}

function hideSmsCounter() {
  const node = $("sms-segments");
  node.hidden = true;
  node.replaceChildren();
  node.dataset.over = "false";
  if (sms.tooLong) {
    sms.tooLong = false;
    updateControls();
  }
}

/* A new conversation (or an emptied box): no counter, and a fresh chance for the endpoint. */
function resetSmsCounter() {
  clearTimeout(sms.timer);
  sms.seq += 1;
  sms.unavailable = false;
  hideSmsCounter();
}

/* Enter sends, Shift+Enter breaks the line. Never while a Korean IME is composing a
 * syllable: that Enter only commits the syllable. */
function onReplyKeydown(event) {
  if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
  event.preventDefault();
  sendReply();
}

// ---------------------------------------------------------------- events and history

async function refreshEvents() {
  const id = state.openId;
  if (!id) return;
  try {
    const data = await api("GET", convPath(id, "/events"));
    if (state.openId === id) renderEvents(data.events || []);
  } catch {
    // The trail is informative only; the next refresh will try again.
  }
}

function eventDetail(data) {
  return Object.entries(data || {})
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(", ");
}

/* What the bot learned before a person took over: its handoff summary and the reports it
 * filed, above the messages so the agent need not read the whole trail. */
function renderBotNotes(events) {
  const notes = [];
  for (const event of events) {
    const data = event.data || {};
    if (event.type === "handed_off" && data.summary) notes.push(h("li", { className: "bot-summary" }, data.summary));
    if (event.type === "report_filed") {
      const kind = label("reportType", data.report_type);
      const parts = [["위치", data.location], ["시간", data.time], ["내용", data.details]]
        .filter(([, value]) => value).map(([name, value]) => `${name}: ${value}`);
      notes.push(h("li", { className: "bot-report" }, `${kind} 신고 ${data.id || ""} — ${parts.join(" · ")}`));
    }
  }
  $("bot-notes-list").replaceChildren(...notes);
  $("bot-notes").hidden = notes.length === 0;
}

function renderEvents(events) {
  renderBotNotes(events);
  $("event-list").replaceChildren(...events.map((event) => {
    const detail = eventDetail(event.data);
    return h("li", { className: "event", "data-type": event.type },
      h("time", { dateTime: event.at }, fmtDateTime(event.at)),
      h("strong", {}, LABELS.event[event.type] ? `${LABELS.event[event.type]} (${event.type})` : event.type),
      h("span", { className: "muted" }, event.actor ? `· ${event.actor}` : ""),
      detail ? h("div", { className: "event-data" }, detail) : null);
  }));
}

async function loadHistory(conv, seq) {
  const contactId = conv.contact?.id;
  if (!contactId) return;
  try {
    const data = await api("GET", `/api/v1/contacts/${enc(contactId)}/history`);
    if (seq !== state.openSeq) return;
    const earlier = (data.conversations || []).filter((c) => c.id !== conv.id);
    $("history-count").textContent = `(${earlier.length}건)`;
    $("history-list").replaceChildren(...earlier.map(historyItem));
  } catch (err) {
    if (seq === state.openSeq) $("history-count").textContent = "(불러오기 실패)";
  }
}

function historyItem(conv) {
  const summary = [
    fmtDateTime(conv.created_at), label("category", conv.category),
    conv.disposition ? label("disposition", conv.disposition) : label("state", conv.state),
  ].join(" · ");
  return h("li", { className: "history-item", "data-testid": "history-item", "data-conversation-id": conv.id },
    h("details", {},
      h("summary", {}, channelBadge(conv.channel), " ", summary, " ",
        h("a", { href: `#conversation=${enc(conv.id)}`, "data-testid": "history-open" }, "열기")),
      h("ol", { className: "history-messages" }, (conv.messages || []).map((m) =>
        h("li", { className: `author-${m.author}` },
          h("span", { className: "message-author" }, `${authorLabel(m)} ${fmtClock(m.created_at)}`),
          " ", ...state.protection.messageBody(m, (shown) => [shown.text ?? ""]))))));
}

// ---------------------------------------------------------------- conversation actions

async function conversationAction(tail, body, doneText) {
  if (!state.openId) return null;
  try {
    const conv = await api("POST", convPath(state.openId, tail), body);
    applyConversation(conv);
    toast(doneText);
    return conv;
  } catch (err) {
    toastError(err);
    return null;
  }
}

async function transfer(event) {
  event.preventDefault();
  const agent = $("transfer-agent-input").value.trim();
  const body = agent ? { agent } : { queue: $("transfer-queue-select").value };
  const target = agent || label("queue", body.queue);
  if (await conversationAction("/transfer", body, `${target}(으)로 이관했습니다.`)) {
    $("transfer-agent-input").value = "";
  }
}

async function resolve(event) {
  event.preventDefault();
  const disposition = $("disposition-select").value;
  if (await conversationAction("/resolve", { disposition }, `상담을 종료했습니다: ${label("disposition", disposition)}`)) {
    state.drafts.delete(state.openId);
  }
}

async function flag(event) {
  event.preventDefault();
  const reason = $("flag-reason").value.trim();
  if (!reason) return;
  const action = $("flag-action").value;
  if (await conversationAction("/flag", { reason, action }, "악성민원으로 등록했습니다.")) {
    $("flag-form").hidden = true;
    $("flag-reason").value = "";
  }
}

function toggleFlagForm() {
  const form = $("flag-form");
  form.hidden = !form.hidden;
  if (!form.hidden) $("flag-reason").focus();
}

// ---------------------------------------------------------------- knowledge base

async function kbSearch(event) {
  event.preventDefault();
  const q = $("kb-search-input").value.trim();
  if (!q) return;
  try {
    const params = new URLSearchParams({ q, lang: "ko", limit: "5" });
    const data = await api("GET", `/api/v1/kb/search?${params}`);
    state.kbResults = data.results || [];
    state.kbArticle = null;
    $("kb-article").hidden = true;
    renderKbResults();
  } catch (err) {
    toastError(err);
  }
}

function renderKbResults() {
  const list = $("kb-results");
  $("kb-insert-button").disabled = state.kbResults.length === 0;
  if (!state.kbResults.length) {
    list.replaceChildren(h("li", { className: "empty" }, "검색 결과가 없습니다."));
    return;
  }
  list.replaceChildren(...state.kbResults.map((result) => {
    const item = h("li", { className: "kb-result", tabindex: 0, "data-testid": "kb-result", "data-article-id": result.id },
      h("div", { className: "kb-title" }, result.title ?? ""),
      h("div", { className: "muted" }, label("category", result.category)),
      h("div", { className: "kb-snippet" }, result.snippet ?? ""));
    item.addEventListener("click", () => loadArticle(result.id).catch(toastError));
    item.addEventListener("keydown", (event) => {
      if (event.key === "Enter") loadArticle(result.id).catch(toastError);
    });
    return item;
  }));
}

async function loadArticle(id) {
  const article = await api("GET", `/api/v1/kb/articles/${enc(id)}`);
  state.kbArticle = article;
  $("kb-article-title").textContent = article.title ?? "";
  $("kb-article-category").textContent = label("category", article.category);
  $("kb-article-body").textContent = article.body ?? "";
  $("kb-article").hidden = false;
  document.querySelectorAll(".kb-result").forEach((item) => {
    item.classList.toggle("selected", item.dataset.articleId === String(id));
  });
  return article;
}

/* One click: the open article, or else the best search result, goes into the reply box. */
async function insertKb() {
  if (!state.openId) {
    toast("먼저 상담을 선택하세요.", "error");
    return;
  }
  try {
    let article = state.kbArticle || (state.kbResults[0] && await loadArticle(state.kbResults[0].id));
    if (!article) return;
    // The citizen's own language when the article is written in it: nothing to translate.
    const language = state.conv?.language;
    if (language && language !== "ko" && (article.languages || []).includes(language)) {
      article = await api("GET", `/api/v1/kb/articles/${enc(article.id)}?lang=${enc(language)}`);
      $("translate-toggle").checked = false;
      toast(`${label("language", language)} 안내문을 넣었습니다. 번역하지 않고 그대로 보냅니다.`);
    }
    const input = $("reply-input");
    const before = input.value.trimEnd();
    input.value = before ? `${before}\n\n${article.body}` : article.body;
    scheduleSmsCount();
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  } catch (err) {
    toastError(err);
  }
}

// ---------------------------------------------------------------- wiring

function bindEvents() {
  window.addEventListener("hashchange", openLinkedConversation);
  $("login-form").addEventListener("submit", login);
  $("logout-button").addEventListener("click", logout);
  $("presence-select").addEventListener("change", changePresence);
  $("language-select").addEventListener("change", (e) => patchConversation("language", e.target));
  $("category-select").addEventListener("change", (e) => patchConversation("category", e.target));
  $("view-claim-button").addEventListener("click", (e) => state.openId && claim(state.openId, e.target));
  $("flag-button").addEventListener("click", toggleFlagForm);
  $("flag-cancel").addEventListener("click", () => { $("flag-form").hidden = true; });
  $("flag-form").addEventListener("submit", flag);
  $("reply-form").addEventListener("submit", (e) => { e.preventDefault(); sendReply(); });
  $("reply-input").addEventListener("keydown", onReplyKeydown);
  $("reply-input").addEventListener("input", scheduleSmsCount);
  $("reply-input").addEventListener("input", hideTranslationPreview);
  $("translate-preview-button").addEventListener("click", previewTranslation);
  $("link-form").addEventListener("submit", linkContact);
  $("transfer-form").addEventListener("submit", transfer);
  $("resolve-form").addEventListener("submit", resolve);
  $("kb-form").addEventListener("submit", kbSearch);
  $("kb-insert-button").addEventListener("click", insertKb);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
