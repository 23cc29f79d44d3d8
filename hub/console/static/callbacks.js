/* Dasan Hub agent console: a conversation brought back for a callback (재통화) says so.
 *
 * Every conversation item (data-testid="conversation-item") whose conversation has a callback
 * task offered or in progress gets a "재통화" badge (data-testid="callback-badge") and a line with
 * what the citizen needs (data-testid="callback-need"); once the agent took it, a picker records
 * how the call went (data-testid="callback-outcome", "callback-record": POST
 * /api/v1/callbacks/{id}/outcome). The tasks come from GET /api/v1/callbacks?state=offered,in_progress
 * (docs/callbacks.md), read when the lists change and every few seconds while the console is open.
 * Server data reaches the DOM only as text.
 */
"use strict";

(() => {
  const REFRESH_MS = 10000;
  const SETTLE_MS = 400;
  const ITEM = '[data-testid="conversation-item"]';
  const OUTCOMES = [
    ["reached", "통화 완료"],
    ["no_answer", "부재 (다시 시도)"],
    ["wrong_number", "잘못된 번호"],
    ["cancelled", "취소"],
  ];
  let tasks = new Map(); // conversation id → callback task
  let settleTimer = null;

  const consoleOpen = () => {
    const app = document.getElementById("app");
    return app !== null && !app.hidden;
  };

  async function refresh() {
    if (!consoleOpen()) return;
    try {
      const response = await fetch("/api/v1/callbacks?state=offered,in_progress", {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      // Editors see no callbacks (403); a session that ended is console.js's to handle.
      const data = response.ok ? await response.json() : { callbacks: [] };
      tasks = new Map(data.callbacks.map((task) => [task.conversation_id, task]));
    } catch {
      return; // offline for a moment: keep what was shown
    }
    decorate();
  }

  function decorate() {
    observer.disconnect();
    for (const item of document.querySelectorAll(ITEM)) {
      const task = tasks.get(item.dataset.conversationId);
      let badge = item.querySelector('[data-testid="callback-badge"]');
      let need = item.querySelector('[data-testid="callback-need"]');
      if (!task) {
        badge?.remove();
        need?.remove();
        continue;
      }
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "tag callback-badge";
        badge.dataset.testid = "callback-badge";
        badge.textContent = "재통화";
        (item.querySelector(".conv-item-tags") || item).append(badge);
      }
      if (!need) {
        need = document.createElement("div");
        need.className = "conv-item-preview callback-need";
        need.dataset.testid = "callback-need";
        item.querySelector(".conv-item-name")?.after(need);
      }
      badge.title = `재통화 ${task.attempts + 1}차 시도`;
      need.textContent = `재통화 요청: ${task.need || "내용 없음"}`;
      let outcome = item.querySelector('[data-testid="callback-outcome-form"]');
      if (task.state !== "in_progress") {
        outcome?.remove();
      } else if (!outcome) {
        need.after(outcomeForm(task));
      }
    }
    observer.observe(document.body, { childList: true, subtree: true });
  }

  function outcomeForm(task) {
    const form = document.createElement("div");
    form.className = "callback-outcome";
    form.dataset.testid = "callback-outcome-form";
    const picker = document.createElement("select");
    picker.dataset.testid = "callback-outcome";
    picker.setAttribute("aria-label", "재통화 결과");
    for (const [value, label] of OUTCOMES) picker.append(new Option(label, value));
    const record = document.createElement("button");
    record.type = "button";
    record.className = "secondary";
    record.dataset.testid = "callback-record";
    record.textContent = "결과 기록";
    // A click here is not a click on the conversation item (which opens the conversation).
    form.addEventListener("click", (event) => event.stopPropagation());
    record.addEventListener("click", async () => {
      record.disabled = true;
      const response = await fetch(`/api/v1/callbacks/${encodeURIComponent(task.id)}/outcome`, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": "application/json", "X-Requested-With": "dasan-console" },
        body: JSON.stringify({ outcome: picker.value }),
      }).catch(() => null);
      record.disabled = false;
      if (response?.ok) {
        await refresh();
      } else {
        const data = await response?.json().catch(() => null);
        record.title = data?.error?.message || "기록하지 못했습니다. 다시 시도해 주세요.";
      }
    });
    form.append(picker, record);
    return form;
  }

  // The lists are drawn anew on every change: mark them again, and read the tasks once they settle.
  const addsItems = (mutation) =>
    [...mutation.addedNodes].some((node) => node.nodeType === Node.ELEMENT_NODE &&
      (node.matches(ITEM) || node.querySelector(ITEM) !== null));
  const observer = new MutationObserver((mutations) => {
    if (!mutations.some(addsItems)) return; // a clock ticking, a message drawn: nothing to mark
    decorate();
    clearTimeout(settleTimer);
    settleTimer = setTimeout(refresh, SETTLE_MS);
  });

  document.addEventListener("DOMContentLoaded", () => {
    observer.observe(document.body, { childList: true, subtree: true });
    setInterval(refresh, REFRESH_MS);
  });
})();
