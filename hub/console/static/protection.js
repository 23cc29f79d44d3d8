/* Dasan Hub agent console: the protection protocol (악성민원 대응) and masked personal data.
 *
 * - A citizen's message the hub found abusive arrives blurred, with its categories in Korean and a
 *   "보기" button: the agent decides whether to read it (client-side only).
 * - A message with personal data arrives masked; "개인정보 보기" asks the hub for the original, and
 *   the hub records who looked.
 * - In the conversation: the standard warning in one click ("경고 N/W"), and once the citizen has
 *   been warned enough, ending the conversation under the protocol with an optional block.
 * - Supervisors and admins: a banner for every threat, self-harm or emergency alert on the console
 *   socket, naming the crisis lines the citizen was given (119, 112, 109),
 *   and the "악성민원" panel: the month's incidents against the ceiling, each with its steps, and
 *   the active blocks with a way to lift one.
 *
 * Contract: POST /api/v1/conversations/{id}/warn, …/end-under-protocol, …/messages/{mid}/reveal,
 * GET /api/v1/protection/incidents, GET /api/v1/protection/blocks, POST …/blocks/{id}/lift
 * (docs/api.md). Loaded before console.js, which makes one panel (createProtection) and calls it
 * while drawing messages (messageBody), the conversation header (update), the lists (listTag) and
 * on socket frames (alert). Server data reaches the DOM only as text, through console.js's h().
 */
"use strict";

const PROTECTION_TEXT = {
  category: { insult: "욕설·모욕", sexual: "성희롱", threat: "위협", self_harm: "자해 암시" },
  alert: { threat: "위협 감지", self_harm: "자해 암시 감지", emergency: "긴급 상황 신고" },
  emergency: { fire: "화재", medical: "응급 환자", crime: "범죄", attempt: "자살 시도" },
  blockHours: { 0: "없음", 1: "1시간", 24: "24시간", 168: "7일" },
  // The hub explains in English; the people at the console read Korean first.
  error: {
    not_warned_enough: "표준 경고를 정해진 횟수만큼 보낸 뒤에 보호 조치로 종료할 수 있습니다.",
    invalid_block_hours: "차단 기간이 허용 범위를 벗어났습니다.",
  },
};
/* Until the console socket's first snapshot says how many warnings come before the end (DASAN_PROTECTION_WARNINGS). */
const DEFAULT_WARNINGS_TO_END = 3;

/* The panel. console.js calls start(agent) after login and stop() at logout. */
function createProtection({ api, h, toast, labels, fmtDateTime, convPath, applyConversation, upsertMessage }) {
  const categoryName = (code) => PROTECTION_TEXT.category[code] || String(code);
  const categoriesText = (codes) => (Array.isArray(codes) ? codes : []).map(categoryName).join(", ");
  const supervising = (agent) => ["supervisor", "admin"].includes(agent?.role);

  const view = {
    agent: null,
    conv: null,                 // the open conversation, as the header last drew it
    warningsToEnd: DEFAULT_WARNINGS_TO_END,
    unveiled: new Set(),        // ids of abusive messages this agent chose to read
    revealed: new Map(),        // message id -> {text, translation}: personal data the hub unmasked
    panelSeq: 0,                // the newest panel load; older answers are dropped
    busy: false,                // a warning or an end is on its way
  };
  const ui = {
    warn: document.getElementById("warn-button"),
    warnCount: document.getElementById("warn-count"),
    end: document.getElementById("protocol-end-button"),
    endForm: document.getElementById("protocol-form"),
    endBlock: document.getElementById("protocol-block-select"),
    endNote: document.getElementById("protocol-note"),
    endCancel: document.getElementById("protocol-cancel"),
    banner: document.getElementById("alert-banner"),
    alerts: document.getElementById("alert-list"),
    panel: document.getElementById("protection-panel"),
    month: document.getElementById("protection-month"),
    refresh: document.getElementById("protection-refresh"),
    count: document.getElementById("protection-count"),
    incidents: document.getElementById("protection-incidents"),
    blocks: document.getElementById("protection-blocks"),
  };
  bind();

  function bind() {
    ui.endBlock.replaceChildren(...Object.entries(PROTECTION_TEXT.blockHours).map(([value, text]) =>
      h("option", { value }, text)));
    ui.warn.addEventListener("click", warn);
    ui.end.addEventListener("click", toggleEndForm);
    ui.endCancel.addEventListener("click", () => { ui.endForm.hidden = true; });
    ui.endForm.addEventListener("submit", endUnderProtocol);
    ui.month.addEventListener("change", loadPanel);
    ui.refresh.addEventListener("click", loadPanel);
  }

  // ------------------------------------------------------------ session

  function start(agent) {
    view.agent = agent;
    ui.panel.hidden = !supervising(agent);
    if (!supervising(agent)) return;
    const today = new Date();
    ui.month.value = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}`;
    loadPanel();
  }

  function stop() {
    view.agent = null;
    view.conv = null;
    view.unveiled.clear();
    view.revealed.clear();
    view.panelSeq += 1;
    ui.panel.hidden = true;
    ui.incidents.replaceChildren();
    ui.blocks.replaceChildren();
    ui.alerts.replaceChildren();
    ui.banner.hidden = true;
  }

  // ------------------------------------------------------------ messages

  /* The message's body as console.js draws it (`draw`), with the hub's unmasked text once
   * revealed, veiled while abusive and not yet chosen to be read. */
  function messageBody(message, draw) {
    const id = String(message.id);
    const revealed = view.revealed.get(id);
    const content = h("div", { className: "message-content" },
      ...draw(revealed ? { ...message, ...revealed } : message));
    const parts = [];
    const abuse = Array.isArray(message.abuse) ? message.abuse : [];
    if (abuse.length) parts.push(veil(id, abuse, content));
    else parts.push(content);
    if (message.personal_data && !revealed) parts.push(revealButton(message, content, draw));
    return parts;
  }

  function veil(id, abuse, content) {
    const box = h("div", { className: "abuse-veil", "data-testid": "abuse-veil" });
    const labelNode = h("span", { className: "abuse-label", "data-testid": "abuse-label" },
      `악성 표현: ${categoriesText(abuse)}`);
    const show = h("button", {
      type: "button", className: "small", "data-testid": "abuse-show",
      "aria-label": `악성 표현(${categoriesText(abuse)})이 담긴 메시지 보기`,
    }, "보기");
    const setVeiled = (veiled) => {
      box.dataset.veiled = String(veiled);
      content.inert = veiled; // not read out, selected or found on the page either, until shown
      show.hidden = !veiled;
    };
    show.addEventListener("click", () => {
      view.unveiled.add(id);
      setVeiled(false);
    });
    setVeiled(!view.unveiled.has(id));
    box.append(h("div", { className: "abuse-head" }, labelNode, show), content);
    return box;
  }

  function revealButton(message, content, draw) {
    const button = h("button", {
      type: "button", className: "small pii-reveal", "data-testid": "pii-reveal",
      title: "가려진 개인정보를 봅니다. 열람한 사람과 시각이 감사 기록에 남습니다.",
      "aria-label": "가려진 개인정보 보기 (열람이 감사 기록에 남습니다)",
    }, "개인정보 보기");
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const path = convPath(message.conversation_id || view.conv?.id, `/messages/${encodeURIComponent(message.id)}/reveal`);
        const original = await api("POST", path);
        const revealed = { text: original.text, translation: original.translation };
        view.revealed.set(String(message.id), revealed);
        content.replaceChildren(...draw({ ...message, ...revealed }));
        button.remove();
      } catch (err) {
        button.disabled = false;
        toast(`개인정보를 불러오지 못했습니다: ${err.message}`, "error");
      }
    });
    return button;
  }

  /* A mark on a listed conversation in which abuse was detected or flagged. */
  function listTag(conv) {
    return conv.abuse ? h("span", { className: "tag abuse-tag", "data-testid": "abuse-tag" }, "악성") : null;
  }

  // ------------------------------------------------------------ the conversation: warn, end

  /* The header's protocol controls for the open conversation (null: none open). */
  function update(conv) {
    if (conv?.id !== view.conv?.id) closeForms(); // another conversation: nothing half-filled follows
    view.conv = conv;
    if (!conv) {
      ui.warnCount.textContent = "";
      ui.warn.disabled = true;
      ui.end.disabled = true;
      return;
    }
    const warnings = Number(conv.warnings) || 0;
    const closed = conv.state === "resolved";
    ui.warnCount.textContent = `경고 ${warnings}/${view.warningsToEnd}`;
    ui.warnCount.dataset.warnings = String(warnings);
    ui.warn.disabled = closed || view.busy;
    ui.end.disabled = closed || view.busy || warnings < view.warningsToEnd;
    ui.end.title = warnings < view.warningsToEnd
      ? `경고를 ${view.warningsToEnd}회 보낸 뒤에 종료할 수 있습니다.`
      : "보호 조치로 상담을 종료합니다.";
    if (closed || warnings < view.warningsToEnd) ui.endForm.hidden = true;
  }

  function closeForms() {
    ui.endForm.hidden = true;
    ui.endNote.value = "";
    ui.endBlock.value = "0";
  }

  async function warn() {
    const id = view.conv?.id;
    if (!id || view.busy) return;
    view.busy = true;
    update(view.conv);
    try {
      const answer = await api("POST", convPath(id, "/warn"), {});
      if (Number.isInteger(answer.warnings_to_end)) view.warningsToEnd = answer.warnings_to_end;
      if (answer.message) upsertMessage(answer.message);
      applyConversation({ ...answer.conversation, warnings: answer.warnings }); // the count just sent
      toast(`표준 경고를 보냈습니다 (${answer.warnings}/${view.warningsToEnd}).`);
    } catch (err) {
      toast(PROTECTION_TEXT.error[err.code] || err.message, "error");
    } finally {
      view.busy = false;
      update(view.conv);
    }
  }

  function toggleEndForm() {
    if (ui.end.disabled) return;
    ui.endForm.hidden = !ui.endForm.hidden;
    if (!ui.endForm.hidden) ui.endBlock.focus();
  }

  async function endUnderProtocol(event) {
    event.preventDefault();
    const id = view.conv?.id;
    if (!id || view.busy) return;
    const blockHours = Number(ui.endBlock.value);
    view.busy = true;
    update(view.conv);
    try {
      const answer = await api("POST", convPath(id, "/end-under-protocol"),
        { block_hours: blockHours, note: ui.endNote.value.trim() });
      closeForms();
      applyConversation(answer.conversation);
      toast(answer.block
        ? `보호 조치로 종료하고 ${fmtDateTime(answer.block.until)}까지 연락을 차단했습니다.`
        : "보호 조치로 상담을 종료했습니다.");
      if (supervising(view.agent)) loadPanel();
    } catch (err) {
      toast(PROTECTION_TEXT.error[err.code] || err.message, "error");
    } finally {
      view.busy = false;
      update(view.conv);
    }
  }

  // ------------------------------------------------------------ alerts (threat, self-harm)

  /* A `{"type": "alert"}` frame from the console socket: a banner until dismissed. */
  function onAlert(frame) {
    const kind = PROTECTION_TEXT.alert[frame.kind] ? frame.kind : "threat";
    const id = typeof frame.conversation_id === "string" ? frame.conversation_id : "";
    const lines = Array.isArray(frame.lines) ? frame.lines.map(String) : [];
    const emergencies = (Array.isArray(frame.emergencies) ? frame.emergencies : [])
      .map((code) => PROTECTION_TEXT.emergency[code] || String(code));
    const item = h("li", { className: `alert alert-${kind}`, "data-testid": "alert", "data-kind": kind,
      "data-conversation-id": id },
      h("strong", {}, PROTECTION_TEXT.alert[kind]),
      emergencies.length ? h("span", { className: "tag" }, emergencies.join(", ")) : null,
      lines.length ? h("span", { className: "tag alert-lines", "data-testid": "alert-lines" },
        `안내한 번호 ${lines.join(" · ")}`) : null,
      h("time", { dateTime: frame.at }, fmtDateTime(frame.at)),
      h("q", { className: "alert-text" }, frame.text ?? ""),
      id ? h("a", { href: `#conversation=${encodeURIComponent(id)}`, "data-testid": "alert-open" }, "상담 열기") : null);
    item.append(h("button", {
      type: "button", className: "small", "data-testid": "alert-dismiss", "aria-label": "이 알림 닫기",
      onclick: () => {
        item.remove();
        ui.banner.hidden = ui.alerts.childElementCount === 0;
      },
    }, "닫기"));
    ui.alerts.prepend(item);
    ui.banner.hidden = false;
    if (supervising(view.agent)) loadPanel();
  }

  // ------------------------------------------------------------ the supervisor's panel

  async function loadPanel() {
    if (!supervising(view.agent)) return;
    const seq = ++view.panelSeq;
    const month = ui.month.value;
    const [incidents, blocks] = await Promise.allSettled([
      api("GET", `/api/v1/protection/incidents?month=${encodeURIComponent(month)}`),
      api("GET", "/api/v1/protection/blocks?active=1"),
    ]);
    if (seq !== view.panelSeq) return;
    if (incidents.status === "fulfilled") renderIncidents(incidents.value);
    else ui.incidents.replaceChildren(h("li", { className: "error" }, `불러오지 못했습니다: ${incidents.reason.message}`));
    if (blocks.status === "fulfilled") renderBlocks(blocks.value.blocks || []);
    else ui.blocks.replaceChildren(h("li", { className: "error" }, `불러오지 못했습니다: ${blocks.reason.message}`));
  }

  function renderIncidents(report) {
    const count = Number(report.count) || 0;
    const ceiling = Number(report.ceiling) || 0;
    ui.count.textContent = `${count} / ${ceiling}`;
    ui.count.dataset.over = String(ceiling > 0 && count >= ceiling);
    const incidents = report.incidents || [];
    if (!incidents.length) {
      ui.incidents.replaceChildren(h("li", { className: "empty" }, "이 달의 악성민원이 없습니다."));
      return;
    }
    ui.incidents.replaceChildren(...incidents.map(incidentItem));
  }

  function incidentItem(incident) {
    const id = String(incident.conversation_id ?? "");
    return h("li", { className: "incident", "data-testid": "protection-incident", "data-conversation-id": id },
      h("div", { className: "incident-head" },
        h("strong", {}, categoriesText(incident.categories) || "악성민원"),
        h("span", { className: "tag" }, labels.channel[incident.channel] || String(incident.channel ?? "-")),
        h("span", { className: "tag" }, labels.language[incident.language] || String(incident.language ?? "-")),
        h("span", { className: "muted" }, `담당 ${incident.agent || "-"} · ${fmtDateTime(incident.at)}`),
        h("a", { href: `#conversation=${encodeURIComponent(id)}`, "data-testid": "protection-incident-open" }, "상담 열기")),
      h("ol", { className: "incident-steps" }, (incident.steps || []).map(stepItem)));
  }

  /* One step of an incident: when, what, who, and the details. */
  function stepItem(step) {
    const detail = stepDetail(step.data);
    return h("li", { "data-testid": "protection-step", "data-type": step.type },
      h("time", { dateTime: step.at }, fmtDateTime(step.at)), " ",
      h("strong", {}, labels.event[step.type] || String(step.type)), " ",
      h("span", { className: "muted" }, `· ${step.actor || "시스템"}`),
      detail ? h("span", { className: "step-detail" }, ` — ${detail}`) : null);
  }

  /* What a step's data says, in words: categories, the warning's number, the block, notes.
   * Ids (message_id, block_id) say nothing to a person and are left out. */
  function stepDetail(data) {
    if (!data || typeof data !== "object") return "";
    const words = {
      categories: (value) => categoriesText(value),
      count: (value) => `${value}번째 경고`,
      warnings: (value) => `경고 ${value}회 후`,
      block_hours: (value) => `차단 ${PROTECTION_TEXT.blockHours[value] || `${value}시간`}`,
      until: (value) => `${fmtDateTime(value)}까지 차단`,
      note: (value) => (value ? `메모: ${value}` : ""),
      reason: (value) => (value ? `사유: ${value}` : ""),
    };
    return Object.entries(data)
      .filter(([key]) => !key.endsWith("_id"))
      .map(([key, value]) => (words[key] ? words[key](value) : `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`))
      .filter(Boolean).join(" · ");
  }

  function renderBlocks(blocks) {
    if (!blocks.length) {
      ui.blocks.replaceChildren(h("li", { className: "empty" }, "차단 중인 연락처가 없습니다."));
      return;
    }
    ui.blocks.replaceChildren(...blocks.map(blockItem));
  }

  function blockItem(block) {
    const reason = h("input", {
      "data-testid": "block-lift-reason", required: true, maxlength: 500, placeholder: "해제 사유",
      "aria-label": "차단 해제 사유",
    });
    const form = h("form", { className: "inline-form block-lift-form", hidden: true },
      reason,
      h("button", { type: "submit", className: "primary small", "data-testid": "block-lift-submit" }, "해제 확인"),
      h("button", { type: "button", className: "small", onclick: () => { form.hidden = true; } }, "취소"));
    const lift = h("button", {
      type: "button", className: "small", "data-testid": "block-lift",
      "aria-label": `연락처 ${block.contact_id ?? ""}의 차단 해제`,
      onclick: () => {
        form.hidden = !form.hidden;
        if (!form.hidden) reason.focus();
      },
    }, "해제");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = reason.value.trim();
      if (!text) return;
      lift.disabled = true;
      try {
        await api("POST", `/api/v1/protection/blocks/${encodeURIComponent(block.id)}/lift`, { reason: text });
        toast("차단을 해제했습니다.");
        await loadPanel();
      } catch (err) {
        lift.disabled = false;
        toast(`해제하지 못했습니다: ${err.message}`, "error");
      }
    });
    return h("li", { className: "block", "data-testid": "protection-block", "data-block-id": block.id ?? "" },
      h("div", { className: "block-head" },
        h("code", {}, String(block.contact_id ?? "")),
        h("span", {}, `${fmtDateTime(block.until)}까지`),
        h("span", { className: "muted" }, `${block.actor || "-"} · ${block.reason || ""}`),
        block.conversation_id
          ? h("a", { href: `#conversation=${encodeURIComponent(block.conversation_id)}` }, "상담 열기") : null,
        lift),
      form);
  }

  /* The hub's rule, from each snapshot of the console socket. */
  function configure(snapshot) {
    if (!Number.isInteger(snapshot.warnings_to_end) || snapshot.warnings_to_end === view.warningsToEnd) return;
    view.warningsToEnd = snapshot.warnings_to_end;
    update(view.conv);
  }

  return { start, stop, configure, messageBody, listTag, update, onAlert };
}
