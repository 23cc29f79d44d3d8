/* Dasan Hub web chat widget (120 Dasan Call Foundation chat).
 *
 * Embedding: <script src="https://HUB/webchat/widget.js" data-language="ko" async></script>
 * Contract: docs/api.md, "Web chat widget". Everything renders inside an open Shadow DOM so
 * the host page's CSS cannot break it (and ours cannot leak out). Every server or citizen
 * text reaches the DOM through textContent only: no innerHTML anywhere in this file.
 */
(function () {
  "use strict";

  if (window.__dasanWebchat) return; // the tag pasted twice must not give two widgets
  window.__dasanWebchat = true;

  const LANGUAGES = ["ko", "en", "zh", "ja", "vi", "mn"];
  const SESSION_KEY = "dasan.webchat.session";
  const LANGUAGE_KEY = "dasan.webchat.language"; // the language the citizen picked, if any
  // Each language by its own name, so that a citizen finds theirs without reading Korean.
  const LANGUAGE_NAMES = { ko: "\ud55c\uad6d\uc5b4", en: "English", zh: "\u4e2d\u6587", ja: "\u65e5\u672c\u8a9e",
    vi: "Ti\u1ebfng Vi\u1ec7t", mn: "\u041c\u043e\u043d\u0433\u043e\u043b" };
  const OPEN_KEY = "dasan.webchat.open";
  const ENDED_KEY = "dasan.webchat.ended"; // {"conversation": id, "after": last message id} the citizen closed
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 10000;

  // Built-in Korean texts, used until (or if never) the hub's i18n file arrives.
  // This file stays pure ASCII (Korean as \u escapes): a city page in EUC-KR would
  // otherwise decode UTF-8 literals as mojibake when the hub sends no charset.
  const DEFAULT_TEXTS = {
    "widget.title": "120 \ub2e4\uc0b0\ucf5c\uc7ac\ub2e8 \ucc44\ud305\uc0c1\ub2f4", // 120 Dasan Call Foundation chat
    "widget.launcher": "120 \ucc44\ud305\uc0c1\ub2f4", // 120 chat
    "widget.placeholder": "\ubb38\uc758\ud558\uc2e4 \ub0b4\uc6a9\uc744 \uc785\ub825\ud558\uc138\uc694", // Type your question
    "widget.send": "\ubcf4\ub0b4\uae30", // Send
    "widget.end": "\uc0c1\ub2f4 \uc885\ub8cc", // End chat
    "widget.connecting": "\uc5f0\uacb0 \uc911\uc785\ub2c8\ub2e4\u2026", // Connecting...
    "widget.reconnecting": "\uc5f0\uacb0\uc774 \ub04a\uc5b4\uc84c\uc2b5\ub2c8\ub2e4. \ub2e4\uc2dc \uc5f0\uacb0\ud558\ub294 \uc911\uc785\ub2c8\ub2e4\u2026", // Disconnected. Reconnecting...
    "widget.queue_position": "\uc0c1\ub2f4\uc0ac \uc5f0\uacb0\uc744 \uae30\ub2e4\ub9ac\uace0 \uc788\uc2b5\ub2c8\ub2e4. \ub300\uae30 \uc21c\ubc88: {position}", // Waiting for an agent. Position: {position}
    "widget.agent_joined": "\uc0c1\ub2f4\uc0ac\uac00 \uc5f0\uacb0\ub418\uc5c8\uc2b5\ub2c8\ub2e4.", // An agent has joined.
    "widget.ended": "\uc0c1\ub2f4\uc774 \uc885\ub8cc\ub418\uc5c8\uc2b5\ub2c8\ub2e4. \uc774\uc6a9\ud574 \uc8fc\uc154\uc11c \uac10\uc0ac\ud569\ub2c8\ub2e4.", // The chat has ended. Thank you.
    "widget.video": "\uc218\uc5b4 \uc601\uc0c1\uc0c1\ub2f4", // Sign-language video
    "widget.video_failed": "\uc218\uc5b4 \uc601\uc0c1\uc0c1\ub2f4 \ud654\uba74\uc744 \uc5f4\uc9c0 \ubabb\ud588\uc2b5\ub2c8\ub2e4. \uc7a0\uc2dc \ub4a4 \ub2e4\uc2dc \uc2dc\ub3c4\ud574 \uc8fc\uc138\uc694.", // The video page could not be opened.
    "widget.too_many": "\uba54\uc2dc\uc9c0\ub97c \ub108\ubb34 \ube68\ub9ac \ubcf4\ub0b4\uace0 \uc788\uc2b5\ub2c8\ub2e4. \uc7a0\uc2dc \ud6c4 \ub2e4\uc2dc \ubcf4\ub0b4 \uc8fc\uc138\uc694.", // Sending too fast: send again in a moment.
  };

  // The label over an agent's bubble, until the hub's texts carry "widget.agent_label".
  const AGENT_LABELS = {
    ko: "\uc0c1\ub2f4\uc0ac", // sangdamsa
    en: "Agent",
    zh: "\u5ba2\u670d", // kefu
    ja: "\u76f8\u8ac7\u54e1", // soudanin
    vi: "T\u01b0 v\u1ea5n vi\u00ean", // tu van vien
    mn: "\u0417\u04e9\u0432\u043b\u04e9\u0445", // zovlokh
  };

  // Must be read now: document.currentScript is only set while this file first runs.
  const script = document.currentScript || findScriptTag();
  const hubBase = baseUrl(script);
  // The citizen's own choice (the picker in the header) beats the page's data-language.
  let chosenLanguage = LANGUAGES.includes(load(LANGUAGE_KEY)) ? load(LANGUAGE_KEY) : null;
  let language = chosenLanguage || pickLanguage(script);

  DEFAULT_TEXTS["widget.agent_label"] = AGENT_LABELS[language] || AGENT_LABELS.ko;
  let texts = Object.assign({}, DEFAULT_TEXTS);
  let ui = null;                      // shadow DOM nodes, see buildUi()
  let ws = null;
  let ready = false;                  // true once `welcome` arrived on the current socket
  let attempt = 0;                    // reconnect attempts since the last welcome
  let reconnectTimer = null;
  let connection = "idle";            // idle | connecting | reconnecting | open
  let conversation = null;            // {id, state, queue, queue_position} or null
  let ended = readEnded();            // the conversation the citizen closed here, see endConversation()
  let notice = "";                    // last error from the hub, shown until the next change
  const rendered = new Map();         // message id -> <li>
  const pending = new Map();          // client_id -> {text, node}: sent but not acknowledged

  // ------------------------------------------------------------ setup

  function findScriptTag() {
    const tags = document.querySelectorAll("script[src]");
    for (const tag of tags) {
      if (/\/webchat\/widget\.js(?:[?#].*)?$/.test(tag.src)) return tag;
    }
    return null;
  }

  /* The hub is wherever widget.js came from (a path prefix behind a proxy is kept). */
  function baseUrl(tag) {
    if (!tag || !tag.src) return location.origin;
    const url = new URL(tag.src, location.href);
    return url.origin + url.pathname.replace(/\/webchat\/widget\.js$/, "");
  }

  function pickLanguage(tag) {
    const wanted = tag && tag.dataset.language;
    if (wanted && LANGUAGES.includes(wanted)) return wanted;
    const browser = (navigator.language || "").slice(0, 2).toLowerCase();
    return LANGUAGES.includes(browser) ? browser : "ko";
  }

  // localStorage can be missing or throw (privacy modes, sandboxed frames): degrade quietly.
  function load(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function save(key, value) {
    try {
      if (value == null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, value);
    } catch (e) { /* the chat still works, it just forgets across reloads */ }
  }

  function readEnded() {
    try {
      const value = JSON.parse(load(ENDED_KEY) || "null");
      return value && typeof value.conversation === "string" ? value : null;
    } catch (e) {
      return null;
    }
  }

  function setEnded(value) {
    ended = value;
    save(ENDED_KEY, value ? JSON.stringify(value) : null);
  }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    const bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // RFC 4122 version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // ------------------------------------------------------------ texts

  function t(key, vars) {
    let text = texts[key] || DEFAULT_TEXTS[key] || key;
    for (const name in vars || {}) text = text.split(`{${name}}`).join(String(vars[name]));
    return text;
  }

  /* The i18n file may be flat ({"widget.title": ...}) or nested ({"widget": {"title": ...}}). */
  function flatten(data, prefix, out) {
    for (const key of Object.keys(data || {})) {
      const value = data[key];
      const path = prefix ? `${prefix}.${key}` : key;
      if (value && typeof value === "object") flatten(value, path, out);
      else if (typeof value === "string") out[path] = value;
    }
    return out;
  }

  /* The citizen picked a language: the widget speaks it at once, and the hub is told with
   * every message from now on (it then answers and routes in that language). */
  function chooseLanguage(code) {
    if (!LANGUAGES.includes(code)) return;
    chosenLanguage = language = code;
    save(LANGUAGE_KEY, code);
    DEFAULT_TEXTS["widget.agent_label"] = AGENT_LABELS[code] || AGENT_LABELS.ko;
    loadTexts();
  }

  async function loadTexts() {
    try {
      const response = await fetch(`${hubBase}/webchat/i18n/${language}.json`, { credentials: "omit" });
      if (!response.ok) return;
      texts = Object.assign({}, DEFAULT_TEXTS, flatten(await response.json(), "", {}));
      applyTexts();
    } catch (e) {
      // Offline or blocked: the built-in Korean texts stay.
    }
  }

  function applyTexts() {
    if (!ui) return;
    ui.launcher.textContent = t("widget.launcher");
    ui.title.textContent = t("widget.title");
    ui.panel.setAttribute("aria-label", t("widget.title"));
    ui.input.placeholder = t("widget.placeholder");
    ui.send.textContent = t("widget.send");
    ui.end.textContent = t("widget.end");
    ui.video.textContent = t("widget.video");
    renderStatus();
  }

  // ------------------------------------------------------------ DOM

  function h(tag, props, children) {
    const node = document.createElement(tag);
    for (const key of Object.keys(props || {})) {
      const value = props[key];
      if (value == null) continue;
      if (key === "className") node.className = value;
      else if (key === "text") node.textContent = String(value);
      else node.setAttribute(key, String(value));
    }
    for (const child of children || []) if (child) node.append(child);
    return node;
  }

  function buildUi() {
    const host = document.createElement("div");
    host.id = "dasan-webchat";
    const root = host.attachShadow({ mode: "open" });

    const style = document.createElement("style");
    style.textContent = STYLE;
    const launcher = h("button", { type: "button", className: "launcher", "data-testid": "chat-launcher",
      "aria-expanded": "false", "aria-controls": "dasan-chat-panel", text: t("widget.launcher") });
    const title = h("h2", { className: "title", text: t("widget.title") });
    const end = h("button", { type: "button", className: "end", "data-testid": "chat-end", text: t("widget.end") });
    const close = h("button", { type: "button", className: "close", "aria-label": "\ub2eb\uae30" /* close */, text: "\u00d7" });
    const picker = h("select", { className: "language", "data-testid": "chat-language", "aria-label": "Language" },
      LANGUAGES.map((code) => h("option", { value: code, text: LANGUAGE_NAMES[code] })));
    picker.value = language;
    picker.addEventListener("change", () => chooseLanguage(picker.value));
    const status = h("div", { className: "status", "data-testid": "chat-status", role: "status", "aria-live": "polite" });
    const video = h("button", { type: "button", className: "video", "data-testid": "chat-video", text: t("widget.video") });
    const messages = h("ol", { className: "messages", "data-testid": "chat-messages", "aria-live": "polite" });
    const input = h("textarea", { className: "input", "data-testid": "chat-input", rows: "1",
      maxlength: "2000", placeholder: t("widget.placeholder"), "aria-label": t("widget.placeholder") });
    const send = h("button", { type: "submit", className: "send", "data-testid": "chat-send", text: t("widget.send") });
    const form = h("form", { className: "composer" }, [input, send]);
    const panel = h("section", { id: "dasan-chat-panel", className: "panel", "data-testid": "chat-panel",
      role: "dialog", "aria-label": t("widget.title") },
      [h("header", { className: "header" }, [title, picker, end, close]), status,
        h("div", { className: "tools" }, [video]), messages, form]);
    panel.hidden = true;
    root.append(style, h("div", { className: "dock" }, [panel, launcher]));

    launcher.addEventListener("click", () => setOpen(panel.hidden));
    close.addEventListener("click", () => setOpen(false));
    end.addEventListener("click", endConversation);
    video.addEventListener("click", openVideo);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitInput();
    });
    input.addEventListener("keydown", onInputKeydown);
    input.addEventListener("input", autosize);
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") setOpen(false);
    });

    document.body.append(host);
    return { host, launcher, panel, title, end, video, status, messages, input, send };
  }

  function setOpen(open) {
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    ui.launcher.classList.remove("unread");
    ui.host.toggleAttribute("data-open", open);
    save(OPEN_KEY, open ? "1" : null); // reopen on the next page of the city site
    if (open) {
      if (connection === "idle") connect();
      ui.input.focus();
      scrollToEnd();
    }
  }

  function autosize() {
    ui.input.style.height = "auto";
    ui.input.style.height = `${Math.min(ui.input.scrollHeight, 120)}px`;
  }

  function scrollToEnd() {
    ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  // ------------------------------------------------------------ status line

  function renderStatus() {
    ui.status.textContent = statusText();
    ui.status.hidden = ui.status.textContent === "";
    // Nothing to end before a conversation exists, nor after it ended.
    const stateName = currentState();
    ui.end.hidden = !stateName || stateName === "resolved";
  }

  /* The conversation's state as the citizen sees it: one they closed here stays closed, even
   * while the hub keeps it open for the agent to wrap up. */
  function currentState() {
    if (!conversation) return null;
    if (ended && ended.conversation === conversation.id) return "resolved";
    return conversation.state;
  }

  /* When the hub closed the chat it said so in a system message (its last word); saying it
   * again in the status line would only repeat it. A chat the citizen closed has no such
   * message, unless the hub wrote one after that. */
  function hubAnnouncedEnd() {
    const settled = ui.messages.querySelectorAll("[data-message-id]");
    const last = settled[settled.length - 1];
    if (!last || last.dataset.author !== "system") return false;
    if (!ended || ended.conversation !== conversation.id) return true;
    if (ended.after == null) return true;
    const mark = rendered.get(ended.after);
    return !!mark && mark !== last && !!(mark.compareDocumentPosition(last) & Node.DOCUMENT_POSITION_FOLLOWING);
  }

  function statusText() {
    if (connection === "connecting") return t("widget.connecting");
    if (connection === "reconnecting") return t("widget.reconnecting");
    if (notice) return notice;
    const stateName = currentState();
    if (stateName === "queued" || stateName === "offered") {
      const position = conversation.queue_position == null ? "-" : conversation.queue_position;
      return t("widget.queue_position", { position });
    }
    if (stateName === "assigned") return t("widget.agent_joined");
    if (stateName === "resolved") return hubAnnouncedEnd() ? "" : t("widget.ended");
    return "";
  }

  function setConversation(info) {
    const id = info && (info.id || info.conversation_id || (conversation && conversation.id));
    conversation = info
      ? { id: id == null ? null : String(id), state: info.state, queue: info.queue, queue_position: info.queue_position }
      : null;
    // A new conversation began: the one the citizen closed is history.
    if (ended && (!conversation || (conversation.id && conversation.id !== ended.conversation))) setEnded(null);
    notice = "";
    renderStatus();
  }

  // ------------------------------------------------------------ messages

  function timeText(iso) {
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return "";
    return new Date(ms).toLocaleTimeString(language, { hour: "2-digit", minute: "2-digit" });
  }

  function messageNode(message) {
    const author = ["citizen", "bot", "agent", "system"].includes(message.author) ? message.author : "system";
    const node = h("li", { className: `msg ${author}`, "data-testid": "chat-message", "data-author": author,
      "data-message-id": message.id, "data-client-id": message.client_id });
    if (author === "agent") node.append(h("div", { className: "who", text: t("widget.agent_label") }));
    node.append(h("div", { className: "bubble", text: message.text == null ? "" : message.text }));
    node.append(h("div", { className: "meta", text: timeText(message.created_at) }));
    const actions = Array.isArray(message.actions) ? message.actions : [];
    if (actions.length) node.append(actionsNode(actions));
    return node;
  }

  /* Quick replies: tapping one sends its `text` as if the citizen had typed it. */
  function actionsNode(actions) {
    const row = h("div", { className: "actions" });
    for (const action of actions) {
      const button = h("button", { type: "button", className: "action", "data-testid": "chat-action",
        text: action.label || action.text });
      button.addEventListener("click", () => sendText(action.text || action.label || ""));
      row.append(button);
    }
    return row;
  }

  function pendingNode(text, clientId) {
    const node = h("li", { className: "msg citizen pending", "data-testid": "chat-message",
      "data-author": "citizen", "data-client-id": clientId, "data-pending": "true" });
    node.append(h("div", { className: "bubble", text }), h("div", { className: "meta", text: "\u2026" }));
    return node;
  }

  /* A message frame: a new one is appended, a known id is replaced (status change), and the
   * citizen's own echo takes the place of its pending bubble. */
  function showMessage(message) {
    const id = String(message.id);
    const node = messageNode(message);
    const known = rendered.get(id);
    const mineId = pendingIdFor(message);
    if (known) known.replaceWith(node);
    else if (mineId) pending.get(mineId).node.replaceWith(node);
    else ui.messages.append(node);
    rendered.set(id, node);
    if (mineId) pending.delete(mineId);
    if (!known) {
      scrollToEnd();
      if (ui.panel.hidden && message.author !== "citizen") ui.launcher.classList.add("unread");
    }
    if (message.author === "system") renderStatus();
  }

  /* The pending bubble a citizen message settles: by client_id, or (should the hub ever
   * omit it) the oldest pending bubble with the same text. */
  function pendingIdFor(message) {
    if (message.author !== "citizen") return null;
    if (message.client_id) return pending.has(message.client_id) ? message.client_id : null;
    for (const [clientId, entry] of pending) if (entry.text === message.text) return clientId;
    return null;
  }

  /* welcome: the history is the truth; unacknowledged messages go back at the end. */
  function showHistory(messages) {
    ui.messages.replaceChildren();
    rendered.clear();
    for (const message of messages || []) {
      if (message.client_id) pending.delete(message.client_id); // stored before we lost the ack
      showMessage(message);
    }
    for (const entry of pending.values()) ui.messages.append(entry.node);
    scrollToEnd();
    renderStatus();
  }

  // ------------------------------------------------------------ sending

  function onInputKeydown(event) {
    // Enter sends, Shift+Enter breaks the line; an Enter that commits an IME syllable does neither.
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    submitInput();
  }

  function submitInput() {
    const text = ui.input.value.trim();
    if (!text) return;
    ui.input.value = "";
    autosize();
    sendText(text);
    ui.input.focus();
  }

  function sendText(text) {
    if (!text) return;
    if (ended) setEnded(null); // writing again is not "ended": the hub decides where it goes
    renderStatus();
    const clientId = newClientId();
    const node = pendingNode(text, clientId);
    pending.set(clientId, { text, node });
    ui.messages.append(node);
    scrollToEnd();
    if (connection === "idle") connect();
    transmit(clientId, text);
  }

  function transmit(clientId, text) {
    if (!ready || !ws || ws.readyState !== WebSocket.OPEN) return; // flushed after the next welcome
    const frame = { type: "message", text, client_id: clientId };
    if (chosenLanguage) frame.language = chosenLanguage; // an explicit choice: the hub follows it
    ws.send(JSON.stringify(frame));
  }

  function flushPending() {
    for (const [clientId, entry] of pending) transmit(clientId, entry.text);
  }

  function endConversation() {
    if (!conversation || currentState() === "resolved") return;
    if (ready && ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "end" }));
    // Closed for the citizen at once, and across reloads. The hub keeps a conversation an
    // agent holds open until the agent resolves it, so its `state` frames may still say
    // "assigned": currentState() keeps it closed here regardless.
    const settled = ui.messages.querySelectorAll("[data-message-id]");
    const last = settled[settled.length - 1];
    if (conversation.id) setEnded({ conversation: conversation.id, after: last ? last.dataset.messageId : null });
    else conversation.state = "resolved";
    notice = "";
    renderStatus();
  }

  // ------------------------------------------------------------ sign-language video

  /* The video page in a new tab, on the same contact: the hub trades the session for a one-time
   * code in the page's address, so the session token itself never appears in a URL. */
  async function openVideo() {
    const session = load(SESSION_KEY);
    try {
      if (!session) throw new Error("no session before the hub's welcome");
      const response = await fetch(`${hubBase}/webchat/api/video-code`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ session, language }), // the page opens in the widget's language
        credentials: "omit",
      });
      const answer = await response.json();
      if (!response.ok || typeof answer.url !== "string") throw new Error(`video code: HTTP ${response.status}`);
      window.open(videoUrl(answer.url), "_blank", "noopener");
    } catch (e) {
      notice = t("widget.video_failed");
      renderStatus();
    }
  }

  /* The hub's address for the page is relative to the hub (a path prefix behind a proxy is kept). */
  function videoUrl(address) {
    return new URL(address.startsWith("/") ? hubBase + address : address, `${hubBase}/`).href;
  }

  // ------------------------------------------------------------ connection

  function wsUrl() {
    return `${hubBase.replace(/^http/, "ws")}/webchat/ws`; // http -> ws, https -> wss
  }

  function connect() {
    clearTimeout(reconnectTimer);
    ready = false;
    connection = attempt > 0 ? "reconnecting" : "connecting";
    renderStatus();
    let socket;
    try {
      socket = new WebSocket(wsUrl());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    ws = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: "hello", session: load(SESSION_KEY), language }));
    };
    socket.onmessage = (event) => {
      if (socket === ws) onFrame(event.data);
    };
    socket.onclose = () => {
      if (socket !== ws) return;
      ws = null;
      ready = false;
      scheduleReconnect();
    };
  }

  /* 0.5 s, 1 s, 2 s ... capped at 10 s; the counter resets on the next welcome. */
  function scheduleReconnect() {
    connection = "reconnecting";
    renderStatus();
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
    attempt += 1;
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, delay);
  }

  function onFrame(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch (e) {
      return;
    }
    if (frame.type === "welcome") onWelcome(frame);
    else if (frame.type === "message" && frame.message) showMessage(frame.message);
    else if (frame.type === "state") setConversation(frame);
    else if (frame.type === "error") {
      // Sending too fast is told in the citizen's language; other refusals as the hub words them.
      const tooMany = frame.error && frame.error.code === "too_many_requests";
      notice = tooMany ? t("widget.too_many") : (frame.error && frame.error.message) || "";
      renderStatus();
    }
  }

  function onWelcome(frame) {
    if (frame.session) save(SESSION_KEY, frame.session);
    attempt = 0;
    ready = true;
    connection = "open";
    showHistory(frame.messages);
    setConversation(frame.conversation);
    flushPending(); // same client_id as before: the hub drops the ones it already has
  }

  // ------------------------------------------------------------ start

  function start() {
    ui = buildUi();
    loadTexts();
    // After a reload, come back the way the citizen left it: open, with the history.
    if (load(OPEN_KEY) === "1") setOpen(true);
    else if (load(SESSION_KEY)) connect();
    window.addEventListener("online", () => {
      if (connection === "reconnecting") connect();
    });
  }

  const STYLE = `
    :host { all: initial; }
    * { box-sizing: border-box; }
    [hidden] { display: none !important; }
    .dock {
      position: fixed; right: 16px; bottom: 16px; z-index: 2147483000;
      display: flex; flex-direction: column; align-items: flex-end; gap: 12px;
      font: 15px/1.5 system-ui, -apple-system, "Apple SD Gothic Neo", "Malgun Gothic",
        "Noto Sans KR", "Nanum Gothic", "Segoe UI", sans-serif;
      color: #1d2430; word-break: keep-all; overflow-wrap: anywhere;
      pointer-events: none; /* the dock's empty area must not swallow clicks on the page */
    }
    .dock > * { pointer-events: auto; }
    button, textarea { font: inherit; color: inherit; }
    .launcher {
      position: relative; min-height: 48px; padding: 12px 20px; border: 0; border-radius: 999px;
      background: #0b5cad; color: #fff; font-weight: 700; cursor: pointer;
      box-shadow: 0 6px 20px rgba(0, 0, 0, .25);
    }
    .launcher:hover { background: #094a8c; }
    .launcher.unread::after {
      content: ""; position: absolute; top: 4px; right: 6px; width: 12px; height: 12px;
      border: 2px solid #fff; border-radius: 50%; background: #d92d20;
    }
    :focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
    .panel {
      display: flex; flex-direction: column;
      width: min(380px, calc(100vw - 32px)); height: min(600px, calc(100vh - 100px));
      background: #fff; border: 1px solid #d9dee6; border-radius: 14px; overflow: hidden;
      box-shadow: 0 12px 40px rgba(0, 0, 0, .25);
    }
    .header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; background: #0b5cad; color: #fff; }
    .title { flex: 1; margin: 0; font-size: 16px; font-weight: 700; }
    .end, .close {
      border: 1px solid rgba(255, 255, 255, .6); border-radius: 6px; background: transparent; color: #fff;
      padding: 4px 10px; cursor: pointer; min-height: 32px;
    }
    .close { font-size: 20px; line-height: 1; padding: 2px 10px; }
    .language {
      border: 1px solid rgba(255, 255, 255, .6); border-radius: 6px; background: #0b5cad; color: #fff;
      min-height: 32px; font-size: 13px; max-width: 110px;
    }
    .tools { padding: 8px 12px; border-bottom: 1px solid #e3e7ee; background: #fff; }
    .video {
      width: 100%; min-height: 48px; padding: 8px 12px; border: 1px solid #0b5cad; border-radius: 10px;
      background: #fff; color: #0b5cad; font-weight: 700; cursor: pointer;
    }
    .video:hover { background: #e6f0fb; }
    .status { padding: 6px 12px; font-size: 13px; background: #fff8e6; color: #7a4b00; border-bottom: 1px solid #f3e2b8; }
    .messages {
      flex: 1; margin: 0; padding: 12px; list-style: none; overflow-y: auto;
      display: flex; flex-direction: column; gap: 8px; background: #f6f8fb;
    }
    .msg { max-width: 82%; display: flex; flex-direction: column; }
    .msg.citizen { align-self: flex-end; align-items: flex-end; }
    .msg.bot, .msg.agent { align-self: flex-start; }
    .msg.system { align-self: center; max-width: 92%; align-items: center; }
    .bubble { padding: 8px 12px; border-radius: 14px; white-space: pre-wrap; background: #fff; border: 1px solid #e3e7ee; }
    .msg.citizen .bubble { background: #0b5cad; color: #fff; border-color: #0b5cad; border-bottom-right-radius: 4px; }
    .msg.agent .bubble { border-bottom-left-radius: 4px; }
    .msg.bot .bubble { background: #f1ecfb; border-color: #e0d5f5; border-bottom-left-radius: 4px; }
    .msg.system .bubble { background: transparent; border: 0; color: #667085; font-size: 13px; text-align: center; }
    .msg.pending .bubble { opacity: .6; }
    .meta { font-size: 11px; color: #8a94a6; padding: 0 4px; }
    .who { font-size: 12px; font-weight: 700; color: #0b5cad; padding: 0 4px 2px; }
    .actions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; }
    .action {
      min-height: 36px; padding: 6px 12px; border: 1px solid #0b5cad; border-radius: 999px;
      background: #fff; color: #0b5cad; cursor: pointer;
    }
    .action:hover { background: #e6f0fb; }
    .composer { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e3e7ee; background: #fff; }
    .input {
      flex: 1; min-height: 44px; max-height: 120px; resize: none; padding: 10px 12px;
      font-size: 16px; /* 16px keeps mobile browsers from zooming in on focus */
      border: 1px solid #cfd6e0; border-radius: 10px;
    }
    .send {
      min-width: 64px; min-height: 44px; border: 0; border-radius: 10px;
      background: #0b5cad; color: #fff; font-weight: 700; cursor: pointer;
    }
    @media (max-width: 480px) {
      .dock { right: 8px; bottom: 8px; left: 8px; }
      .panel {
        position: fixed; inset: 0; width: 100vw; height: 100vh; height: 100dvh;
        border: 0; border-radius: 0;
      }
      :host([data-open]) .launcher { display: none; }
    }
  `;

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
