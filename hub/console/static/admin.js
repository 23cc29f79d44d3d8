/* Dasan Hub agent console: the administrator's "관리" screen, in the supervisor's view.
 *
 * Lists the agents with role, skills, languages, capacity, presence and whether active; adds an
 * agent, edits one, deactivates or reactivates one, resets a password (a generated password is
 * shown once); lists the channels' keys by where they come from and rotates the API channel's
 * own key (the new key shown once). Hidden for anyone but an admin.
 *
 * Contract: GET /api/v1/agents, POST /api/v1/agents, PATCH /api/v1/agents/{username},
 * POST /api/v1/agents/{username}/deactivate|reactivate|password, GET /api/v1/channels/keys,
 * POST /api/v1/channels/api/key/rotate (docs/administration.md). Server data reaches the DOM
 * only as text.
 */
"use strict";

(() => {
  const ROLES = [["agent", "상담사"], ["editor", "편집자"], ["supervisor", "슈퍼바이저"], ["admin", "관리자"]];
  const STATES = { available: "상담가능", busy: "상담중", break: "휴식", offline: "오프라인" };
  const SOURCES = { environment: "환경 변수", hub: "허브 생성" };

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value == null || value === false) continue;
      if (key.startsWith("data-") || key.startsWith("aria-") || key === "for") node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  };


  const roleLabel = (role) => (ROLES.find(([value]) => value === role) || [role, role])[1];
  const list = (text) => text.split(",").map((part) => part.trim()).filter(Boolean);
  const capacityText = (capacity) => Object.entries(capacity || {}).map(([kind, n]) => `${kind} ${n}`).join(", ");

  const host = document.getElementById("supervisor-view");
  if (!host) return;
  const ui = build();
  host.append(ui.root);
  const view = { started: false, editing: null, me: null };

  function field(id, label, input) {
    input.id = id;
    return el("div", { className: "inline-form" }, el("label", { for: id }, label), input);
  }

  function build() {
    const p = {};
    p.agents = el("ul", { className: "plain-list", "data-testid": "admin-agents" });
    p.keys = el("ul", { className: "plain-list", "data-testid": "admin-keys" });
    p.refresh = el("button", { type: "button", className: "small", "data-testid": "admin-refresh" }, "새로고침");
    p.add = el("button", { type: "button", className: "small", "data-testid": "admin-add" }, "상담사 추가");
    p.secret = el("p", { className: "muted", role: "status", "data-testid": "admin-secret", hidden: true });
    p.result = el("p", { className: "muted", role: "status", "data-testid": "admin-result" });

    p.username = el("input", { "data-testid": "admin-username", maxLength: 64, autocomplete: "off", required: true });
    p.name = el("input", { "data-testid": "admin-display-name", maxLength: 200, autocomplete: "off" });
    p.role = el("select", { "data-testid": "admin-role" }, ...ROLES.map(([value, label]) => el("option", { value }, label)));
    p.skills = el("input", { "data-testid": "admin-skills", placeholder: "transport, water", autocomplete: "off" });
    p.languages = el("input", { "data-testid": "admin-languages", placeholder: "ko, en", autocomplete: "off" });
    p.chat = el("input", { "data-testid": "admin-capacity-chat", type: "number", min: 0, max: 50 });
    p.video = el("input", { "data-testid": "admin-capacity-video", type: "number", min: 0, max: 50 });
    p.password = el("input", {
      "data-testid": "admin-password", type: "password", autocomplete: "new-password", placeholder: "비워 두면 자동 생성",
    });
    p.passwordRow = field("admin-password", "초기 비밀번호", p.password);
    p.save = el("button", { type: "submit", className: "primary small", "data-testid": "admin-save" }, "저장");
    p.cancel = el("button", { type: "button", className: "small", "data-testid": "admin-cancel" }, "취소");
    p.form = el("form", { className: "admin-form", "aria-label": "상담사 편집", hidden: true },
      field("admin-username", "아이디", p.username),
      field("admin-display-name", "이름", p.name),
      field("admin-role", "역할", p.role),
      field("admin-skills", "스킬 (대기열)", p.skills),
      field("admin-languages", "언어", p.languages),
      el("div", { className: "inline-form" },
        el("label", { for: "admin-capacity-chat" }, "채팅 용량"), p.chat,
        el("label", { for: "admin-capacity-video" }, "영상 용량"), p.video),
      p.passwordRow,
      el("div", { className: "inline-form" }, p.save, p.cancel));
    p.chat.id = "admin-capacity-chat";
    p.video.id = "admin-capacity-video";

    p.root = el("section", {
      id: "admin-panel", "data-testid": "admin-panel", className: "protection-panel", "aria-labelledby": "admin-heading",
      hidden: true,
    },
    el("div", { className: "protection-head" }, el("h3", { id: "admin-heading" }, "관리"), p.add, p.refresh),
    p.secret, p.result, p.form,
    el("div", { className: "sup-lists" },
      el("div", {}, el("h3", {}, "상담사"), p.agents),
      el("div", {}, el("h3", {}, "채널 키"), p.keys)));
    return p;
  }

  function showSecret(text) {
    ui.secret.textContent = text;
    ui.secret.hidden = false;
  }

  function agentItem(agent) {
    const actions = [
      el("button", { type: "button", className: "small", "data-testid": "admin-edit" }, "편집"),
      agent.active
        ? el("button", { type: "button", className: "small", "data-testid": "admin-deactivate" }, "비활성화")
        : el("button", { type: "button", className: "small", "data-testid": "admin-reactivate" }, "재활성화"),
      el("button", { type: "button", className: "small", "data-testid": "admin-reset-password" }, "비밀번호 초기화"),
    ];
    if (agent.username === view.me?.username) actions[1].hidden = true;  // the hub refuses it anyway
    actions[0].addEventListener("click", () => openForm(agent));
    actions[1].addEventListener("click", () => (agent.active ? deactivate(agent) : act(agent, "reactivate", "재활성화했습니다")));
    actions[2].addEventListener("click", () => resetPassword(agent));
    const details = [
      roleLabel(agent.role),
      `스킬 ${agent.skills.join(", ") || "-"}`,
      `언어 ${agent.languages.join(", ")}`,
      `용량 ${capacityText(agent.capacity) || "-"}`,
      STATES[agent.state] || agent.state,
      agent.active ? "활성" : "비활성",
    ];
    return el("li", {
      "data-testid": "admin-agent-row", "data-username": agent.username, "data-active": String(agent.active),
    },
    el("strong", {}, `${agent.display_name} (${agent.username})`), " ",
    el("span", { className: "muted", "data-testid": "admin-agent-details" }, details.join(" · ")), " ",
    ...actions);
  }

  function keyItem(entry) {
    const made = entry.made_at ? ` · ${new Date(entry.made_at).toLocaleString("ko-KR", { timeZone: "Asia/Seoul" })}` : "";
    const item = el("li", { "data-testid": "admin-key-row", "data-channel": entry.channel },
      el("strong", {}, entry.label), " ",
      el("span", { className: "muted" }, `${SOURCES[entry.source] || entry.source} (${entry.variables.join(", ")})${made}`));
    if (entry.rotatable) {
      const rotate = el("button", { type: "button", className: "small", "data-testid": "admin-rotate-key" }, "키 교체");
      rotate.addEventListener("click", () => rotateKey());
      item.append(" ", rotate);
    }
    return item;
  }

  async function load() {
    try {
      const [agents, keys] = await Promise.all([api("GET", "/api/v1/agents"), api("GET", "/api/v1/channels/keys")]);
      ui.agents.replaceChildren(...agents.agents.map(agentItem));
      ui.keys.replaceChildren(...keys.channels.map(keyItem));
    } catch (err) {
      ui.result.textContent = err.message;
    }
  }

  function openForm(agent) {
    view.editing = agent ? agent.username : null;
    ui.username.value = agent ? agent.username : "";
    ui.username.readOnly = Boolean(agent);
    ui.name.value = agent ? agent.display_name : "";
    ui.role.value = agent ? agent.role : "agent";
    ui.skills.value = agent ? agent.skills.join(", ") : "transport, water, city, district, other";
    ui.languages.value = agent ? agent.languages.join(", ") : "ko";
    ui.chat.value = String(agent ? agent.capacity.chat ?? 0 : 3);
    ui.video.value = String(agent ? agent.capacity.video ?? 0 : 1);
    ui.password.value = "";
    ui.passwordRow.hidden = Boolean(agent);
    ui.form.hidden = false;
    ui.secret.hidden = true;
    ui.result.textContent = "";
    (agent ? ui.name : ui.username).focus();
  }

  async function save() {
    const profile = {
      display_name: ui.name.value.trim() || null,
      role: ui.role.value,
      skills: list(ui.skills.value),
      languages: list(ui.languages.value),
      capacity: { chat: Number(ui.chat.value || 0), video: Number(ui.video.value || 0) },
    };
    try {
      if (view.editing) {
        if (!profile.display_name) delete profile.display_name;
        await api("PATCH", `/api/v1/agents/${encodeURIComponent(view.editing)}`, profile);
        ui.result.textContent = `${view.editing}: 저장했습니다.`;
      } else {
        const body = { username: ui.username.value.trim(), ...profile };
        if (ui.password.value) body.password = ui.password.value;
        const made = await api("POST", "/api/v1/agents", body);
        ui.result.textContent = `${made.agent.username}: 추가했습니다.`;
        if (made.password) showSecret(`${made.agent.username}의 초기 비밀번호 (한 번만 표시됩니다): ${made.password}`);
      }
      ui.form.hidden = true;
      await load();
    } catch (err) {
      ui.result.textContent = err.message;
    }
  }

  async function act(agent, action, done) {
    try {
      await api("POST", `/api/v1/agents/${encodeURIComponent(agent.username)}/${action}`);
      ui.result.textContent = `${agent.username}: ${done}.`;
      await load();
    } catch (err) {
      ui.result.textContent = err.message;
    }
  }

  function deactivate(agent) {
    const question = `${agent.display_name} (${agent.username})을(를) 비활성화할까요? 로그인이 즉시 끊기고 맡은 상담은 대기열로 돌아갑니다.`;
    if (window.confirm(question)) act(agent, "deactivate", "비활성화했습니다");
  }

  async function resetPassword(agent) {
    if (!window.confirm(`${agent.username}의 비밀번호를 초기화할까요? 로그인이 모두 끊깁니다.`)) return;
    try {
      const reset = await api("POST", `/api/v1/agents/${encodeURIComponent(agent.username)}/password`);
      showSecret(`${agent.username}의 임시 비밀번호 (한 번만 표시됩니다): ${reset.password}`);
      ui.result.textContent = "";
    } catch (err) {
      ui.result.textContent = err.message;
    }
  }

  async function rotateKey() {
    if (!window.confirm("API 채널 키를 교체할까요? 이전 키는 즉시 거부됩니다.")) return;
    try {
      const rotated = await api("POST", "/api/v1/channels/api/key/rotate");
      showSecret(`새 API 채널 키 (한 번만 표시됩니다): ${rotated.key}`);
      await load();
    } catch (err) {
      ui.result.textContent = err.message;
    }
  }

  ui.refresh.addEventListener("click", load);
  ui.add.addEventListener("click", () => openForm(null));
  ui.cancel.addEventListener("click", () => { ui.form.hidden = true; });
  ui.form.addEventListener("submit", (event) => { event.preventDefault(); save(); });

  /* Shown with the supervisor's view (console.js), to an admin only. */
  async function start() {
    view.started = true;
    try {
      view.me = await api("GET", "/api/v1/me");
    } catch {
      view.started = false;
      return;
    }
    ui.root.hidden = view.me.role !== "admin";
    ui.secret.hidden = true;
    ui.form.hidden = true;
    if (!ui.root.hidden) await load();
  }

  function stop() {
    view.started = false;
    ui.root.hidden = true;
    ui.secret.hidden = true;
    ui.secret.textContent = "";
  }

  /* The app hides at logout and shows at the next login, perhaps of someone else. */
  const app = document.getElementById("app");
  const shown = () => !host.hidden && !(app && app.hidden);
  const observer = new MutationObserver(() => (shown() ? !view.started && start() : stop()));
  for (const node of [host, app].filter(Boolean)) observer.observe(node, { attributes: true, attributeFilter: ["hidden"] });
  if (shown()) start();
})();
