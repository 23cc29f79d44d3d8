/* Dasan Hub agent console: the reports workspace (보고서) for supervisors and admins.
 *
 * The report's tables for a range, a period and filters, shown as the very HTML page the export
 * gives (its charts included) in a frame that runs no script, with downloads of that page, its CSV
 * and its XLSX; and the monthly VOC report, generated in the background with its progress shown.
 *
 * Contract: GET /api/v1/reports/tables/export, POST /api/v1/reports/voc, GET /api/v1/reports/voc/{id}
 * (docs/api.md). Loaded before console.js, which makes one workspace (createReportsWorkspace) and
 * tells it who logged in (start) and out (stop). Server data reaches the DOM only as text, through
 * console.js's h(); the report's own page is shown only inside the sandboxed frame.
 */
"use strict";

const REPORT_PERIODS = { day: "일별", week: "주별", month: "월별" };
const REPORT_FORMATS = { html: "HTML", csv: "CSV", xlsx: "XLSX" };
const VOC_POLL_MS = 1000;

/* The workspace. console.js calls start(agent) after login and stop() at logout. */
function createReportsWorkspace({ api, h, toast, labels }) {
  const root = document.getElementById("reports-workspace");
  const desk = document.getElementById("desk");
  const tabs = document.getElementById("view-tabs");
  const tab = tabs.querySelector("button[data-view=reports]");
  const view = {
    agent: null,
    listsLoaded: false,
    showSeq: 0,        // the newest report asked for; older answers are dropped
    vocJob: null,      // the VOC job being watched
    vocTimer: null,
  };
  const ui = build();
  bind();

  // ------------------------------------------------------------ building the DOM (once)

  function field(id, text, control) {
    return h("div", { className: "report-field" }, h("label", { for: id }, text), control);
  }

  function select(id, testid, options) {
    return h("select", { id, "data-testid": testid },
      Object.entries(options).map(([value, text]) => h("option", { value }, text)));
  }

  function build() {
    const parts = {};
    parts.from = h("input", { id: "report-from", "data-testid": "report-from", type: "date", required: true });
    parts.to = h("input", { id: "report-to", "data-testid": "report-to", type: "date", required: true });
    parts.period = select("report-period", "report-period", REPORT_PERIODS);
    parts.filters = {
      channel: select("report-channel", "report-channel", {}),
      language: select("report-language", "report-language", {}),
      category: select("report-category", "report-category", {}),
      queue: select("report-queue", "report-queue", {}),
      agent: select("report-agent", "report-agent", {}),
      team: select("report-team", "report-team", {}),
    };
    parts.show = h("button", { type: "submit", className: "primary", "data-testid": "report-show" }, "보기");
    parts.downloads = Object.entries(REPORT_FORMATS).map(([format, text]) =>
      h("button", { type: "button", "data-format": format, "data-testid": `report-download-${format}` }, `${text} 내려받기`));
    parts.status = h("p", { className: "muted report-status", "data-testid": "report-status", role: "status" });
    parts.frame = h("iframe", {
      className: "report-frame", "data-testid": "report-frame", title: "보고서",
      // The page is the hub's own export, yet it holds what citizens and agents wrote: no script runs in it.
      sandbox: "allow-same-origin",
    });
    parts.form = h("form", { className: "report-form", "data-testid": "report-form" },
      field("report-from", "시작일", parts.from),
      field("report-to", "종료일", parts.to),
      field("report-period", "집계 단위", parts.period),
      field("report-channel", "채널", parts.filters.channel),
      field("report-language", "언어", parts.filters.language),
      field("report-category", "분야", parts.filters.category),
      field("report-queue", "대기열", parts.filters.queue),
      field("report-agent", "상담사", parts.filters.agent),
      field("report-team", "팀", parts.filters.team),
      h("div", { className: "report-actions" }, parts.show, ...parts.downloads));

    parts.vocMonth = h("input", { id: "voc-month", "data-testid": "voc-month", type: "month", required: true });
    parts.vocGenerate = h("button", { type: "submit", className: "primary", "data-testid": "voc-generate" }, "보고서 만들기");
    parts.vocProgress = h("progress", { "data-testid": "voc-progress", max: 1, value: 0, hidden: true, "aria-label": "VOC 보고서 진행률" });
    parts.vocStage = h("span", { className: "muted", "data-testid": "voc-stage", role: "status" });
    parts.vocLinks = h("span", { className: "voc-links", "data-testid": "voc-links" });
    parts.vocForm = h("form", { className: "voc-form", "data-testid": "voc-form" },
      field("voc-month", "월", parts.vocMonth), parts.vocGenerate, parts.vocProgress, parts.vocStage, parts.vocLinks);

    root.replaceChildren(
      h("section", { className: "report-panel", "aria-labelledby": "report-heading" },
        h("div", { className: "report-head" },
          h("h2", { id: "report-heading" }, "상담 실적 보고서"),
          h("a", { href: "/console/wallboard/", target: "_blank", rel: "noopener", "data-testid": "wallboard-link" },
            "현황판 열기 ↗")),
        parts.form, parts.status, parts.frame),
      h("section", { className: "report-panel", "aria-labelledby": "voc-heading" },
        h("h2", { id: "voc-heading" }, "VOC 월간 보고"), parts.vocForm));
    return parts;
  }

  function bind() {
    // knowledge.js switches the desk and the articles on the same tabs; this adds the third view.
    for (const button of tabs.querySelectorAll("button[data-view]")) {
      button.addEventListener("click", () => showView(button.dataset.view));
    }
    ui.form.addEventListener("submit", (event) => { event.preventDefault(); showReport(); });
    for (const button of ui.downloads) button.addEventListener("click", () => download(button.dataset.format, button));
    ui.vocForm.addEventListener("submit", (event) => { event.preventDefault(); generateVoc(); });
    ui.frame.addEventListener("load", fitFrame);
  }

  // ------------------------------------------------------------ session and view

  function start(agent) {
    view.agent = agent;
    tab.hidden = !["supervisor", "admin"].includes(agent?.role);
    root.hidden = true;
    const today = new Date();
    ui.from.value = isoDay(new Date(today.getFullYear(), today.getMonth(), 1));
    ui.to.value = isoDay(today);
    ui.period.value = "day";
    ui.vocMonth.value = isoDay(new Date(today.getFullYear(), today.getMonth() - 1, 1)).slice(0, 7);
  }

  function stop() {
    view.agent = null;
    view.listsLoaded = false;
    stopPolling();
    view.vocJob = null;
    tab.hidden = true;
    root.hidden = true;
    ui.frame.removeAttribute("srcdoc");
    ui.status.textContent = "";
    resetVoc();
  }

  function showView(name) {
    const mine = name === "reports";
    root.hidden = !mine;
    if (!mine) return;
    desk.hidden = true;
    loadLists();
    if (!ui.frame.getAttribute("srcdoc")) showReport();
  }

  const isoDay = (date) =>
    `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;

  // ------------------------------------------------------------ filters

  function fillFilter(select, options) {
    const current = select.value;
    select.replaceChildren(h("option", { value: "" }, "전체"),
      ...Object.entries(options).map(([value, text]) => h("option", { value }, text)));
    select.value = Object.hasOwn(options, current) ? current : "";
  }

  async function loadLists() {
    fillFilter(ui.filters.channel, labels.channel);
    fillFilter(ui.filters.language, labels.language);
    fillFilter(ui.filters.category, labels.category);
    if (view.listsLoaded) return;
    const [queues, agents, teams] = await Promise.allSettled([
      api("GET", "/api/v1/queues"), api("GET", "/api/v1/agents"), api("GET", "/api/v1/teams"),
    ]);
    if (queues.status === "fulfilled") {
      fillFilter(ui.filters.queue, Object.fromEntries((queues.value.queues || []).map((q) =>
        [q.name, labels.queue[q.name] || q.label || q.name])));
    }
    if (agents.status === "fulfilled") {
      const floor = (agents.value.agents || []).filter((a) => a.role !== "editor");
      fillFilter(ui.filters.agent, Object.fromEntries(floor.map((a) =>
        [a.username, a.display_name ? `${a.display_name} (${a.username})` : a.username])));
    }
    if (teams.status === "fulfilled") {
      fillFilter(ui.filters.team, Object.fromEntries((teams.value.teams || []).map((t) => [t.name, t.name])));
    }
    view.listsLoaded = [queues, agents, teams].every((r) => r.status === "fulfilled");
  }

  function exportPath(format) {
    const params = new URLSearchParams({ format, from: ui.from.value, to: ui.to.value, period: ui.period.value });
    for (const [name, select] of Object.entries(ui.filters)) if (select.value) params.set(name, select.value);
    return `/api/v1/reports/tables/export?${params}`;
  }

  // ------------------------------------------------------------ the report and its files

  /* The export's bytes, or an ApiError-like failure with the hub's own message. */
  async function fetchExport(format) {
    let response;
    try {
      response = await fetch(exportPath(format), { credentials: "same-origin" });
    } catch {
      throw new Error("서버에 연결할 수 없습니다.");
    }
    if (!response.ok) {
      const data = await response.json().catch(() => null);
      throw new Error(data?.error?.message || `요청이 실패했습니다 (HTTP ${response.status}).`);
    }
    return response;
  }

  async function showReport() {
    if (!ui.form.reportValidity()) return;
    const seq = ++view.showSeq;
    ui.status.textContent = "보고서를 만드는 중…";
    ui.show.disabled = true;
    try {
      const page = await (await fetchExport("html")).text();
      if (seq !== view.showSeq) return;
      ui.frame.srcdoc = page;
      ui.status.textContent = `${ui.from.value} ~ ${ui.to.value} · ${REPORT_PERIODS[ui.period.value]}`;
    } catch (err) {
      if (seq === view.showSeq) ui.status.textContent = `보고서를 불러오지 못했습니다: ${err.message}`;
    } finally {
      if (seq === view.showSeq) ui.show.disabled = false;
    }
  }

  /* The frame as tall as the report, so the console scrolls once, not twice. */
  function fitFrame() {
    const page = ui.frame.contentDocument?.documentElement;
    if (page) ui.frame.style.height = `${page.scrollHeight + 16}px`;
  }

  async function download(format, button) {
    if (!ui.form.reportValidity()) return;
    button.disabled = true;
    try {
      const response = await fetchExport(format);
      const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1]
        || `report.${format}`;
      const url = URL.createObjectURL(await response.blob());
      const link = h("a", { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (err) {
      toast(`내려받지 못했습니다: ${err.message}`, "error");
    } finally {
      button.disabled = false;
    }
  }

  // ------------------------------------------------------------ VOC monthly report

  function resetVoc() {
    ui.vocProgress.hidden = true;
    ui.vocProgress.value = 0;
    ui.vocStage.textContent = "";
    ui.vocLinks.replaceChildren();
    ui.vocGenerate.disabled = false;
  }

  function stopPolling() {
    clearTimeout(view.vocTimer);
    view.vocTimer = null;
  }

  async function generateVoc() {
    if (!ui.vocForm.reportValidity()) return;
    stopPolling();
    resetVoc();
    ui.vocGenerate.disabled = true;
    try {
      const job = await api("POST", "/api/v1/reports/voc", { month: ui.vocMonth.value });
      view.vocJob = job.id;
      showVoc(job);
    } catch (err) {
      ui.vocStage.textContent = `시작하지 못했습니다: ${err.message}`;
      ui.vocGenerate.disabled = false;
    }
  }

  async function pollVoc(id) {
    try {
      const job = await api("GET", `/api/v1/reports/voc/${encodeURIComponent(id)}`);
      if (view.vocJob === id) showVoc(job);
    } catch (err) {
      if (view.vocJob !== id) return;
      ui.vocStage.textContent = `진행 상황을 확인하지 못했습니다: ${err.message}`;
      ui.vocGenerate.disabled = false;
    }
  }

  function showVoc(job) {
    ui.vocProgress.hidden = false;
    ui.vocProgress.max = Math.max(1, job.total || 0);
    ui.vocProgress.value = Math.min(job.done || 0, ui.vocProgress.max);
    ui.vocProgress.dataset.status = job.status;
    if (job.status === "done") {
      ui.vocProgress.value = ui.vocProgress.max;
      ui.vocStage.textContent = `${job.month} 보고서가 준비되었습니다.`;
      ui.vocLinks.replaceChildren(...Object.entries(REPORT_FORMATS).filter(([kind]) => job.files?.[kind]).map(([kind, text]) =>
        h("a", {
          href: job.files[kind], "data-testid": `voc-link-${kind}`,
          // The HTML report is read (and printed) in the browser; the tables go to a spreadsheet.
          ...(kind === "html" ? { target: "_blank", rel: "noopener" } : { download: "" }),
        }, text)));
      ui.vocGenerate.disabled = false;
      return;
    }
    if (job.status === "failed") {
      ui.vocStage.textContent = `보고서를 만들지 못했습니다: ${job.error || "알 수 없는 오류"}`;
      ui.vocGenerate.disabled = false;
      return;
    }
    ui.vocStage.textContent = `${job.stage || "준비 중"} (${job.done || 0}/${job.total || "?"})`;
    view.vocTimer = setTimeout(() => pollVoc(job.id), VOC_POLL_MS);
  }

  return { start, stop };
}
