/* Dasan Hub agent console: handover to a department (부서이관) and to an officer (담당자 연결).
 *
 * In the conversation view, beside "처리 결과": the "부서이관 / 담당자 연결" button opens a form
 * with the department picker, the kind, the officer (name, phone, e-mail) and what the citizen
 * needs. Sending it tells the citizen who will contact them and resolves the conversation as
 * `transferred` or `connected`. Below, the conversation's handovers with their delivery state
 * (대기, 전송됨, 실패) and the department's answer, which the agent records here.
 *
 * Contract: GET /api/v1/departments?active=1, POST /api/v1/conversations/{id}/handover,
 * GET /api/v1/conversations/{id}/handovers, POST /api/v1/handovers/{id}/answer (docs/handovers.md).
 * Stands alone: it follows the conversation console.js opens through the view's
 * data-conversation-id and refreshes when the conversation's state changes. Server data reaches
 * the DOM only as text.
 */
"use strict";

(() => {
  const TEXT = {
    open: "부서이관 / 담당자 연결",
    kind: { department: "부서이관", officer: "담당자 연결" },
    delivery: { pending: "전송 대기", sent: "전송됨", failed: "전송 실패" },
    via: { email: "이메일", webhook: "웹훅" },
    placeholder: "(주소 미설정)",
    done: "이관했습니다. 시민에게 연락 예정 안내를 보냈습니다.",
    answered: "부서 회신을 기록했습니다.",
  };

  const PENDING_REFRESH_MS = 5000;

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("data-") || key.startsWith("aria-")) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  };


  function start() {
    const view = document.getElementById("conversation-view");
    const actions = view?.querySelector(".conv-actions");
    if (!view || !actions) return;

    const ui = {
      toggle: el("button", { type: "button", id: "handover-button", "data-testid": "handover-button",
        "aria-controls": "handover-form" }, TEXT.open),
      form: el("form", { id: "handover-form", className: "flag-form", "data-testid": "handover-form",
        "aria-label": TEXT.open, hidden: true }),
      department: el("select", { id: "handover-department", "data-testid": "handover-department", required: true }),
      kind: el("select", { id: "handover-kind", "data-testid": "handover-kind" },
        ...Object.entries(TEXT.kind).map(([value, label]) => el("option", { value }, label))),
      officerName: el("input", { id: "handover-officer-name", "data-testid": "handover-officer-name",
        maxLength: 100, placeholder: "담당자 이름" }),
      officerPhone: el("input", { id: "handover-officer-phone", "data-testid": "handover-officer-phone",
        maxLength: 40, placeholder: "담당자 전화" }),
      officerEmail: el("input", { id: "handover-officer-email", "data-testid": "handover-officer-email",
        type: "email", maxLength: 254, placeholder: "담당자 이메일" }),
      need: el("textarea", { id: "handover-need", "data-testid": "handover-need", rows: 3, maxLength: 4000,
        required: true, placeholder: "시민이 요청한 내용 (부서에 전달됩니다)" }),
      submit: el("button", { type: "submit", className: "primary", "data-testid": "handover-submit" }, "이관"),
      cancel: el("button", { type: "button" }, "취소"),
      status: el("p", { id: "handover-status", "data-testid": "handover-status", className: "muted",
        role: "status", hidden: true }),
      list: el("ul", { id: "handover-list", "data-testid": "handover-list", className: "plain-list" }),
      panel: el("section", { id: "handover-panel", "data-testid": "handover-panel", className: "contact-panel",
        "aria-label": "부서이관 내역", hidden: true }),
    };
    const officerFields = el("span", { className: "handover-officer" },
      ui.officerName, " ", ui.officerPhone, " ", ui.officerEmail);
    ui.form.append(
      el("label", {}, "부서 ", ui.department), " ",
      el("label", {}, "구분 ", ui.kind), " ", officerFields,
      el("label", { className: "handover-need" }, "요청 내용 ", ui.need),
      ui.submit, " ", ui.cancel,
    );
    ui.panel.append(el("h3", {}, "부서이관"), ui.list);
    actions.append(ui.toggle);
    actions.after(ui.form, ui.status, ui.panel);

    const state = { id: null, departments: null, seq: 0 };

    function say(text) {
      ui.status.textContent = text;
      ui.status.hidden = !text;
    }

    async function departments() {
      if (state.departments) return;
      const data = await api("GET", "/api/v1/departments?active=1");
      state.departments = data.departments;
      ui.department.replaceChildren(
        el("option", { value: "" }, "부서 선택"),
        ...data.departments.map((d) => el("option", { value: String(d.id) },
          `${d.name} (${d.phone})${d.placeholder_email && !d.webhook_url ? " " + TEXT.placeholder : ""}`)),
      );
    }

    function kindChanged() {
      officerFields.hidden = ui.kind.value !== "officer";
      ui.officerName.required = ui.kind.value === "officer";
    }

    async function toggle() {
      if (!ui.form.hidden) {
        ui.form.hidden = true;
        return;
      }
      try {
        await departments();
        kindChanged();
        ui.form.hidden = false;
        ui.need.focus();
      } catch (error) {
        say(error.message);
      }
    }

    async function submit(event) {
      event.preventDefault();
      if (!state.id) return;
      const body = { department: Number(ui.department.value), kind: ui.kind.value, need: ui.need.value.trim() };
      if (ui.kind.value === "officer") {
        for (const [key, input] of [["officer_name", ui.officerName], ["officer_phone", ui.officerPhone],
          ["officer_email", ui.officerEmail]]) {
          if (input.value.trim()) body[key] = input.value.trim();
        }
      }
      ui.submit.disabled = true;
      try {
        await api("POST", `/api/v1/conversations/${encodeURIComponent(state.id)}/handover`, body);
        ui.form.reset();
        ui.form.hidden = true;
        say(TEXT.done);
        await load();
      } catch (error) {
        say(error.message);
      } finally {
        ui.submit.disabled = false;
      }
    }

    function item(handover) {
      const delivery = TEXT.delivery[handover.delivery] || handover.delivery;
      const via = handover.via ? ` · ${TEXT.via[handover.via] || handover.via}` : "";
      const officer = handover.officer?.name ? ` · ${handover.officer.name}` : "";
      const row = el("li", { className: "handover-item", dataset: { handoverId: handover.id, delivery: handover.delivery },
        "data-testid": "handover-item" },
        el("strong", {}, `${TEXT.kind[handover.kind] || handover.kind} · ${handover.department.name}${officer}`), " ",
        el("span", { className: "tag", "data-testid": "handover-delivery" }, `${delivery}${via}`));
      if (handover.delivery !== "sent" && handover.last_error) {
        row.append(" ", el("span", { className: "muted" }, handover.last_error));
      }
      row.append(el("div", { className: "muted" }, handover.need));
      if (handover.answer) {
        row.append(el("div", { "data-testid": "handover-answer" }, `회신: ${handover.answer}`));
      } else {
        const input = el("input", { maxLength: 4000, required: true, placeholder: "부서 회신 내용",
          "data-testid": "handover-answer-input" });
        const form = el("form", { className: "inline-form" }, input, " ",
          el("button", { type: "submit", className: "small", "data-testid": "handover-answer-submit" }, "회신 기록"));
        form.addEventListener("submit", async (event) => {
          event.preventDefault();
          try {
            await api("POST", `/api/v1/handovers/${encodeURIComponent(handover.id)}/answer`, { text: input.value.trim() });
            say(TEXT.answered);
            await load();
          } catch (error) {
            say(error.message);
          }
        });
        row.append(form);
      }
      return row;
    }

    async function load() {
      const id = state.id;
      const seq = ++state.seq;
      if (!id) return;
      try {
        const path = `/api/v1/conversations/${encodeURIComponent(id)}`;
        const [conv, data] = await Promise.all([api("GET", path), api("GET", `${path}/handovers`)]);
        if (seq !== state.seq) return; // another conversation was opened meanwhile
        // Only an assigned conversation is handed over.
        ui.toggle.disabled = conv.state !== "assigned";
        if (ui.toggle.disabled) ui.form.hidden = true;
        ui.list.replaceChildren(...data.handovers.map(item));
        ui.panel.hidden = data.handovers.length === 0;
        // A pending handover is being sent: look again shortly for its delivery state.
        if (data.handovers.some((handover) => handover.delivery === "pending")) {
          setTimeout(() => { if (seq === state.seq) load(); }, PENDING_REFRESH_MS);
        }
      } catch {
        ui.panel.hidden = true;
      }
    }

    function opened() {
      const id = view.dataset.conversationId || null;
      if (id === state.id) return;
      state.id = id;
      ui.form.hidden = true;
      ui.list.replaceChildren();
      ui.panel.hidden = true;
      say("");
      load();
    }

    ui.toggle.addEventListener("click", toggle);
    ui.cancel.addEventListener("click", () => { ui.form.hidden = true; });
    ui.kind.addEventListener("change", kindChanged);
    ui.form.addEventListener("submit", submit);
    new MutationObserver(opened).observe(view, { attributes: true, attributeFilter: ["data-conversation-id"] });
    const shownState = document.getElementById("conversation-state");
    if (shownState) new MutationObserver(() => load()).observe(shownState, { childList: true, characterData: true, subtree: true });
    opened();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
