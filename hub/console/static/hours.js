/* Dasan Hub agent console: queue hours (운영 시간) and the centre's holidays, in the supervisor's view.
 *
 * Supervisors see which queues are open now, until when, when a closed one opens and which queue
 * (the night team's) serves it meanwhile. Admins also edit a queue's weekly hours, its hours on
 * holidays and its after-hours queue, and add or remove holidays.
 *
 * Contract: GET /api/v1/queues, GET|PUT /api/v1/queues/{name}/hours, GET|POST /api/v1/holidays,
 * DELETE /api/v1/holidays/{date} (docs/hours.md). Stands alone: it appears when console.js shows
 * the supervisor's view and asks GET /api/v1/me who is logged in. Server data reaches the DOM
 * only as text.
 */
"use strict";

(() => {
  const DAYS = [["mon", "월"], ["tue", "화"], ["wed", "수"], ["thu", "목"], ["fri", "금"], ["sat", "토"], ["sun", "일"]];
  const QUEUE_LABELS = {
    transport: "교통", water: "상수도", city: "시정", district: "자치구", other: "기타",
    foreign_language: "외국어", sign_language: "수어",
  };
  const REFRESH_MS = 60000;
  const RANGE = /^(\d{2}:\d{2})\s*[-~–]\s*(\d{2}:\d{2})$/;

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


  /* The order the floor thinks of them (as console.js lists them), unknown ones last. */
  const ORDER = Object.keys(QUEUE_LABELS);
  const rank = (queue) => (ORDER.includes(queue.name) ? ORDER.indexOf(queue.name) : ORDER.length);
  const inFloorOrder = (queues) => [...queues].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  const queueLabel = (queue) => QUEUE_LABELS[queue.name || queue] || queue.label || queue.name || queue;
  const when = (iso) => new Date(iso).toLocaleString("ko-KR", {
    timeZone: "Asia/Seoul", month: "numeric", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit",
  });
  /* [["09:00","18:00"]] as "09:00-18:00" and back; "" is closed. */
  const showRanges = (ranges) => (ranges || []).map(([start, end]) => `${start}-${end}`).join(", ");
  function readRanges(text, where) {
    const parts = text.split(",").map((part) => part.trim()).filter(Boolean);
    return parts.map((part) => {
      const match = RANGE.exec(part);
      if (!match) throw new Error(`${where}: "${part}"은(는) 09:00-18:00 모양이 아닙니다.`);
      return [match[1], match[2]];
    });
  }

  const host = document.getElementById("supervisor-view");
  if (!host) return;
  const ui = build();
  host.append(ui.root);
  const view = { admin: false, timer: null, queues: [] };

  function build() {
    const p = {};
    p.status = el("ul", { className: "plain-list", "data-testid": "hours-status" });
    p.refresh = el("button", { type: "button", className: "small", "data-testid": "hours-refresh" }, "새로고침");
    p.queue = el("select", { id: "hours-queue", "data-testid": "hours-queue" });
    p.days = Object.fromEntries(DAYS.map(([day]) => [day, el("input", {
      id: `hours-${day}`, "data-testid": `hours-day-${day}`, placeholder: "휴무", autocomplete: "off",
    })]));
    p.holidays = el("input", {
      id: "hours-on-holidays", "data-testid": "hours-on-holidays", placeholder: "공휴일 설정을 따름", autocomplete: "off",
    });
    p.after = el("select", { id: "hours-after", "data-testid": "hours-after-hours-queue" });
    p.save = el("button", { type: "submit", className: "primary small", "data-testid": "hours-save" }, "저장");
    p.always = el("button", { type: "button", className: "small", "data-testid": "hours-always" }, "24시간 운영");
    p.result = el("p", { className: "muted", role: "status", "data-testid": "hours-result" });
    p.form = el("form", { className: "hours-form", "aria-label": "운영 시간 편집", hidden: true },
      el("div", { className: "inline-form" }, el("label", { for: "hours-queue" }, "대기열"), p.queue, p.always),
      ...DAYS.map(([day, name]) => el("div", { className: "inline-form" },
        el("label", { for: `hours-${day}` }, name), p.days[day])),
      el("div", { className: "inline-form" }, el("label", { for: "hours-on-holidays" }, "공휴일"), p.holidays),
      el("div", { className: "inline-form" }, el("label", { for: "hours-after" }, "마감 후 이관"), p.after, p.save),
      el("p", { className: "muted" }, "예: 09:00-18:00, 야간 18:00-09:00 (다음 날 아침까지), 빈칸은 휴무."),
      p.result);

    p.year = el("input", { id: "holiday-year", "data-testid": "holiday-year", type: "number", min: 2000, max: 2999 });
    p.holidayList = el("ul", { className: "plain-list", "data-testid": "holiday-list" });
    p.date = el("input", { id: "holiday-date", "data-testid": "holiday-date", type: "date", required: true });
    p.name = el("input", {
      id: "holiday-name", "data-testid": "holiday-name", maxLength: 100, required: true, placeholder: "예: 창립기념일",
    });
    p.add = el("button", { type: "submit", className: "small", "data-testid": "holiday-add" }, "추가");
    p.addForm = el("form", { className: "inline-form", "aria-label": "공휴일 추가", hidden: true },
      el("label", { for: "holiday-date" }, "날짜"), p.date, el("label", { for: "holiday-name" }, "이름"), p.name, p.add);

    p.root = el("section", {
      id: "hours-panel", "data-testid": "hours-panel", className: "protection-panel", "aria-labelledby": "hours-heading",
    },
    el("div", { className: "protection-head" }, el("h3", { id: "hours-heading" }, "운영 시간"), p.refresh),
    el("div", { className: "sup-lists" },
      el("div", {}, el("h3", {}, "대기열"), p.status, p.form),
      el("div", {}, el("div", { className: "inline-form" }, el("h3", {}, "공휴일"), p.year), p.holidayList, p.addForm)));
    return p;
  }

  /* One line per queue: open until when, or closed until when and who serves it meanwhile. */
  function renderStatus(queues) {
    ui.status.replaceChildren(...queues.map((queue) => {
      let text;
      if (queue.open) text = queue.closes_at ? `운영 중 · ${when(queue.closes_at)} 마감` : "운영 중 · 24시간";
      else text = `마감 · ${queue.opens_at ? `${when(queue.opens_at)} 개시` : "개시 예정 없음"}`;
      const served = !queue.open && queue.served_by && queue.served_by !== queue.name
        ? ` · ${queueLabel(queue.served_by)} 대기열이 응대` : "";
      return el("li", { className: "queue-item", "data-queue": queue.name, "data-open": String(queue.open) },
        el("span", { className: "queue-name" }, queueLabel(queue)),
        el("span", { className: queue.open ? "" : "muted" }, text + served));
    }));
  }

  async function loadStatus() {
    try {
      view.queues = inFloorOrder((await api("GET", "/api/v1/queues")).queues || []);
      renderStatus(view.queues);
      if (view.admin && !ui.queue.options.length) fillQueues();
    } catch (err) {
      ui.status.replaceChildren(el("li", { className: "empty" }, err.message));
    }
  }

  function fillQueues() {
    const options = view.queues.map((queue) => el("option", { value: queue.name }, queueLabel(queue)));
    ui.queue.replaceChildren(...options);
    loadHours(ui.queue.value);
  }

  async function loadHours(name) {
    if (!name) return;
    ui.result.textContent = "";
    try {
      const hours = await api("GET", `/api/v1/queues/${encodeURIComponent(name)}/hours`);
      for (const [day] of DAYS) ui.days[day].value = showRanges(hours.weekly[day]);
      ui.holidays.value = hours.holidays == null ? "" : showRanges(hours.holidays);
      ui.after.replaceChildren(el("option", { value: "" }, "없음"),
        ...view.queues.filter((queue) => queue.name !== name)
          .map((queue) => el("option", { value: queue.name }, queueLabel(queue))));
      ui.after.value = hours.after_hours_queue || "";
    } catch (err) {
      ui.result.textContent = err.message;
    }
  }

  async function saveHours() {
    const name = ui.queue.value;
    try {
      const weekly = Object.fromEntries(DAYS.map(([day, label]) => [day, readRanges(ui.days[day].value, label)]));
      const holidays = ui.holidays.value.trim() ? readRanges(ui.holidays.value, "공휴일") : null;
      ui.save.disabled = true;
      await api("PUT", `/api/v1/queues/${encodeURIComponent(name)}/hours`,
        { weekly, holidays, after_hours_queue: ui.after.value || null });
      ui.result.textContent = `${queueLabel(name)} 운영 시간을 저장했습니다.`;
      await loadStatus();
    } catch (err) {
      ui.result.textContent = err.message;
    } finally {
      ui.save.disabled = false;
    }
  }

  async function loadHolidays() {
    try {
      const data = await api("GET", `/api/v1/holidays?year=${encodeURIComponent(ui.year.value)}`);
      const items = (data.holidays || []).map((holiday) => {
        const hours = holiday.closed ? "휴무" : showRanges(holiday.hours);
        const head = el("div", { className: "block-head" },
          el("strong", {}, holiday.date), el("span", {}, holiday.name), el("span", { className: "muted" }, hours));
        if (view.admin) {
          const remove = el("button", {
            type: "button", className: "small", "data-testid": "holiday-remove", "aria-label": `${holiday.date} 삭제`,
          }, "삭제");
          remove.addEventListener("click", () => removeHoliday(holiday.date));
          head.append(remove);
        }
        return el("li", { className: "block", "data-date": holiday.date, "data-testid": "holiday-item" }, head);
      });
      ui.holidayList.replaceChildren(...(items.length ? items : [el("li", { className: "empty" }, "공휴일이 없습니다.")]));
    } catch (err) {
      ui.holidayList.replaceChildren(el("li", { className: "empty" }, err.message));
    }
  }

  async function removeHoliday(date) {
    try {
      await api("DELETE", `/api/v1/holidays/${encodeURIComponent(date)}`);
      await Promise.all([loadHolidays(), loadStatus()]);
    } catch (err) {
      ui.result.textContent = err.message;
    }
  }

  async function addHoliday() {
    try {
      await api("POST", "/api/v1/holidays", { date: ui.date.value, name: ui.name.value.trim() });
      ui.year.value = ui.date.value.slice(0, 4);
      ui.name.value = "";
      await Promise.all([loadHolidays(), loadStatus()]);
    } catch (err) {
      ui.result.textContent = err.message;
    }
  }

  ui.refresh.addEventListener("click", () => { loadStatus(); loadHolidays(); });
  ui.queue.addEventListener("change", () => loadHours(ui.queue.value));
  ui.year.addEventListener("change", loadHolidays);
  ui.always.addEventListener("click", () => {
    for (const [day] of DAYS) ui.days[day].value = "00:00-24:00";
    ui.holidays.value = "00:00-24:00";
  });
  ui.form.addEventListener("submit", (event) => { event.preventDefault(); saveHours(); });
  ui.addForm.addEventListener("submit", (event) => { event.preventDefault(); addHoliday(); });

  /* Shown with the supervisor's view (console.js), for whoever is logged in then. */
  async function start() {
    view.timer = -1;  // starting: the observer does not start it twice
    try {
      view.admin = (await api("GET", "/api/v1/me")).role === "admin";
    } catch {
      view.timer = null;
      return;
    }
    ui.form.hidden = ui.addForm.hidden = !view.admin;
    ui.queue.replaceChildren();
    ui.year.value = String(new Date().getFullYear());
    await Promise.all([loadStatus(), loadHolidays()]);
    view.timer = setInterval(loadStatus, REFRESH_MS);
  }

  function stop() {
    clearInterval(view.timer);
    view.timer = null;
  }

  /* The app hides at logout and shows at the next login, perhaps of someone else. */
  const app = document.getElementById("app");
  const shown = () => !host.hidden && !(app && app.hidden);
  const observer = new MutationObserver(() => (shown() ? view.timer == null && start() : stop()));
  for (const node of [host, app].filter(Boolean)) observer.observe(node, { attributes: true, attributeFilter: ["hidden"] });
  if (shown()) start();
})();
