/* Dasan Hub agent console: the sign-language interpreter's side of a video call.
 *
 * On an open sign_video conversation assigned to me, a panel above the messages shows the
 * citizen (relayed by the hub), my own camera, microphone / camera / hang-up controls and both
 * sides' call quality. The text chat beside the call is the conversation's messages, which
 * console.js already shows and sends. Supervisors get the call's recordings instead.
 *
 * Signalling is JSON text over /video/agent/ws (the frames: sign_video/signalling.py). The
 * console always offers, with every candidate inside (no trickle ICE), and the hub answers; to
 * reconnect it makes a new peer connection and a new offer (the hub has no ICE restart).
 *
 * Loaded before console.js, which makes one panel (createVideoPanel) and tells it which
 * conversation is open (viewing) and how that conversation now stands (update). Server data
 * reaches the DOM only as text, as in console.js.
 */
"use strict";

const VIDEO_CHANNEL = "sign_video";
const CALL_LINE_LOCK = "dasan-console-video-call";  // one call per browser, across its tabs
const ICE_GATHERING_MS = 3000;      // a complete offer is sent by then, with what was gathered
const DISCONNECTED_GRACE_MS = 4000; // "disconnected" often heals by itself; "failed" never does
const CLOSE_TRANSFERRED = 4409;     // the hub: the conversation moved to another interpreter
const CLOSE_CALL_OVER = 4410;       // the hub: the call is over
const POOR = { loss: 0.05, frameRate: 8, roundTripMs: 500 };

const VIDEO_TEXT = {
  lineBusy: "다른 상담의 영상 통화가 진행 중입니다. 그 통화를 끝내면 이 통화가 연결됩니다.",
  camera: "카메라와 마이크를 켜는 중…",
  noCamera: "카메라·마이크를 쓸 수 없어 시민의 영상만 받습니다",
  connecting: "연결 중…",
  connected: "통화 중",
  reconnecting: "연결이 끊겨 다시 연결하는 중…",
  tapToPlay: "영상을 누르면 재생됩니다",
  citizenEnded: "시민이 통화를 종료했습니다. 처리 결과를 골라 상담을 종료하세요.",
  youEnded: "통화를 종료했습니다. 처리 결과를 골라 상담을 종료하세요.",
  transferred: "이 통화는 다른 상담사에게 넘어갔습니다.",
  over: "통화가 끝났습니다.",
  notAllowed: "이 통화에 참여할 수 없습니다.",
};

const QUALITY_SIDES = { citizen: "시민", interpreter: "나(통역사)" };
const QUALITY_COLUMNS = [
  ["", ""],
  ["보냄", "이쪽이 허브로 보내는 양"],
  ["받음", "허브가 이쪽으로 보내는 양"],
  ["프레임", "허브가 받는 초당 영상 프레임"],
  ["손실 (보냄/받음)", "잃어버린 패킷 비율: 허브로 가는 길 / 허브에서 오는 길"],
  ["왕복 지연", "허브와 이쪽 사이를 한 번 오가는 시간"],
  ["품질", "손실 5% 초과, 초당 8프레임 미만, 지연 500 ms 초과면 나쁨"],
];

/* The panel: console.js calls viewing(id) when a conversation is opened or closed, and
 * update(conv, agent) whenever the open conversation is (re)read. */
function createVideoPanel({ api, toast }) {
  const ui = {
    panel: document.getElementById("video-panel"),
    remote: document.getElementById("video-remote"),
    local: document.getElementById("video-local"),
    status: document.getElementById("video-status"),
    mute: document.getElementById("video-mute"),
    camera: document.getElementById("video-camera"),
    hangup: document.getElementById("video-hangup"),
    quality: document.getElementById("video-quality"),
    recordings: document.getElementById("video-recordings"),
    recordingList: document.getElementById("video-recording-list"),
  };
  let viewingId = null;
  let call = null;           // the InterpreterCall of the open conversation, also once ended
  let recordingsKey = null;  // what the recordings list was loaded for

  ui.mute.addEventListener("click", () => call?.toggle("audio"));
  ui.camera.addEventListener("click", () => call?.toggle("video"));
  ui.hangup.addEventListener("click", () => call?.hangUp());
  ui.remote.addEventListener("click", () => ui.remote.play().catch(() => {}));

  function endCall() {
    call?.stop();
    call = null;
    ui.panel.hidden = true;
  }

  /* The recordings of the open conversation; not while my own call on it is still being
   * recorded (its file is complete only once the hub has ended the call). */
  function loadRecordings(conv) {
    const recording = Boolean(call && !call.over);
    const key = `${conv.id}:${conv.state}:${recording}`;
    if (key === recordingsKey) return;
    recordingsKey = key;
    ui.recordings.hidden = false;
    if (recording) ui.recordingList.replaceChildren(recordingNote("통화가 끝나면 녹화를 볼 수 있습니다."));
    else showRecordings(ui.recordingList, conv.id, api, () => viewingId === conv.id);
  }

  return {
    /* The console now shows conversation `id` (null: none): another conversation's call ends. */
    viewing(id) {
      if (id === viewingId) return;
      viewingId = id;
      endCall();
      recordingsKey = null;
      ui.recordings.hidden = true;
      ui.recordingList.replaceChildren();
    },

    /* The open conversation as it now stands: its call runs while it is a sign_video
     * conversation assigned to me, and stops when it is resolved or moves to someone else. */
    update(conv, agent) {
      if (!conv || conv.id !== viewingId) return;
      const supervising = conv.channel === VIDEO_CHANNEL && ["supervisor", "admin"].includes(agent?.role);
      if (!holdsCall(conv, agent)) {
        endCall();
      } else if (!call) {
        const path = `/api/v1/conversations/${encodeURIComponent(conv.id)}`;
        call = new InterpreterCall(conv.id, {
          ui, toast,
          stillMine: async () => holdsCall(await api("GET", path), agent),
          // A call that ends while the conversation stays open may leave a recording to list.
          onOver: () => { if (supervising) loadRecordings(conv); },
        });
        ui.panel.hidden = false;
        call.start();
      }
      if (supervising) loadRecordings(conv);
    },
  };
}

function holdsCall(conv, agent) {
  return conv?.channel === VIDEO_CHANNEL && conv.state === "assigned"
    && Boolean(agent?.username) && conv.assigned_agent === agent.username;
}

// ---------------------------------------------------------------- one call

/* The interpreter's call on one conversation, from the camera to hanging up. After stop()
 * nothing of it is left: socket closed, camera and microphone released, peer connection
 * closed, the call line free for another call. */
class InterpreterCall {
  constructor(conversationId, { ui, toast, stillMine, onOver }) {
    this.path = `/video/agent/ws?conversation=${encodeURIComponent(conversationId)}`;
    this.ui = ui;
    this.toast = toast;
    this.stillMine = stillMine;
    this.onOver = onOver;
    this.abort = new AbortController();
    this.ended = false;       // my side of the call is closed
    this.over = false;        // and the hub's too
    this.local = null;        // my camera and microphone
    this.cameraOpened = null; // the promise of asking for them
    this.socket = null;
    this.pc = null;
    this.offered = [];        // the peer connections whose offers await the hub's answer, oldest first
    this.iceServers = [];
    this.attempt = 0;         // reconnects since the socket last worked
    this.retryTimer = null;
    this.graceTimer = null;
    this.releaseLine = () => {};
  }

  async start() {
    this.renderControls();
    renderQuality(this.ui.quality, null, false);
    this.show(VIDEO_TEXT.connecting);
    try {
      this.releaseLine = await takeCallLine(this.abort.signal, () => this.show(VIDEO_TEXT.lineBusy));
    } catch {
      return; // stopped while another call held the line
    }
    if (this.ended) this.releaseLine();
    else this.connect();
  }

  /* My camera and microphone, asked for once per call and only once the hub has taken the
   * socket (a call that is already over never turns the camera on). */
  openCamera() {
    this.cameraOpened ??= (async () => {
      this.show(VIDEO_TEXT.camera);
      try {
        const local = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
        if (this.ended) {
          stopTracks(local);
          return;
        }
        this.local = local;
        this.ui.local.srcObject = local;
        this.renderControls();
      } catch (error) {
        this.toast(`${VIDEO_TEXT.noCamera}: ${error.message || error.name}`, "error");
      }
      this.show(VIDEO_TEXT.connecting);
    })();
    return this.cameraOpened;
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${this.path}`);
    let opened = false;
    this.socket = socket;
    this.offered = [];
    this.show(this.attempt ? VIDEO_TEXT.reconnecting : VIDEO_TEXT.connecting);
    socket.onopen = () => { opened = true; };
    socket.onmessage = (event) => { if (this.socket === socket) this.onFrame(event.data); };
    socket.onclose = (event) => { if (this.socket === socket) this.onSocketClosed(event.code, opened); };
  }

  onFrame(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    switch (frame.type) {
      case "config":
        this.iceServers = Array.isArray(frame.ice_servers) ? frame.ice_servers : [];
        this.renewPeer();
        break;
      case "answer": {
        const pc = this.offered.shift();
        if (pc && pc === this.pc) {
          pc.setRemoteDescription({ type: "answer", sdp: frame.sdp }).catch((error) => this.failed(error));
        }
        break;
      }
      case "quality":
        renderQuality(this.ui.quality, frame, this.cameraOff());
        break;
      case "hangup":
        this.end(VIDEO_TEXT.citizenEnded);
        break;
      case "error":
        this.offered.shift(); // the hub refuses an offer with an error instead of an answer
        this.toast(`영상 통화: ${frame.message || frame.code}`, "error");
        break;
      default:
        break; // chat and state frames are the citizen page's
    }
  }

  async onSocketClosed(code, opened) {
    this.socket = null;
    // The hub closes the socket once the call is over (its recording written), or moved on.
    if (code === CLOSE_CALL_OVER || this.ended) this.finished(VIDEO_TEXT.over);
    else if (code === CLOSE_TRANSFERRED) this.finished(VIDEO_TEXT.transferred);
    else if (opened) this.attempt = 0;
    else await this.refused();
    if (this.ended) return;
    // A network close: media may still flow on the old peer connection until the new one
    // replaces it (at the next config frame).
    const delay = Math.min(10000, 500 * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
    this.attempt += 1;
    this.show(VIDEO_TEXT.reconnecting);
    this.retryTimer = setTimeout(() => this.reconnect(), delay);
  }

  /* Browsers hide why a WebSocket handshake failed; the hub answers the same address, asked
   * plainly, with the 403 or 404 it refused the upgrade with: then the call ends here. */
  async refused() {
    let status = 0;
    try {
      status = (await fetch(this.path, { credentials: "same-origin" })).status;
    } catch {
      return; // the network is down: keep trying
    }
    if (status === 404) this.finished(VIDEO_TEXT.over);
    else if (status === 401 || status === 403) this.finished(VIDEO_TEXT.notAllowed);
  }

  async reconnect() {
    let mine = false;
    try {
      mine = await this.stillMine();
    } catch {
      mine = true; // the hub is unreachable: the socket attempt itself will tell
    }
    if (this.ended) return;
    if (mine) this.connect();
    else this.finished(VIDEO_TEXT.over);
  }

  /* A new peer connection and a complete offer on the open socket: the first, and after
   * a reconnect or a failed connection. */
  async renewPeer() {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    await this.openCamera();
    if (this.ended || this.socket !== socket) return;
    this.closePeer();
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.pc = pc;
    const remote = new MediaStream();
    pc.ontrack = (event) => {
      remote.addTrack(event.track);
      // The previous connection's picture stays until this one brings its own.
      if (this.ui.remote.srcObject !== remote) this.ui.remote.srcObject = remote;
      this.ui.remote.play().catch(() => this.show(VIDEO_TEXT.tapToPlay));
    };
    pc.onconnectionstatechange = () => this.watchConnection(pc);
    if (this.local) {
      for (const track of this.local.getTracks()) pc.addTrack(track, this.local);
    } else {
      pc.addTransceiver("audio", { direction: "recvonly" });
      pc.addTransceiver("video", { direction: "recvonly" });
    }
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await iceGathered(pc, ICE_GATHERING_MS);
    } catch (error) {
      if (this.pc === pc) this.failed(error);
      return;
    }
    if (this.pc !== pc || this.socket !== socket || socket.readyState !== WebSocket.OPEN) return;
    this.offered.push(pc);
    socket.send(JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp }));
  }

  watchConnection(pc) {
    if (pc !== this.pc) return;
    clearTimeout(this.graceTimer);
    if (pc.connectionState === "connected") {
      this.attempt = 0;
      this.show(VIDEO_TEXT.connected);
    } else if (pc.connectionState === "failed") {
      this.show(VIDEO_TEXT.reconnecting);
      this.renewPeer();
    } else if (pc.connectionState === "disconnected") {
      this.show(VIDEO_TEXT.reconnecting);
      this.graceTimer = setTimeout(() => {
        if (this.pc === pc && pc.connectionState === "disconnected") this.renewPeer();
      }, DISCONNECTED_GRACE_MS);
    }
  }

  failed(error) {
    this.toast(`영상 연결 오류: ${error.message || error.name}`, "error");
  }

  /* Microphone or camera on/off: the track stays, disabled (the hub gets silence or black). */
  toggle(kind) {
    const tracks = this.local?.getTracks().filter((track) => track.kind === kind) || [];
    if (!tracks.length || this.ended) return;
    const on = !tracks[0].enabled;
    for (const track of tracks) track.enabled = on;
    this.renderControls();
  }

  cameraOff() {
    return this.local?.getVideoTracks().every((track) => !track.enabled) ?? false;
  }

  renderControls() {
    const { ui } = this;
    const live = Boolean(this.local) && !this.ended;
    const audioOn = this.local?.getAudioTracks().some((track) => track.enabled) ?? false;
    const videoOn = !this.cameraOff() && Boolean(this.local?.getVideoTracks().length);
    toggleButton(ui.mute, live, !audioOn, audioOn ? "마이크 끄기" : "마이크 켜기");
    toggleButton(ui.camera, live, !videoOn, videoOn ? "카메라 끄기" : "카메라 켜기");
    ui.hangup.disabled = this.ended;
    ui.panel.dataset.camera = videoOn ? "on" : "off";
  }

  show(text) {
    this.ui.status.textContent = text;
    this.ui.panel.dataset.call = this.ended ? "ended" : "live";
  }

  hangUp() {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: "hangup" }));
    this.end(VIDEO_TEXT.youEnded);
  }

  /* The call is over but the conversation stays open: the panel says why. The socket is
   * left to the hub, which closes it when it has ended the call. */
  end(text) {
    if (this.ended) return;
    this.release();
    this.show(text);
    this.renderControls();
  }

  /* The hub has let go of the call: nothing more comes of it, and a recording is complete. */
  finished(text) {
    this.end(text);
    this.over = true;
    this.onOver();
  }

  /* Leaving the call (another conversation, or this one left me): nothing of it stays. */
  stop() {
    this.release();
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000, "call closed in the console");
  }

  /* Camera, microphone, peer connection, timers and the call line; idempotent. */
  release() {
    this.ended = true;
    this.abort.abort();
    clearTimeout(this.retryTimer);
    clearTimeout(this.graceTimer);
    this.closePeer();
    stopTracks(this.local);
    this.local = null;
    this.ui.local.srcObject = null;
    this.ui.remote.srcObject = null;
    this.releaseLine();
    this.releaseLine = () => {};
  }

  closePeer() {
    const pc = this.pc;
    this.pc = null;
    if (pc) {
      pc.onconnectionstatechange = null;
      pc.ontrack = null;
      pc.close();
    }
  }
}

function toggleButton(button, enabled, pressed, text) {
  button.disabled = !enabled;
  button.setAttribute("aria-pressed", String(pressed));
  button.textContent = text;
}

function stopTracks(stream) {
  for (const track of stream?.getTracks() || []) track.stop();
}

/* Resolves when the peer connection has gathered its candidates, or after `ms` at most. */
function iceGathered(pc, ms) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => { if (pc.iceGatheringState === "complete") done(); };
    const timer = setTimeout(done, ms);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

/* The browser's one video call line (a Web Lock, shared by the console's tabs). Resolves with
 * the function that frees it; calls onBusy while another call holds it and waits for it to be
 * free; rejects when `signal` aborts the wait. */
function takeCallLine(signal, onBusy) {
  if (!navigator.locks) return Promise.resolve(() => {});
  return new Promise((resolve, reject) => {
    const hold = () => new Promise((release) => resolve(release));
    navigator.locks.request(CALL_LINE_LOCK, { ifAvailable: true }, (lock) => {
      if (lock) return hold();
      onBusy();
      navigator.locks.request(CALL_LINE_LOCK, { signal }, hold).catch(reject);
      return null;
    }).catch(reject);
  });
}

// ---------------------------------------------------------------- call quality

/* Both sides' connection to the hub as a small table; a poor side says so in words. */
function renderQuality(node, frame, cameraOff) {
  const cell = (tag, text, props = {}) => Object.assign(document.createElement(tag), { textContent: text, ...props });
  const head = document.createElement("tr");
  for (const [text, title] of QUALITY_COLUMNS) head.append(cell("th", text, { scope: "col", title }));
  const rows = Object.entries(QUALITY_SIDES).map(([side, name]) => {
    const quality = frame ? frame[side] : undefined;
    const verdict = qualityVerdict(quality, side === "interpreter" && cameraOff);
    const row = document.createElement("tr");
    row.dataset.side = side;
    row.dataset.quality = verdict.level;
    row.append(
      cell("th", name, { scope: "row" }),
      cell("td", kbps(quality?.received_kbps)),
      cell("td", kbps(quality?.sent_kbps)),
      cell("td", quality?.frame_rate == null ? "—" : `${Math.round(quality.frame_rate)} fps`),
      cell("td", `${percent(quality?.packet_loss)} / ${percent(quality?.remote_packet_loss)}`),
      cell("td", quality?.round_trip_ms == null ? "—" : `${Math.round(quality.round_trip_ms)} ms`),
      cell("td", verdict.text, { className: "quality-verdict" }));
    return row;
  });
  const table = document.createElement("table");
  table.append(cell("caption", "통화 품질 (허브 기준, 2초마다)"), head, ...rows);
  node.replaceChildren(table);
}

const kbps = (value) => (value == null ? "—" : `${Math.round(value)} kbps`);
const percent = (value) => (value == null ? "—" : `${(value * 100).toFixed(1)}%`);

/* good, poor (with the reason) or unknown. My own frame rate is not judged while my camera
 * is off: the browser then sends a black picture at a frame or so a second on purpose. */
function qualityVerdict(quality, cameraOff) {
  if (quality === undefined) return { level: "unknown", text: "측정 전" };
  if (quality === null) return { level: "unknown", text: "연결 안 됨" };
  const reasons = [];
  const loss = Math.max(quality.packet_loss ?? 0, quality.remote_packet_loss ?? 0);
  if (loss > POOR.loss) reasons.push(`손실 ${(loss * 100).toFixed(1)}%`);
  if (!cameraOff && quality.frame_rate != null && quality.frame_rate < POOR.frameRate) {
    reasons.push(`초당 ${Math.round(quality.frame_rate)}프레임`);
  }
  if (quality.round_trip_ms != null && quality.round_trip_ms > POOR.roundTripMs) {
    reasons.push(`지연 ${Math.round(quality.round_trip_ms)} ms`);
  }
  if (reasons.length) return { level: "poor", text: `나쁨: ${reasons.join(", ")}` };
  const measured = Object.values(quality).some((value) => value != null);
  return measured ? { level: "good", text: "좋음" } : { level: "unknown", text: "측정 중" };
}

// ---------------------------------------------------------------- recordings (supervisors)

/* The conversation's recordings as players; `current()` says whether the list is still wanted. */
async function showRecordings(list, conversationId, api, current) {
  let recordings;
  try {
    const data = await api("GET", `/video/api/conversations/${encodeURIComponent(conversationId)}/recordings`);
    recordings = Array.isArray(data?.recordings) ? data.recordings : [];
  } catch (error) {
    if (current()) list.replaceChildren(recordingNote(`녹화 목록을 불러오지 못했습니다: ${error.message}`));
    return;
  }
  if (!current()) return;
  const playable = recordings.filter((recording) => sameOriginPath(recording.url));
  if (!playable.length) {
    list.replaceChildren(recordingNote("녹화 없음 (시민이 녹화에 동의하지 않았습니다)"));
    return;
  }
  list.replaceChildren(...playable.map((recording) => {
    const item = document.createElement("li");
    const player = document.createElement("video");
    player.controls = true;
    player.preload = "metadata";
    player.dataset.testid = "video-recording";
    player.src = sameOriginPath(recording.url);
    const when = Date.parse(recording.recorded_at);
    const size = Number(recording.bytes);
    const caption = document.createElement("span");
    caption.className = "muted";
    caption.textContent = [
      Number.isNaN(when) ? "" : new Date(when).toLocaleString("ko-KR", { dateStyle: "short", timeStyle: "short" }),
      Number.isFinite(size) ? fileSize(size) : "",
    ].filter(Boolean).join(" · ");
    item.append(player, caption);
    return item;
  }));
}

const fileSize = (bytes) => (bytes < 1048576 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / 1048576).toFixed(1)} MB`);

function recordingNote(text) {
  const item = document.createElement("li");
  item.className = "muted";
  item.textContent = text;
  return item;
}

/* Only the hub's own addresses are played (never another site's). */
function sameOriginPath(raw) {
  if (typeof raw !== "string") return null;
  try {
    const url = new URL(raw, location.href);
    return url.origin === location.origin ? url.pathname + url.search : null;
  } catch {
    return null;
  }
}
