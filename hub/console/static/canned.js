/* Dasan Hub agent console: canned replies (상용구) in the reply box.
 *
 * Typing "/" and the start of a code (at the start of the box or after a space, e.g. "/인사")
 * lists the canned replies the agent may use whose code starts with it, or whose title or text
 * has the words typed; ↑/↓ move, Enter or Tab (or a click) inserts the reply rendered for the
 * conversation in view, Escape closes the list. A reply written in the citizen's language goes in
 * as it is (translation off); one written only in Korean goes in Korean with translation on, as
 * for any reply the agent types in Korean.
 *
 * Contract: GET /api/v1/canned-replies?q=&conversation= (docs/canned-replies.md). Loaded before
 * console.js, which makes one picker (createCannedReplies) and hands it how to reach the hub and
 * which conversation is in view. Texts reach the DOM only as text, through console.js's h().
 */
"use strict";

const CANNED_PATH = "/api/v1/canned-replies";
const CANNED_DEBOUNCE_MS = 120;
// "/code" right before the caret, at the start of the box or after whitespace.
const CANNED_TRIGGER = /(^|\s)\/([^\s/]*)$/u;

function createCannedReplies({ api, h, toast, conversation, agent }) {
  const input = document.getElementById("reply-input");
  const form = document.getElementById("reply-form");
  const menu = h("ul", {
    id: "canned-menu", className: "kb-results canned-menu", role: "listbox", "data-testid": "canned-menu",
    "aria-label": "상용구", hidden: true,
  });
  form.after(menu);
  const view = { items: [], selected: 0, seq: 0, timer: null, token: null };

  input.addEventListener("input", schedule);
  input.addEventListener("blur", close);
  // Captured on the form, before console.js's own Enter-sends handler on the box.
  form.addEventListener("keydown", onKeydown, true);

  /* The "/code" being typed: where it starts and what follows the slash; null when none. */
  function typedToken() {
    const caret = input.selectionStart ?? input.value.length;
    const match = CANNED_TRIGGER.exec(input.value.slice(0, caret));
    if (!match) return null;
    return { start: caret - match[2].length - 1, end: caret, query: match[2] };
  }

  function schedule() {
    clearTimeout(view.timer);
    const token = conversation() ? typedToken() : null;
    if (!token) {
      close();
      return;
    }
    view.timer = setTimeout(() => load(token), CANNED_DEBOUNCE_MS);
  }

  async function load(token) {
    const seq = ++view.seq;
    const conv = conversation();
    if (!conv) return;
    const query = new URLSearchParams({ q: token.query, conversation: conv.id });
    try {
      const data = await api("GET", `${CANNED_PATH}?${query}`);
      if (seq !== view.seq || conversation()?.id !== conv.id) return; // typed on, or moved away
      view.token = token;
      show(data.canned_replies || []);
    } catch (err) {
      if (seq === view.seq) close();
      if (err.status !== 404) toast(err.message, "error");
    }
  }

  function show(items) {
    view.items = items;
    view.selected = 0;
    if (!items.length) {
      close();
      return;
    }
    menu.replaceChildren(...items.map((reply, index) => {
      const rendered = reply.rendered || { text: reply.texts.ko, language: "ko", needs_translation: false };
      return h("li", {
        className: "kb-result canned-item", role: "option", "data-testid": "canned-item", "data-code": reply.code,
        onmousedown: (event) => { event.preventDefault(); choose(index); }, // before the box's blur
      },
      h("strong", {}, `/${reply.code}`), " ",
      h("span", {}, reply.title),
      rendered.needs_translation ? h("span", { className: "tag" }, "한국어 · 번역해서 보냄") : null,
      h("div", { className: "muted", lang: rendered.language }, rendered.text));
    }));
    menu.hidden = false;
    input.setAttribute("aria-controls", menu.id);
    mark();
  }

  function mark() {
    [...menu.children].forEach((item, index) => {
      item.classList.toggle("selected", index === view.selected);
      item.setAttribute("aria-selected", String(index === view.selected));
    });
    menu.children[view.selected]?.scrollIntoView({ block: "nearest" });
  }

  function close() {
    clearTimeout(view.timer);
    view.seq += 1; // an answer still on its way is stale
    view.items = [];
    view.token = null;
    menu.hidden = true;
    menu.replaceChildren();
  }

  function onKeydown(event) {
    if (menu.hidden || event.target !== input || event.isComposing) return;
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in moves) {
      view.selected = (view.selected + moves[event.key] + view.items.length) % view.items.length;
      mark();
    } else if (event.key === "Enter" || event.key === "Tab") {
      choose(view.selected);
    } else if (event.key === "Escape") {
      close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  /* The chosen reply in place of the "/code" typed, translation set for its language. */
  function choose(index) {
    const reply = view.items[index];
    const token = view.token;
    close();
    if (!reply || !token) return;
    const rendered = reply.rendered || { text: reply.texts.ko, language: "ko", needs_translation: false };
    input.value = input.value.slice(0, token.start) + rendered.text + input.value.slice(token.end);
    const caret = token.start + rendered.text.length;
    input.focus();
    input.setSelectionRange(caret, caret);
    setTranslation(rendered);
    // Let the console count SMS segments and drop a stale translation preview.
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function setTranslation(rendered) {
    const bar = document.getElementById("translate-bar");
    const toggle = document.getElementById("translate-toggle");
    if (bar.hidden) return;
    if (rendered.needs_translation && !toggle.checked) {
      toggle.checked = true;
      toast("이 상용구는 한국어로만 있어 번역해서 보냅니다.");
    } else if (rendered.language !== "ko" && toggle.checked) {
      toggle.checked = false;
      toast("시민의 언어로 쓴 상용구입니다. 번역하지 않고 그대로 보냅니다.");
    }
  }

  createCannedManager({ api, h, toast, agent });
  return { close };
}

const CANNED_LANGUAGES = { ko: "한국어 (필수)", en: "영어", zh: "중국어", ja: "일본어", vi: "베트남어", mn: "몽골어" };
const CANNED_SCOPES = { personal: "내 상용구", team: "팀 상용구", centre: "센터 전체" };

/* "상용구 관리" under the knowledge base: the replies the agent may change (their own; a
 * supervisor's team's; every one for an administrator), added, edited and removed here. */
function createCannedManager({ api, h, toast, agent }) {
  const host = document.querySelector(".kb-panel");
  const ui = {};
  ui.list = h("ul", { className: "plain-list canned-own", "data-testid": "canned-own" });
  ui.code = h("input", { id: "canned-code", "data-testid": "canned-code", maxlength: 40, required: true,
    autocomplete: "off", spellcheck: "false", placeholder: "예: 안내" });
  ui.title = h("input", { id: "canned-title", "data-testid": "canned-title", maxlength: 200, required: true });
  ui.scope = h("select", { id: "canned-scope", "data-testid": "canned-scope" });
  ui.team = h("select", { id: "canned-team", "data-testid": "canned-team", "aria-label": "팀", hidden: true });
  ui.texts = Object.fromEntries(Object.keys(CANNED_LANGUAGES).map((language) => [language,
    h("textarea", { id: `canned-text-${language}`, "data-testid": `canned-text-${language}`, rows: 2,
      lang: language, maxlength: 4000, required: language === "ko" })]));
  ui.save = h("button", { type: "submit", className: "primary", "data-testid": "canned-save" }, "저장");
  ui.cancel = h("button", { type: "button", hidden: true, onclick: () => edit(null) }, "새로 쓰기");
  ui.form = h("form", { className: "canned-form", "aria-label": "상용구 쓰기", onsubmit: save },
    h("label", { for: "canned-code" }, "코드 (/ 다음에 입력)"), ui.code,
    h("label", { for: "canned-title" }, "제목"), ui.title,
    h("label", { for: "canned-scope" }, "범위"), ui.scope, ui.team,
    ...Object.entries(CANNED_LANGUAGES).flatMap(([language, name]) =>
      [h("label", { for: `canned-text-${language}` }, name), ui.texts[language]]),
    h("p", { className: "muted" }, "넣을 수 있는 값: {citizen_name} {queue} {agent_name} {opening_hours}"),
    h("div", { className: "inline-form" }, ui.save, ui.cancel));
  ui.root = h("details", { className: "fold canned-manager", "data-testid": "canned-manager" },
    h("summary", {}, "상용구 관리"), ui.list, ui.form);
  ui.root.addEventListener("toggle", () => { if (ui.root.open) open(); });
  host.append(ui.root);
  let editing = null;

  async function open() {
    const role = agent()?.role;
    const scopes = ["personal", ...(role === "supervisor" || role === "admin" ? ["team"] : []),
      ...(role === "admin" ? ["centre"] : [])];
    ui.scope.replaceChildren(...scopes.map((scope) => h("option", { value: scope }, CANNED_SCOPES[scope])));
    ui.scope.onchange = () => { ui.team.hidden = !(role === "admin" && ui.scope.value === "team"); };
    if (role === "admin") {
      try {
        const { teams } = await api("GET", "/api/v1/teams");
        ui.team.replaceChildren(...teams.map((team) => h("option", { value: team.id }, team.name)));
      } catch (err) {
        toast(err.message, "error");
      }
    }
    await refresh();
  }

  async function refresh() {
    try {
      const data = await api("GET", CANNED_PATH);
      ui.list.replaceChildren(...(data.canned_replies || []).filter((reply) => reply.editable).map((reply) =>
        h("li", { className: "canned-own-item", "data-testid": "canned-own-item", "data-code": reply.code },
          h("strong", {}, `/${reply.code}`), " ", reply.title, " ",
          h("span", { className: "tag" }, reply.scope === "team" ? `팀 ${reply.team || ""}` : CANNED_SCOPES[reply.scope]),
          " ",
          h("button", { type: "button", onclick: () => edit(reply) }, "수정"),
          h("button", { type: "button", className: "danger", onclick: () => remove(reply) }, "삭제"))));
    } catch (err) {
      toast(err.message, "error");
    }
  }

  function edit(reply) {
    editing = reply;
    ui.code.value = reply?.code || "";
    ui.title.value = reply?.title || "";
    for (const [language, box] of Object.entries(ui.texts)) box.value = reply?.texts[language] || "";
    ui.scope.disabled = Boolean(reply); // the scope is set once
    if (reply) ui.scope.value = reply.scope;
    ui.cancel.hidden = !reply;
    if (reply) ui.code.focus();
  }

  async function save(event) {
    event.preventDefault();
    const texts = Object.fromEntries(Object.entries(ui.texts).map(([language, box]) => [language, box.value]));
    const body = { code: ui.code.value.trim(), title: ui.title.value.trim(), texts };
    try {
      if (editing) {
        await api("PATCH", `${CANNED_PATH}/${encodeURIComponent(editing.id)}`, body);
      } else {
        body.scope = ui.scope.value;
        if (!ui.team.hidden && ui.team.value) body.team = Number(ui.team.value);
        await api("POST", CANNED_PATH, body);
      }
      toast("상용구를 저장했습니다.");
      edit(null);
      await refresh();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function remove(reply) {
    try {
      await api("DELETE", `${CANNED_PATH}/${encodeURIComponent(reply.id)}`);
      toast(`/${reply.code} 상용구를 지웠습니다.`);
      if (editing?.id === reply.id) edit(null);
      await refresh();
    } catch (err) {
      toast(err.message, "error");
    }
  }
}
