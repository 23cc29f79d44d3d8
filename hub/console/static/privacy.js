/* Dasan Hub agent console: the 개인정보 열람·삭제 panel (a citizen's PIPA request), for supervisors
 * and admins, in the supervisor's view.
 *
 * Look a contact up by id (or take the contact of the conversation being viewed), download
 * everything held on it (JSON, or a zip with the call recordings), or erase it with the
 * citizen's request as the reason and the contact's id typed again.
 *
 * Contract: GET /api/v1/contacts/{id}/history, GET /api/v1/contacts/{id}/data[?format=zip],
 * POST /api/v1/contacts/{id}/erase (docs/api.md, docs/personal-data.md). Loaded before console.js,
 * which makes one panel (createPrivacyPanel), tells it who logged in (start) and out (stop) and
 * which conversation is in view (viewing). Citizen data reaches the DOM only as text, through
 * console.js's h().
 */
"use strict";

const PRIVACY_COUNTS = {
  conversations: "상담", messages: "메시지", attachments: "첨부", questions: "질문 기록",
  contacts: "연락처", translations: "번역 캐시", recordings: "녹화",
};

/* The panel. console.js calls start(agent) after login, stop() at logout, viewing(conv) as the
 * conversation in view changes (null when none). */
function createPrivacyPanel({ api, h, toast }) {
  const host = document.getElementById("supervisor-view");
  const view = { contactId: null, viewedContactId: null, lookupSeq: 0 };
  const ui = build();
  host.append(ui.root);
  bind();

  function build() {
    const p = {};
    p.input = h("input", {
      id: "privacy-contact", "data-testid": "privacy-contact", placeholder: "연락처 ID", maxlength: 64,
      autocomplete: "off", autocapitalize: "off", spellcheck: "false", required: true,
    });
    p.lookup = h("button", { type: "submit", "data-testid": "privacy-lookup" }, "조회");
    p.fromView = h("button", { type: "button", "data-testid": "privacy-from-conversation", disabled: true },
      "보고 있는 상담의 연락처");
    p.summary = h("p", { "data-testid": "privacy-summary", className: "muted", "aria-live": "polite" });
    p.exportJson = h("button", { type: "button", "data-testid": "privacy-export", disabled: true }, "JSON 내려받기");
    p.exportZip = h("button", { type: "button", "data-testid": "privacy-export-zip", disabled: true },
      "녹화 포함 ZIP 내려받기");
    p.reason = h("input", {
      id: "privacy-erase-reason", "data-testid": "privacy-erase-reason", maxlength: 500, required: true,
      placeholder: "예: 2026-12-01 전화로 삭제 요구",
    });
    p.confirm = h("input", {
      id: "privacy-erase-confirm", "data-testid": "privacy-erase-confirm", maxlength: 64, required: true,
      autocomplete: "off", autocapitalize: "off", spellcheck: "false", placeholder: "연락처 ID를 다시 입력",
    });
    p.erase = h("button", { type: "submit", className: "danger", "data-testid": "privacy-erase", disabled: true },
      "개인정보 삭제");
    p.result = h("p", { "data-testid": "privacy-result", role: "status" });
    p.lookupForm = h("form", { className: "inline-form", role: "search" },
      h("label", { for: "privacy-contact" }, "연락처"), p.input, p.lookup, p.fromView);
    p.eraseForm = h("form", { className: "inline-form", "aria-label": "개인정보 삭제", hidden: true },
      h("label", { for: "privacy-erase-reason" }, "삭제 사유"), p.reason,
      h("label", { for: "privacy-erase-confirm" }, "확인"), p.confirm, p.erase);
    p.exports = h("div", { className: "inline-form" }, p.exportJson, p.exportZip);
    p.root = h("section", {
      id: "privacy-panel", "data-testid": "privacy-panel", className: "protection-panel",
      "aria-labelledby": "privacy-heading", hidden: true,
    },
    h("div", { className: "protection-head" }, h("h3", { id: "privacy-heading" }, "개인정보 열람·삭제")),
    p.lookupForm, p.summary, p.exports, p.eraseForm, p.result);
    return p;
  }

  function bind() {
    ui.lookupForm.addEventListener("submit", (event) => {
      event.preventDefault();
      lookUp(ui.input.value.trim());
    });
    ui.fromView.addEventListener("click", () => {
      ui.input.value = view.viewedContactId || "";
      lookUp(ui.input.value);
    });
    ui.exportJson.addEventListener("click", () => download("json", ui.exportJson));
    ui.exportZip.addEventListener("click", () => download("zip", ui.exportZip));
    for (const input of [ui.reason, ui.confirm]) input.addEventListener("input", updateErase);
    ui.eraseForm.addEventListener("submit", (event) => {
      event.preventDefault();
      erase();
    });
  }

  const contactPath = (id, tail) => `/api/v1/contacts/${encodeURIComponent(id)}${tail}`;

  /* Show the contact's conversations in brief and offer the export and the erasure. */
  async function lookUp(id) {
    const seq = ++view.lookupSeq;
    choose(null);
    ui.result.textContent = "";
    if (!id) return;
    ui.summary.textContent = "조회 중…";
    try {
      const data = await api("GET", contactPath(id, "/history"));
      if (seq !== view.lookupSeq) return;
      const conversations = data.conversations || [];
      const open = conversations.filter((conv) => conv.state !== "resolved").length;
      const name = conversations[0]?.contact?.display_name || "";
      ui.summary.textContent = `${name ? `${name} · ` : ""}상담 ${conversations.length}건`
        + (open ? ` (진행 중 ${open}건: 종료 후 삭제할 수 있습니다)` : "");
      choose(id);
    } catch (err) {
      if (seq !== view.lookupSeq) return;
      ui.summary.textContent = err.status === 404 ? "없는 연락처입니다." : err.message;
    }
  }

  function choose(id) {
    view.contactId = id;
    ui.exportJson.disabled = ui.exportZip.disabled = !id;
    ui.eraseForm.hidden = !id;
    ui.reason.value = "";
    ui.confirm.value = "";
    updateErase();
  }

  /* Erasing needs a reason and the contact's id typed again exactly. */
  function updateErase() {
    ui.erase.disabled = !view.contactId || !ui.reason.value.trim() || ui.confirm.value.trim() !== view.contactId;
  }

  async function download(format, button) {
    const id = view.contactId;
    if (!id) return;
    button.disabled = true;
    try {
      const response = await fetch(contactPath(id, `/data?format=${format}`), { credentials: "same-origin" });
      if (!response.ok) {
        const data = await response.json().catch(() => null);
        throw new Error(data?.error?.message || `HTTP ${response.status}`);
      }
      const url = URL.createObjectURL(await response.blob());
      const link = h("a", { href: url, download: `contact-${id}.${format}`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      ui.result.textContent = "내려받았습니다 (감사 기록에 남습니다).";
    } catch (err) {
      toast(`내려받지 못했습니다: ${err.message}`, "error");
    } finally {
      button.disabled = !view.contactId;
    }
  }

  async function erase() {
    const id = view.contactId;
    if (!id || ui.erase.disabled) return;
    ui.erase.disabled = true;
    try {
      const data = await api("POST", contactPath(id, "/erase"), { reason: ui.reason.value.trim(), confirm: ui.confirm.value.trim() });
      const counts = Object.entries(data.erased || {})
        .map(([kind, count]) => `${PRIVACY_COUNTS[kind] || kind} ${count}`).join(" · ");
      choose(null);
      ui.summary.textContent = "";
      ui.result.textContent = `삭제했습니다: ${counts}`;
      toast("개인정보를 삭제했습니다.");
    } catch (err) {
      ui.result.textContent = err.message;
      updateErase();
    }
  }

  return {
    start(agent) {
      ui.root.hidden = !["supervisor", "admin"].includes(agent?.role);
    },
    stop() {
      ui.root.hidden = true;
      view.viewedContactId = null;
      ui.input.value = "";
      ui.summary.textContent = "";
      ui.result.textContent = "";
      ui.fromView.disabled = true;
      choose(null);
    },
    viewing(conv) {
      view.viewedContactId = conv?.contact?.id || null;
      ui.fromView.disabled = !view.viewedContactId;
    },
  };
}
