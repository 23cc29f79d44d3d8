/* Seoul 120 sign-language video consultation: the deaf citizen's page.
 *
 * The page previews the camera, asks the hub for a call (POST api/calls), then signals on the
 * hub's socket with the frames of sign_video/signalling.py: hello, config, offer/answer, state,
 * chat, hangup. The page always offers and the hub always answers, also after a network change
 * (a new peer connection and a new offer). The call's token lives in sessionStorage, never in a
 * URL, so a reload resumes the same call. Server and citizen texts reach the DOM through
 * textContent only.
 */
(function () {
  "use strict";

  const LANGUAGES = ["ko", "en", "zh", "ja", "vi", "mn"];
  const CALL_KEY = "dasan.video.call"; // {token, conversation_id} of the call under way
  const CODE_KEY = "dasan.video.code"; // the web chat's one-time code, until the hub has it
  const GATHER_CAP_MS = 3000; // no trickle ICE: the offer waits for its candidates, this long at most
  const DISCONNECTED_GRACE_MS = 4000; // a "disconnected" peer often recovers by itself
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 10000;
  // The hub's close codes: a token it does not know (any more), a page another one took the
  // call from (a duplicated tab), a call that is over.
  const UNKNOWN_CALL = 4401;
  const REPLACED = 4409;
  const CALL_OVER = 4410;
  const WEAK_LOSS = 0.05;
  const WEAK_ROUND_TRIP_MS = 600;
  // Shown only when not even the texts could be loaded, so in both Korean and English.
  const OFFLINE = "\uc778\ud130\ub137 \uc5f0\uacb0\uc744 \ud655\uc778\ud55c \ub4a4 \uc0c8\ub85c\uace0\uce68\ud574 \uc8fc\uc138\uc694. / " +
    "Check your internet connection and reload the page.";

  const byId = (id) => document.getElementById(id);
  const ui = {
    language: byId("language"),
    status: byId("status"),
    queue: byId("queue"),
    weak: byId("weak"),
    remote: byId("remote"),
    remoteWaiting: byId("remote-waiting"),
    local: byId("local"),
    mic: byId("mic"),
    micLevel: byId("mic-level"),
    consent: byId("consent"),
    connect: byId("connect"),
    retry: byId("retry"),
    messages: byId("messages"),
    chatForm: byId("chat-form"),
    chatInput: byId("chat-input"),
    chatSend: byId("chat-send"),
    hangup: byId("hangup"),
  };

  let language = "ko";
  let texts = {};
  let situation = null; // what video-status says: {key, vars, tone} or {raw, tone}
  let queued = null; // {position, seconds} while waiting for an interpreter
  let camera = null; // the citizen's camera (and microphone) stream
  let micMeter = null; // {context, frame}
  let call = null; // {token, conversation_id} while a call is under way
  let ws = null;
  let pc = null;
  let iceServers = [];
  let offersInFlight = 0; // offers sent on this socket and not answered yet
  let attempt = 0; // socket reconnections since the hub last accepted one
  let reconnectTimer = null;
  let disconnectedTimer = null;

  // ------------------------------------------------------------ storage

  // sessionStorage can be missing or throw (privacy modes): the call then just cannot resume.
  function stored(key) {
    try { return window.sessionStorage.getItem(key); } catch (e) { return null; }
  }
  function store(key, value) {
    try {
      if (value == null) window.sessionStorage.removeItem(key);
      else window.sessionStorage.setItem(key, value);
    } catch (e) { /* nothing to resume after a reload */ }
  }

  function readCall() {
    try {
      const value = JSON.parse(stored(CALL_KEY) || "null");
      return value && typeof value.token === "string" ? value : null;
    } catch (e) {
      return null;
    }
  }

  /* The web chat's code arrives in the address; it moves to sessionStorage at once so that it
   * is neither bookmarked nor shared with the link, and is sent with the first call. */
  function takeCodeFromAddress() {
    const url = new URL(location.href);
    const code = url.searchParams.get("code");
    if (!code) return;
    store(CODE_KEY, code);
    url.searchParams.delete("code");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }

  // ------------------------------------------------------------ texts

  function t(key, vars) {
    let text = texts[key] || key;
    for (const name in vars || {}) text = text.split(`{${name}}`).join(String(vars[name]));
    return text;
  }

  function pickLanguage() {
    const wanted = new URL(location.href).searchParams.get("lang");
    if (LANGUAGES.includes(wanted)) return wanted;
    for (const tag of navigator.languages || [navigator.language || ""]) {
      const code = tag.slice(0, 2).toLowerCase();
      if (LANGUAGES.includes(code)) return code;
    }
    return "ko";
  }

  async function loadTexts(code) {
    const response = await fetch(`i18n/${code}.json`, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`texts: HTTP ${response.status}`);
    return response.json();
  }

  /* Speak `code` from now on; false when its texts could not be loaded. */
  async function useLanguage(code) {
    try {
      texts = await loadTexts(code);
    } catch (e) {
      return false;
    }
    language = code;
    ui.language.value = code;
    document.documentElement.lang = code;
    document.title = t("video.title");
    for (const node of document.querySelectorAll("[data-text]")) node.textContent = t(node.dataset.text);
    ui.chatInput.placeholder = t("video.chat_label");
    for (const line of ui.messages.querySelectorAll(".line")) {
      line.querySelector(".who").textContent = authorLabel(line.dataset.author);
    }
    renderStatus();
    renderQueue();
    return true;
  }

  /* The picker: the page changes at once, and a reload keeps the choice (?lang= in the address). */
  async function chooseLanguage(code) {
    if (!LANGUAGES.includes(code) || !(await useLanguage(code))) {
      ui.language.value = language;
      return;
    }
    const url = new URL(location.href);
    url.searchParams.set("lang", code);
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }

  // ------------------------------------------------------------ what the citizen reads

  function say(key, tone, vars) {
    situation = { key, vars, tone };
    renderStatus();
  }

  function sayRaw(text, tone) {
    situation = { raw: text, tone };
    renderStatus();
  }

  function renderStatus() {
    if (!situation) return;
    ui.status.textContent = situation.raw || t(situation.key, situation.vars);
    if (situation.tone) ui.status.dataset.tone = situation.tone;
    else delete ui.status.dataset.tone;
  }

  function renderQueue() {
    ui.queue.hidden = !queued;
    if (!queued) return;
    const minutes = Math.max(1, Math.ceil(queued.seconds / 60));
    ui.queue.textContent = t("video.queue_position", { position: queued.position, minutes });
  }

  function setPhase(phase) {
    document.body.dataset.phase = phase; // preview | call | ended: video.css shows what each needs
  }

  function setButtonText(button, key) {
    button.dataset.text = key;
    button.textContent = t(key);
  }

  function setChatEnabled(enabled) {
    ui.chatInput.disabled = !enabled;
    ui.chatSend.disabled = !enabled;
  }

  function authorLabel(author) {
    if (author === "citizen") return t("video.you");
    if (author === "interpreter") return t("video.interpreter");
    return t("video.centre");
  }

  function addLine(author, text) {
    const who = author === "citizen" || author === "interpreter" ? author : "centre";
    const line = document.createElement("li");
    line.className = `line ${who}`;
    line.dataset.author = who;
    const label = document.createElement("span");
    label.className = "who";
    label.textContent = authorLabel(who);
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    line.append(label, body);
    ui.messages.append(line);
    ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  // ------------------------------------------------------------ camera and microphone

  function cameraProblem(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") return "video.camera_denied";
    if (name === "NotFoundError" || name === "OverconstrainedError") return "video.camera_missing";
    return "video.camera_failed";
  }

  /* Camera and microphone; a camera alone when there is no microphone (signing needs only the
   * picture). */
  async function openCamera() {
    const video = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 }, facingMode: "user" };
    try {
      return await navigator.mediaDevices.getUserMedia({ video, audio: true });
    } catch (error) {
      if (error.name !== "NotFoundError") throw error;
      return navigator.mediaDevices.getUserMedia({ video });
    }
  }

  /* Start the preview; connecting stays disabled until a camera works. */
  async function startCamera() {
    ui.connect.disabled = true;
    ui.retry.hidden = true;
    if (!call) setPhase("preview");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.RTCPeerConnection) {
      say("video.camera_unsupported", "error");
      return false;
    }
    say("video.camera_starting");
    try {
      camera = await openCamera();
    } catch (error) {
      say(cameraProblem(error), "error");
      ui.retry.hidden = false;
      return false;
    }
    ui.local.srcObject = camera;
    startMicMeter(camera);
    ui.connect.disabled = false;
    say("video.ready");
    return true;
  }

  function stopCamera() {
    stopMicMeter();
    if (camera) for (const track of camera.getTracks()) track.stop();
    camera = null;
    ui.local.srcObject = null;
  }

  /* A level bar, so the citizen sees that the microphone hears them before the call. */
  function startMicMeter(stream) {
    const AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!AudioContext || stream.getAudioTracks().length === 0) return;
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 512;
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    micMeter = { context, frame: 0 };
    const draw = () => {
      analyser.getByteTimeDomainData(samples);
      let peak = 0;
      for (const sample of samples) peak = Math.max(peak, Math.abs(sample - 128));
      ui.micLevel.value = peak / 128;
      if (micMeter && micMeter.context === context) micMeter.frame = requestAnimationFrame(draw);
    };
    draw();
    ui.mic.hidden = false;
    // Browsers start audio only after the first gesture on the page.
    if (context.state === "suspended") afterGesture(() => context.resume());
  }

  function stopMicMeter() {
    if (!micMeter) return;
    cancelAnimationFrame(micMeter.frame);
    micMeter.context.close();
    micMeter = null;
    ui.mic.hidden = true;
  }

  function afterGesture(action) {
    const once = () => {
      document.removeEventListener("pointerdown", once, true);
      document.removeEventListener("keydown", once, true);
      action();
    };
    document.addEventListener("pointerdown", once, true);
    document.addEventListener("keydown", once, true);
  }

  // ------------------------------------------------------------ the call

  /* "Connect to an interpreter" (and "call again"): the hub creates the call, then the socket. */
  async function requestCall() {
    if (!camera && !(await startCamera())) return;
    ui.connect.disabled = true;
    ui.consent.disabled = true;
    say("video.requesting");
    const code = stored(CODE_KEY);
    const body = { language, consent: ui.consent.checked };
    if (code) body.code = code;
    let response;
    try {
      response = await fetch("api/calls", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch (e) {
      refused("video.network_error");
      return;
    }
    const answer = await response.json().catch(() => null); // a proxy's error page is no JSON
    // A 4xx means the hub has read (and spent or refused) the code; after a 5xx it may still be good.
    if (code && response.status < 500) store(CODE_KEY, null);
    if (response.status === 201 && answer && typeof answer.token === "string") {
      call = { token: answer.token, conversation_id: answer.conversation_id };
      store(CALL_KEY, JSON.stringify(call));
      ui.messages.replaceChildren(); // a new call starts with an empty chat
      joinCall();
      return;
    }
    const reason = answer && answer.error && answer.error.code;
    if (reason === "video_busy") refused("video.busy");
    else if (reason === "unknown_video_code") refused("video.code_expired", "");
    else refused("video.request_failed");
  }

  function refused(key, tone) {
    say(key, tone === undefined ? "error" : tone);
    ui.connect.disabled = false;
    ui.consent.disabled = false;
  }

  function joinCall() {
    setPhase("call");
    queued = null;
    renderQueue();
    ui.remoteWaiting.hidden = false;
    ui.hangup.disabled = false;
    say("video.requesting");
    openSocket();
  }

  /* The call is over here (hung up, ended by the hub, gone, or taken over by another tab): stop
   * every medium, say why, offer to call again. */
  function endCall(reason) {
    call = null;
    store(CALL_KEY, null);
    clearTimeout(reconnectTimer);
    closeSocket();
    closePeer();
    stopCamera();
    ui.remote.srcObject = null;
    queued = null;
    renderQueue();
    ui.weak.hidden = true;
    setChatEnabled(false);
    ui.hangup.disabled = true;
    ui.consent.disabled = false;
    ui.consent.checked = false; // each call asks anew
    ui.connect.disabled = false;
    setButtonText(ui.connect, "video.call_again");
    setPhase("ended");
    say(reason || "video.ended");
  }

  function hangUp() {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "hangup" }));
    endCall();
  }

  function sendChat(event) {
    event.preventDefault();
    const text = ui.chatInput.value.trim();
    if (!text || !ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ type: "chat", text }));
    addLine("citizen", text); // the hub does not echo the citizen's own lines
    ui.chatInput.value = "";
    ui.chatInput.focus();
  }

  // ------------------------------------------------------------ signalling socket

  function socketUrl() {
    const url = new URL("ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    return url.href;
  }

  function openSocket() {
    clearTimeout(reconnectTimer);
    offersInFlight = 0;
    const socket = new WebSocket(socketUrl());
    ws = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: "hello", token: call.token }));
    socket.onmessage = (event) => {
      if (socket === ws) onFrame(event.data);
    };
    socket.onclose = (event) => {
      if (socket !== ws) return;
      ws = null;
      onSocketLost(event.code);
    };
  }

  function closeSocket() {
    const socket = ws;
    ws = null; // its close event is then no news
    if (socket) socket.close(1000);
  }

  /* The socket went away while the call is on (a network change): come back with the same token
   * after 1 s, 2 s, 4 s ... at most 10 s; the hub keeps the call meanwhile. */
  function onSocketLost(code) {
    setChatEnabled(false);
    if (!call) return;
    if (code === UNKNOWN_CALL || code === CALL_OVER || code === REPLACED) {
      endCall(code === REPLACED ? "video.elsewhere" : "video.ended");
      return;
    }
    say("video.network_lost", "error");
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
    attempt += 1;
    reconnectTimer = setTimeout(openSocket, delay);
  }

  function onFrame(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch (e) {
      return;
    }
    if (frame.type === "config") onConfig(frame);
    else if (frame.type === "answer") onAnswer(frame.sdp);
    else if (frame.type === "state") onState(frame);
    else if (frame.type === "chat" && typeof frame.text === "string") addLine(frame.author, frame.text);
    else if (frame.type === "quality") onQuality(frame);
    else if (frame.type === "hangup") endCall();
    else if (frame.type === "error" && frame.message) sayRaw(frame.message, "error");
  }

  /* The hub accepted the socket: chat opens, and media starts flowing while the citizen waits. */
  function onConfig(frame) {
    attempt = 0;
    iceServers = Array.isArray(frame.ice_servers) ? frame.ice_servers : [];
    setChatEnabled(true);
    if (situation && situation.key === "video.network_lost") say("video.requesting");
    startPeer();
  }

  function onState(frame) {
    if (frame.state === "ended") {
      endCall();
      return;
    }
    queued = frame.state === "queued" ? { position: frame.position, seconds: frame.expected_wait_seconds || 0 } : null;
    renderQueue();
    ui.remoteWaiting.hidden = frame.state === "connected";
    if (frame.state === "queued") say("video.queued");
    else if (frame.state === "connected") say("video.connected", "good");
    else if (frame.state === "reconnecting") say("video.interpreter_lost");
  }

  function onQuality(frame) {
    const mine = frame.citizen;
    ui.weak.hidden = !mine || !(
      mine.packet_loss > WEAK_LOSS || mine.remote_packet_loss > WEAK_LOSS || mine.round_trip_ms > WEAK_ROUND_TRIP_MS
    );
  }

  // ------------------------------------------------------------ peer connection

  /* A new peer connection and a complete offer (the hub's aiortc has no ICE restart). */
  async function startPeer() {
    closePeer();
    const peer = new RTCPeerConnection({ iceServers });
    pc = peer;
    for (const track of camera.getTracks()) peer.addTransceiver(track, { direction: "sendrecv", streams: [camera] });
    // Without a microphone the interpreter's voice still comes (for a hearing companion).
    if (camera.getAudioTracks().length === 0) peer.addTransceiver("audio", { direction: "recvonly" });
    const interpreter = new MediaStream();
    peer.ontrack = (event) => {
      interpreter.addTrack(event.track);
      if (ui.remote.srcObject !== interpreter) {
        ui.remote.srcObject = interpreter;
        playInterpreter();
      }
    };
    peer.onconnectionstatechange = () => watchPeer(peer);
    try {
      await peer.setLocalDescription(await peer.createOffer());
      await gathered(peer);
    } catch (e) {
      if (peer === pc) say("video.media_failed", "error");
      return;
    }
    if (peer !== pc || !ws || ws.readyState !== WebSocket.OPEN) return; // replaced meanwhile
    offersInFlight += 1;
    ws.send(JSON.stringify({ type: "offer", sdp: peer.localDescription.sdp }));
  }

  function gathered(peer) {
    if (peer.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(cap);
        peer.removeEventListener("icegatheringstatechange", check);
        resolve();
      };
      const check = () => {
        if (peer.iceGatheringState === "complete") done();
      };
      const cap = setTimeout(done, GATHER_CAP_MS);
      peer.addEventListener("icegatheringstatechange", check);
    });
  }

  /* The hub answers offers in order: only the answer to the latest one fits the current peer. */
  async function onAnswer(sdp) {
    offersInFlight = Math.max(0, offersInFlight - 1);
    if (offersInFlight > 0 || !pc || pc.signalingState !== "have-local-offer") return;
    try {
      await pc.setRemoteDescription({ type: "answer", sdp });
    } catch (e) {
      say("video.media_failed", "error");
    }
  }

  function watchPeer(peer) {
    if (peer !== pc) return;
    clearTimeout(disconnectedTimer);
    if (peer.connectionState === "failed") renewPeer();
    else if (peer.connectionState === "disconnected") {
      disconnectedTimer = setTimeout(() => {
        if (peer === pc && peer.connectionState === "disconnected") renewPeer();
      }, DISCONNECTED_GRACE_MS);
    }
  }

  /* A failed connection gets a new one on the same socket; without a socket, its return does it. */
  function renewPeer() {
    if (call && camera && ws && ws.readyState === WebSocket.OPEN) startPeer();
  }

  function closePeer() {
    clearTimeout(disconnectedTimer);
    if (!pc) return;
    pc.ontrack = null;
    pc.onconnectionstatechange = null;
    pc.close();
    pc = null;
  }

  /* Browsers refuse to start sound without a gesture (a resumed call after a reload): the
   * picture then starts muted and the sound comes with the citizen's next tap or key. */
  function playInterpreter() {
    ui.remote.muted = false;
    ui.remote.play().catch(() => {
      ui.remote.muted = true;
      ui.remote.play().catch(() => {});
      afterGesture(() => { ui.remote.muted = false; });
    });
  }

  // ------------------------------------------------------------ start

  async function start() {
    ui.language.addEventListener("change", () => chooseLanguage(ui.language.value));
    ui.connect.addEventListener("click", requestCall);
    ui.retry.addEventListener("click", async () => {
      if ((await startCamera()) && call) joinCall();
    });
    ui.hangup.addEventListener("click", hangUp);
    ui.chatForm.addEventListener("submit", sendChat);
    window.addEventListener("online", () => {
      if (call && !ws) openSocket();
    });

    takeCodeFromAddress();
    if (!(await useLanguage(pickLanguage())) && !(await useLanguage("ko"))) {
      sayRaw(OFFLINE, "error");
      return;
    }
    call = readCall();
    // A reload (or a network change that reloaded the page) resumes the call under way.
    if ((await startCamera()) && call) joinCall();
  }

  start();
})();
