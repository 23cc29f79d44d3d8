/* Dasan Hub agent console: the knowledge base as editors work it (표준상담DB).
 *
 * A workspace beside the conversations: the articles with their workflow state, an editor for
 * the Korean text and its translations, the workflow (submit, approve, return, publish,
 * archive), each article's history and what changed since the published text, import and
 * export, and the citizens' questions that no article answers yet. Editors see only this
 * workspace; supervisors and admins switch to it from the top bar. Agents get one thing from
 * here: a button that turns their own reply into a draft article.
 *
 * Contract: the knowledge-base endpoints under /api/v1/kb (docs/api.md). Loaded before
 * console.js, which makes one workspace (createKnowledgeWorkspace) and tells it who logged in
 * (start) and out (stop). Server data reaches the DOM only as text, through console.js's h().
 */
"use strict";

const KB_TRANSLATIONS = ["en", "zh", "ja", "vi", "mn"]; // Korean is the original; these translate it
const KB_NATIVE = { en: "English", zh: "中文", ja: "日本語", vi: "Tiếng Việt", mn: "Монгол" };
const KB_EXPORTS = { jsonl: "JSON Lines", csv: "CSV", xlsx: "Excel (XLSX)" };

const KB_TEXT = {
  state: { draft: "초안", review: "검토 중", published: "게시됨", archived: "보관" },
  action: {
    created: "작성", edited: "수정", submitted: "검토 요청", approved: "승인", returned: "반려",
    published: "게시", archived: "보관", imported: "가져오기",
  },
  field: {
    category: "분류", valid_from: "게시 시작일", valid_until: "게시 종료일", directory: "전화번호 안내",
    title: "제목", body: "본문", keywords: "키워드",
  },
  questionKind: { "": "전체", unanswered: "챗봇이 답하지 못한 질문", agent_answered: "상담사가 답한 질문" },
  // The server explains in English; the people at the console read Korean first.
  error: {
    needs_second_review: "다른 편집자나 관리자가 이 판을 승인해야 게시할 수 있습니다.",
    not_approved: "아직 아무도 이 판을 승인하지 않았습니다.",
    wrong_state: "지금 상태에서는 할 수 없는 작업입니다. 문서를 다시 불러오세요.",
    edit_conflict: "다른 사람이 먼저 저장했습니다.",
  },
  outdated: "한국어 원문이 바뀌었습니다",
};

/* The workspace. console.js calls start(agent) after login, stop() at logout, and
 * draftButton(message, agent) for each message it draws. */
function createKnowledgeWorkspace({ api, h, toast, labels, fmtDateTime }) {
  const root = document.getElementById("kb-workspace");
  const app = document.getElementById("app");
  const desk = document.getElementById("desk");
  const tabs = document.getElementById("view-tabs");
  const kbPath = (tail = "") => `/api/v1/kb${tail}`;
  const entryPath = (id, tail = "") => kbPath(`/entries/${encodeURIComponent(id)}${tail}`);
  const stateName = (code) => KB_TEXT.state[code] || String(code ?? "-");
  const languageName = (code) => labels.language[code] || String(code);

  const view = {
    agent: null,
    entry: null,        // the open article (GET …/entries/{id}), null for a new one
    creating: false,    // the form holds a new article not yet saved
    dirty: false,       // the form has changes not yet saved
    busy: false,        // a save or workflow request is on its way
    listSeq: 0,         // the newest list request; older answers are dropped
    openSeq: 0,         // likewise for the open article
    drafted: new Map(), // message id -> "pending" | "done": the agent's replies proposed as drafts
  };

  const ui = buildWorkspace();
  bindTabs();

  // ------------------------------------------------------------ building the DOM (once)

  function field(id, text, control) {
    return h("div", { className: "kb-field" }, h("label", { for: id }, text), control);
  }

  function input(id, testid, props = {}) {
    return h("input", { id, "data-testid": testid, autocomplete: "off", ...props });
  }

  function textarea(id, testid, props = {}) {
    return h("textarea", { id, "data-testid": testid, rows: 6, ...props });
  }

  function select(id, testid, options) {
    return h("select", { id, "data-testid": testid },
      Object.entries(options).map(([value, text]) => h("option", { value }, text)));
  }

  function button(testid, text, props = {}) {
    return h("button", { type: "button", "data-testid": testid, ...props }, text);
  }

  /* One translation, folded away until the editor opens it; the outdated mark shows folded too. */
  function variantSection(language) {
    const mark = h("span", { className: "kb-outdated", "data-testid": `kb-editor-outdated-${language}`, hidden: true },
      KB_TEXT.outdated);
    // A translator who compared the text with the new Korean and found it still right says so.
    const checked = h("input", {
      type: "checkbox", id: `kbw-checked-${language}`, "data-testid": `kb-editor-checked-${language}`,
    });
    const checkedField = h("p", { className: "kb-check", hidden: true }, checked,
      h("label", { for: `kbw-checked-${language}` }, " 한국어 원문과 비교해 보니 이 번역이 맞습니다"));
    const filled = h("span", { className: "muted kb-variant-filled" });
    const details = h("details", {
      className: "kb-variant", "data-language": language, "data-testid": `kb-editor-variant-${language}`,
    },
      h("summary", {}, `${languageName(language)} (${KB_NATIVE[language]})`, " ", filled, " ", mark),
      checkedField,
      field(`kbw-title-${language}`, `제목 (${languageName(language)})`,
        input(`kbw-title-${language}`, `kb-editor-title-${language}`, { lang: language, maxlength: 300 })),
      field(`kbw-body-${language}`, `본문 (${languageName(language)})`,
        textarea(`kbw-body-${language}`, `kb-editor-body-${language}`, { lang: language })),
      field(`kbw-keywords-${language}`, `키워드 (${languageName(language)}, 쉼표로 구분)`,
        input(`kbw-keywords-${language}`, `kb-editor-keywords-${language}`, { lang: language })));
    return { details, mark, filled, checked, checkedField };
  }

  function buildWorkspace() {
    const parts = {};

    // Left: the articles, the questions that need one, import and export.
    parts.stateFilter = select("kbw-filter-state", "kb-editor-filter-state", { "": "전체", ...KB_TEXT.state });
    parts.queryFilter = input("kbw-filter-q", "kb-editor-filter-q", { type: "search", placeholder: "제목·본문 검색" });
    parts.outdatedFilter = h("input", {
      type: "checkbox", id: "kbw-filter-outdated", "data-testid": "kb-editor-filter-outdated",
    });
    parts.filters = h("form", { className: "kb-filters", role: "search", "aria-label": "문서 찾기" },
      h("div", { className: "kb-field kb-search" },
        h("label", { for: "kbw-filter-q" }, "검색어"),
        h("div", { className: "kb-search-row" },
          parts.queryFilter, h("button", { type: "submit", "data-testid": "kb-editor-filter-submit" }, "찾기"))),
      field("kbw-filter-state", "상태", parts.stateFilter),
      h("label", { className: "kb-check", for: "kbw-filter-outdated" }, parts.outdatedFilter, "번역 확인 필요"));
    parts.list = h("ul", { className: "kb-entries", "data-testid": "kb-editor-list", "aria-label": "문서 목록" });
    parts.listStatus = h("p", { className: "muted kb-list-status", role: "status" });
    parts.newButton = button("kb-editor-new", "새 문서", { className: "primary" });
    parts.questionsButton = button("kb-questions-open", "자주 묻지만 답이 없는 질문");

    parts.exportButtons = Object.entries(KB_EXPORTS).map(([format, text]) =>
      button(`kb-editor-export-${format}`, text, { className: "small", "data-format": format }));
    parts.importFile = h("input", {
      type: "file", id: "kbw-import-file", "data-testid": "kb-editor-import-file",
      accept: ".jsonl,.json,.csv,.xlsx", "aria-describedby": "kbw-import-hint",
    });
    parts.importButton = button("kb-editor-import-submit", "가져오기", { disabled: true });
    parts.importResult = h("p", {
      className: "kb-import-result", "data-testid": "kb-editor-import-result", role: "status",
    });
    const transfer = h("details", { className: "kb-transfer fold" },
      h("summary", { "data-testid": "kb-editor-transfer" }, "가져오기 · 내보내기"),
      h("h3", {}, "게시된 문서 내보내기"),
      h("div", { className: "kb-buttons" }, parts.exportButtons),
      h("h3", {}, "파일에서 가져오기"),
      h("div", { className: "kb-field" },
        h("label", { for: "kbw-import-file" }, "파일 (JSON Lines, CSV, XLSX)"), parts.importFile,
        h("p", { className: "kb-hint muted", id: "kbw-import-hint" },
          "가져온 문서는 바로 게시됩니다. 한 줄이라도 틀리면 아무것도 가져오지 않습니다.")),
      parts.importButton, parts.importResult);

    const side = h("section", { className: "kb-side", "aria-labelledby": "kbw-list-heading" },
      h("div", { className: "kb-side-head" }, h("h2", { id: "kbw-list-heading" }, "문서"), parts.newButton),
      parts.filters, parts.listStatus, parts.list, parts.questionsButton, transfer);

    // Main: the editor, or the questions.
    parts.empty = h("p", { className: "empty" }, "왼쪽 목록에서 문서를 고르거나 새 문서를 만드세요.");
    parts.heading = h("h2", { id: "kbw-editor-heading", className: "kb-editor-heading", tabindex: -1 });
    parts.stateBadge = h("span", { className: "tag kb-state", "data-testid": "kb-editor-state" });
    parts.meta = h("p", { className: "muted kb-meta", "data-testid": "kb-editor-meta" });
    parts.approvals = h("p", { className: "kb-approvals", "data-testid": "kb-workflow-approvals" });

    parts.workflow = {
      submit: button("kb-workflow-submit", "검토 요청", { className: "primary" }),
      approve: button("kb-workflow-approve", "승인", { className: "primary" }),
      return: button("kb-workflow-return", "반려"),
      publish: button("kb-workflow-publish", "게시", { className: "primary", "aria-describedby": "kbw-publish-hint" }),
      archive: button("kb-workflow-archive", "보관", { className: "danger" }),
    };
    parts.publishHint = h("span", { id: "kbw-publish-hint", className: "muted kb-hint" });
    parts.workflowMessage = h("p", {
      className: "kb-message", "data-testid": "kb-workflow-message", role: "alert", hidden: true,
    });
    parts.returnComment = textarea("kbw-return-comment", "kb-workflow-return-comment", { rows: 3, maxlength: 2000 });
    parts.returnForm = h("form", { className: "kb-return-form", hidden: true, "aria-label": "반려" },
      field("kbw-return-comment", "반려 사유 (작성자에게 보입니다)", parts.returnComment),
      h("div", { className: "kb-buttons" },
        h("button", {
          type: "submit", className: "danger primary", "data-testid": "kb-workflow-return-confirm",
        }, "반려하기"),
        button("kb-workflow-return-cancel", "취소")));

    parts.category = select("kbw-category", "kb-editor-category", labels.category);
    parts.validFrom = input("kbw-valid-from", "kb-editor-valid-from", { type: "date" });
    parts.validUntil = input("kbw-valid-until", "kb-editor-valid-until", { type: "date" });
    parts.titleKo = input("kbw-title-ko", "kb-editor-title-ko", { lang: "ko", maxlength: 300, required: true });
    parts.bodyKo = textarea("kbw-body-ko", "kb-editor-body-ko", { lang: "ko", rows: 10, required: true });
    parts.keywordsKo = input("kbw-keywords-ko", "kb-editor-keywords-ko", { lang: "ko" });
    parts.directory = input("kbw-directory", "kb-editor-directory", {
      placeholder: "예: mapo-gu-office, seoul-120-dasan-call-center", autocapitalize: "off", spellcheck: "false",
    });
    parts.offices = h("ul", { className: "plain-list kb-offices", "data-testid": "kb-editor-offices" });
    parts.variants = Object.fromEntries(KB_TRANSLATIONS.map((language) => [language, variantSection(language)]));
    parts.saveButton = h("button", { type: "submit", className: "primary", "data-testid": "kb-editor-save" }, "저장");
    parts.saveStatus = h("span", { className: "muted", "data-testid": "kb-editor-save-status", role: "status" });
    parts.reloadButton = button("kb-editor-reload", "다시 불러오기");
    parts.conflict = h("div", {
      className: "kb-conflict", "data-testid": "kb-editor-conflict", role: "alert", hidden: true,
    },
      h("p", {}, "다른 사람이 이 문서를 먼저 저장했습니다. 다시 불러오면 최신 판이 열리고, 지금 입력한 내용은 사라집니다. ",
        "필요한 내용은 먼저 복사해 두세요."),
      parts.reloadButton);

    parts.form = h("form", {
      className: "kb-editor", "data-testid": "kb-editor-form", "aria-labelledby": "kbw-editor-heading",
      novalidate: true, // the Korean text is checked in formContent(), with a message in Korean
    },
      h("fieldset", { className: "kb-fieldset kb-basics" },
        h("legend", {}, "기본 정보"),
        field("kbw-category", "분류", parts.category),
        field("kbw-valid-from", "게시 시작일", parts.validFrom),
        field("kbw-valid-until", "게시 종료일", parts.validUntil),
        h("p", { className: "kb-hint muted kb-wide" }, "계절 안내처럼 기간이 있는 문서만 날짜를 넣습니다. 비워 두면 늘 안내합니다.")),
      h("fieldset", { className: "kb-fieldset" },
        h("legend", {}, "한국어 (원문)"),
        field("kbw-title-ko", "제목", parts.titleKo),
        field("kbw-body-ko", "본문", parts.bodyKo),
        field("kbw-keywords-ko", "키워드 (쉼표로 구분)", parts.keywordsKo)),
      h("fieldset", { className: "kb-fieldset" },
        h("legend", {}, "전화번호 안내 연결"),
        field("kbw-directory", "전화번호부 기관 ID (쉼표로 구분)", parts.directory),
        parts.offices),
      h("fieldset", { className: "kb-fieldset kb-translations" },
        h("legend", {}, "다른 언어"),
        Object.values(parts.variants).map((variant) => variant.details)),
      parts.conflict,
      h("div", { className: "kb-buttons kb-save-bar" }, parts.saveButton, parts.saveStatus));

    parts.historyList = h("ol", { className: "kb-history", "data-testid": "kb-history-list" });
    parts.diffButton = button("kb-history-diff-button", "게시본과 초안 비교");
    parts.diff = h("div", { className: "kb-diff", "data-testid": "kb-diff", "aria-live": "polite" });
    parts.history = h("section", { className: "kb-history-section", "aria-labelledby": "kbw-history-heading" },
      h("h3", { id: "kbw-history-heading" }, "변경 이력"), parts.historyList,
      h("h3", {}, "바뀐 내용"), parts.diffButton, parts.diff);

    parts.editorPane = h("div", { className: "kb-editor-pane", hidden: true },
      h("div", { className: "kb-editor-head" }, parts.heading, parts.stateBadge),
      parts.meta, parts.approvals,
      h("div", { className: "kb-buttons kb-workflow", role: "group", "aria-label": "검토와 게시" },
        Object.values(parts.workflow), parts.publishHint),
      parts.workflowMessage, parts.returnForm, parts.form, parts.history);

    parts.questionDays = select("kbw-questions-days", "kb-questions-days", { 7: "최근 7일", 30: "최근 30일", 90: "최근 90일" });
    parts.questionDays.value = "30";
    parts.questionKind = select("kbw-questions-kind", "kb-questions-kind", KB_TEXT.questionKind);
    parts.questionList = h("ul", { className: "kb-question-groups", "data-testid": "kb-questions-list" });
    parts.questionStatus = h("p", { className: "muted", role: "status" });
    parts.questionsPane = h("section", {
      className: "kb-questions-pane", hidden: true, "aria-labelledby": "kbw-questions-heading",
    },
      h("h2", { id: "kbw-questions-heading", tabindex: -1 }, "자주 묻지만 답이 없는 질문"),
      h("p", { className: "muted" }, "챗봇이 답하지 못했거나 상담사가 직접 답한 질문을 비슷한 것끼리 묶었습니다. 예시는 개인정보를 가린 문장입니다."),
      h("form", { className: "kb-filters kb-question-filters" },
        field("kbw-questions-days", "기간", parts.questionDays),
        field("kbw-questions-kind", "종류", parts.questionKind),
        h("button", { type: "submit", "data-testid": "kb-questions-load" }, "불러오기")),
      parts.questionStatus, parts.questionList);

    const main = h("section", { className: "kb-main", "aria-label": "문서 편집" },
      parts.empty, parts.editorPane, parts.questionsPane);
    root.replaceChildren(side, main);
    return parts;
  }

  // ------------------------------------------------------------ wiring

  function bindTabs() {
    for (const tab of tabs.querySelectorAll("button[data-view]")) {
      tab.addEventListener("click", () => showView(tab.dataset.view));
    }
    ui.filters.addEventListener("submit", (event) => { event.preventDefault(); loadList(); });
    ui.stateFilter.addEventListener("change", loadList);
    ui.outdatedFilter.addEventListener("change", loadList);
    ui.newButton.addEventListener("click", newArticle);
    ui.questionsButton.addEventListener("click", showQuestions);
    ui.form.addEventListener("submit", (event) => { event.preventDefault(); save(); });
    ui.form.addEventListener("input", () => {
      view.dirty = true;
      ui.saveStatus.textContent = "저장하지 않은 변경이 있습니다";
    });
    ui.directory.addEventListener("input", renderOffices);
    ui.reloadButton.addEventListener("click", () => view.entry && openEntry(view.entry.id));
    ui.workflow.submit.addEventListener("click", () => move("submit", {}, "검토를 요청했습니다."));
    ui.workflow.approve.addEventListener("click", () => move("approve", {}, "승인했습니다."));
    ui.workflow.publish.addEventListener("click", () => move("publish", {}, "게시했습니다. 시민과 챗봇이 바로 봅니다."));
    ui.workflow.archive.addEventListener("click", () => move("archive", {}, "보관했습니다. 더 이상 안내되지 않습니다."));
    ui.workflow.return.addEventListener("click", () => {
      ui.returnForm.hidden = false;
      ui.returnComment.focus();
    });
    ui.returnForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const comment = ui.returnComment.value.trim();
      if (!comment) {
        showMessage("반려 사유를 입력하세요.", "missing_field");
        ui.returnComment.focus();
        return;
      }
      move("return", { comment }, "작성자에게 돌려보냈습니다.");
    });
    ui.returnForm.querySelector("[data-testid=kb-workflow-return-cancel]").addEventListener("click", hideReturnForm);
    ui.diffButton.addEventListener("click", loadDiff);
    for (const exportButton of ui.exportButtons) {
      exportButton.addEventListener("click", () => exportArticles(exportButton.dataset.format));
    }
    ui.importFile.addEventListener("change", () => {
      ui.importButton.disabled = !ui.importFile.files.length;
      ui.importResult.textContent = "";
    });
    ui.importButton.addEventListener("click", importArticles);
    ui.questionsPane.querySelector("form").addEventListener("submit", (event) => {
      event.preventDefault();
      loadQuestions();
    });
  }

  // ------------------------------------------------------------ session and views

  /* Editors work only here; supervisors and admins switch between the desk and here. */
  function start(agent) {
    view.agent = agent;
    const edits = ["editor", "supervisor", "admin"].includes(agent?.role);
    tabs.hidden = !edits || agent.role === "editor";
    showView(agent?.role === "editor" ? "knowledge" : "desk");
  }

  function stop() {
    view.agent = null;
    view.entry = null;
    view.creating = false;
    view.dirty = false;
    view.drafted.clear();
    ui.list.replaceChildren();
    ui.questionList.replaceChildren();
    showPane("empty");
    showView("desk");
  }

  /* One workspace at a time: the desk (lists, conversation) or the articles. */
  function showView(name) {
    app.dataset.view = name;
    desk.hidden = name === "knowledge";
    root.hidden = name !== "knowledge";
    for (const tab of tabs.querySelectorAll("button[data-view]")) {
      tab.setAttribute("aria-pressed", String(tab.dataset.view === name));
    }
    if (name === "knowledge") loadList();
  }

  function showPane(name) {
    ui.empty.hidden = name !== "empty";
    ui.editorPane.hidden = name !== "editor";
    ui.questionsPane.hidden = name !== "questions";
  }

  function showMessage(text, code = "") {
    ui.workflowMessage.textContent = text;
    ui.workflowMessage.dataset.code = code;
    ui.workflowMessage.hidden = !text;
  }

  /* A failed request in words: the Korean reason for the codes editors meet, the server's own after it. */
  function explain(err) {
    const korean = KB_TEXT.error[err.code];
    return korean ? `${korean} (${err.message})` : err.message || String(err);
  }

  // ------------------------------------------------------------ the list

  async function loadList() {
    const seq = ++view.listSeq;
    const params = new URLSearchParams();
    if (ui.stateFilter.value) params.set("state", ui.stateFilter.value);
    const query = ui.queryFilter.value.trim();
    if (query) params.set("q", query);
    if (ui.outdatedFilter.checked) params.set("outdated", "true");
    ui.listStatus.textContent = "불러오는 중…";
    try {
      const data = await api("GET", kbPath(`/entries?${params}`));
      if (seq !== view.listSeq) return;
      renderList(data.entries || []);
    } catch (err) {
      if (seq === view.listSeq) ui.listStatus.textContent = `목록을 불러오지 못했습니다: ${err.message}`;
    }
  }

  function renderList(entries) {
    ui.listStatus.textContent = `${entries.length}건`;
    if (!entries.length) {
      ui.list.replaceChildren(h("li", { className: "empty" }, "조건에 맞는 문서가 없습니다."));
      return;
    }
    ui.list.replaceChildren(...entries.map(entryItem));
    markOpenEntry();
  }

  function entryItem(entry) {
    const outdated = entry.outdated_languages || [];
    const open = h("button", { type: "button", className: "kb-entry-open", "data-testid": "kb-entry-open" },
      h("span", { className: "kb-entry-title" }, entry.title || "(제목 없음)"),
      h("span", { className: "kb-entry-tags" },
        stateBadge(entry.state),
        h("span", { className: "tag" }, labels.category[entry.category] || entry.category || "-"),
        outdated.length
          ? h("span", { className: "tag kb-tag-outdated", "data-testid": "kb-entry-outdated" },
            `번역 확인: ${outdated.map(languageName).join(", ")}`)
          : null),
      h("span", { className: "muted kb-entry-time" }, `수정 ${fmtDateTime(entry.updated_at)}`));
    open.addEventListener("click", () => openEntry(entry.id, true));
    return h("li", {
      className: "kb-entry", "data-testid": "kb-entry-item", "data-article-id": entry.id, "data-state": entry.state,
    }, open);
  }

  const stateClass = (code) => `tag kb-state kb-state-${KB_TEXT.state[code] ? code : "other"}`;

  function stateBadge(code) {
    return h("span", { className: stateClass(code), "data-state": code ?? "" }, stateName(code));
  }

  function markOpenEntry() {
    const openId = view.creating ? null : view.entry?.id;
    ui.list.querySelectorAll(".kb-entry").forEach((item) => {
      const current = item.dataset.articleId === openId;
      item.classList.toggle("active", current);
      const opener = item.querySelector(".kb-entry-open");
      if (current) opener.setAttribute("aria-current", "true");
      else opener.removeAttribute("aria-current");
    });
  }

  // ------------------------------------------------------------ the editor

  function newArticle() {
    view.openSeq += 1;
    view.entry = null;
    view.creating = true;
    delete ui.form.dataset.articleId;
    fillForm(null, []);
    ui.heading.textContent = "새 문서";
    ui.stateBadge.replaceChildren("저장 전");
    ui.stateBadge.dataset.state = "";
    ui.meta.textContent = "저장하면 초안이 됩니다.";
    ui.approvals.textContent = "";
    renderWorkflow();
    ui.historyList.replaceChildren();
    ui.diff.replaceChildren();
    ui.history.hidden = true;
    showPane("editor");
    markOpenEntry();
    ui.titleKo.focus();
  }

  async function openEntry(id, focusHeading = false) {
    const seq = ++view.openSeq;
    try {
      const entry = await api("GET", entryPath(id));
      if (seq !== view.openSeq) return;
      view.creating = false;
      showEntry(entry);
      showPane("editor");
      markOpenEntry();
      loadHistory(entry.id, seq);
      if (focusHeading) ui.heading.focus();
    } catch (err) {
      if (seq === view.openSeq) toast(`문서를 열지 못했습니다: ${err.message}`, "error");
    }
  }

  /* The open article as the server has it now: heading, workflow and form. */
  function showEntry(entry) {
    view.entry = entry;
    ui.form.dataset.articleId = entry.id;
    ui.heading.textContent = entry.draft?.variants?.ko?.title || entry.title || entry.id;
    ui.stateBadge.replaceChildren(stateName(entry.state));
    ui.stateBadge.dataset.state = entry.state;
    ui.stateBadge.className = stateClass(entry.state);
    const published = entry.published ? `게시된 판 ${entry.published}` : "게시된 적 없음";
    ui.meta.textContent = [
      `ID ${entry.id}`, `판 ${entry.head}`, published,
      `작성 ${entry.created_by || "-"} ${fmtDateTime(entry.created_at)}`, `수정 ${fmtDateTime(entry.updated_at)}`,
    ].join(" · ");
    const approvals = entry.approvals || [];
    ui.approvals.textContent = approvals.length
      ? `승인: ${approvals.join(", ")}`
      : entry.state === "review" ? "아직 승인한 사람이 없습니다." : "";
    fillForm(entry.draft, entry.directory_offices || []);
    renderWorkflow();
    ui.history.hidden = false;
    ui.diff.replaceChildren();
  }

  function fillForm(content, offices) {
    const variants = content?.variants || {};
    const ko = variants.ko || {};
    setSelect(ui.category, content?.category || "city");
    ui.validFrom.value = content?.valid_from || "";
    ui.validUntil.value = content?.valid_until || "";
    ui.titleKo.value = ko.title || "";
    ui.bodyKo.value = ko.body || "";
    ui.keywordsKo.value = (ko.keywords || []).join(", ");
    ui.directory.value = (content?.directory || []).join(", ");
    renderOffices(offices);
    for (const language of KB_TRANSLATIONS) {
      const variant = variants[language];
      const section = ui.variants[language];
      ui.form.querySelector(`#kbw-title-${language}`).value = variant?.title || "";
      ui.form.querySelector(`#kbw-body-${language}`).value = variant?.body || "";
      ui.form.querySelector(`#kbw-keywords-${language}`).value = (variant?.keywords || []).join(", ");
      section.mark.hidden = !variant?.outdated;
      section.checkedField.hidden = !variant?.outdated;
      section.checked.checked = false;
      section.details.dataset.outdated = String(Boolean(variant?.outdated));
      section.filled.textContent = variant ? "· 작성됨" : "· 없음";
      section.details.open = false;
    }
    view.dirty = false;
    ui.conflict.hidden = true;
    ui.saveStatus.textContent = "";
    hideReturnForm();
    showMessage("");
  }

  function setSelect(node, value) {
    if (![...node.options].some((option) => option.value === value)) node.append(h("option", { value }, value));
    node.value = value;
  }

  /* The linked offices with their names and numbers as the server knows them; ids typed since
   * the last save show as ids until then. */
  function renderOffices(offices) {
    const listed = Array.isArray(offices) ? offices : view.entry?.directory_offices || [];
    const known = new Map(listed.map((office) => [office.id, office]));
    const ids = splitList(ui.directory.value);
    ui.offices.replaceChildren(...ids.map((id) => {
      const office = known.get(id);
      return h("li", { className: "kb-office", "data-office-id": id },
        office ? `${office.name} ☎ ${office.number}` : `${id} (저장하면 확인합니다)`);
    }));
  }

  const splitList = (text) => text.split(/[,，、\n]/).map((part) => part.trim()).filter(Boolean);

  /* The form as article content; null (with the reason shown) when it cannot be saved. */
  function formContent() {
    const variants = {};
    const ko = {
      title: ui.titleKo.value.trim(), body: ui.bodyKo.value.trim(), keywords: splitList(ui.keywordsKo.value),
    };
    if (!ko.title || !ko.body) {
      showMessage("한국어 제목과 본문을 입력하세요.", "missing_field");
      (ko.title ? ui.bodyKo : ui.titleKo).focus();
      return null;
    }
    variants.ko = ko;
    for (const language of KB_TRANSLATIONS) {
      const title = ui.form.querySelector(`#kbw-title-${language}`).value.trim();
      const body = ui.form.querySelector(`#kbw-body-${language}`).value.trim();
      const keywords = splitList(ui.form.querySelector(`#kbw-keywords-${language}`).value);
      if (!title && !body && !keywords.length) continue; // no translation in this language
      if (!title || !body) {
        showMessage(`${languageName(language)} 제목과 본문을 모두 입력하거나 모두 비우세요.`, "missing_field");
        ui.variants[language].details.open = true;
        ui.form.querySelector(`#kbw-${title ? "body" : "title"}-${language}`).focus();
        return null;
      }
      variants[language] = { title, body, keywords };
    }
    return {
      category: ui.category.value,
      checked: KB_TRANSLATIONS.filter((language) => variants[language] && ui.variants[language].checked.checked),
      valid_from: ui.validFrom.value || null,
      valid_until: ui.validUntil.value || null,
      directory: splitList(ui.directory.value),
      variants,
    };
  }

  async function save() {
    if (view.busy) return;
    showMessage("");
    const content = formContent();
    if (!content) return;
    const editing = view.entry && !view.creating ? view.entry : null;
    setBusy(true);
    try {
      const saved = editing
        ? await api("PUT", entryPath(editing.id), { ...content, base: editing.head })
        : await api("POST", kbPath("/entries"), content);
      toast(editing ? `저장했습니다 (판 ${saved.head}).` : "새 문서를 초안으로 저장했습니다.");
      await openEntry(saved.id);
      ui.saveStatus.textContent = `판 ${saved.head} 저장됨`;
      loadList();
    } catch (err) {
      if (err.code === "edit_conflict") {
        ui.conflict.hidden = false;
        ui.reloadButton.focus();
      } else {
        showMessage(`저장하지 못했습니다: ${explain(err)}`, err.code);
      }
    } finally {
      setBusy(false);
    }
  }

  // ------------------------------------------------------------ workflow

  /* Which steps the article's state allows: a draft goes to review; in review it is approved,
   * returned or published; anything not yet archived may be archived. Publishing stays
   * offered without a second approval so the editor learns why it is refused. */
  function renderWorkflow() {
    const entry = view.creating ? null : view.entry;
    const state = entry?.state;
    const me = view.agent?.username;
    const approved = (entry?.approvals || []).includes(me);
    const shown = {
      submit: state === "draft",
      approve: state === "review" && !approved,
      return: state === "review",
      publish: state === "review",
      archive: ["draft", "review", "published"].includes(state),
    };
    for (const [name, node] of Object.entries(ui.workflow)) {
      node.hidden = !shown[name];
      node.disabled = view.busy;
    }
    ui.publishHint.textContent = state === "review" && !entry.can_publish
      ? (entry.approvals || []).length ? "다른 편집자의 승인이 더 필요합니다." : "승인을 받아야 게시할 수 있습니다."
      : "";
  }

  function setBusy(busy) {
    view.busy = busy;
    ui.saveButton.disabled = busy;
    renderWorkflow();
  }

  function hideReturnForm() {
    ui.returnForm.hidden = true;
    ui.returnComment.value = "";
  }

  async function move(step, body, doneText) {
    const entry = view.entry;
    if (!entry || view.busy) return;
    if (view.dirty) {
      showMessage("저장하지 않은 변경이 있습니다. 먼저 저장하세요.", "unsaved");
      return;
    }
    showMessage("");
    setBusy(true);
    try {
      await api("POST", entryPath(entry.id, `/${step}`), body);
      toast(doneText);
      hideReturnForm();
      await openEntry(entry.id);
      loadList();
    } catch (err) {
      showMessage(explain(err), err.code);
    } finally {
      setBusy(false);
    }
  }

  // ------------------------------------------------------------ history and differences

  async function loadHistory(id, seq) {
    try {
      const data = await api("GET", entryPath(id, "/history"));
      if (seq !== view.openSeq) return;
      const events = data.events || [];
      ui.historyList.replaceChildren(...(events.length
        ? events.map(historyItem)
        : [h("li", { className: "empty" }, "기록이 없습니다.")]));
    } catch (err) {
      if (seq !== view.openSeq) return;
      ui.historyList.replaceChildren(h("li", { className: "error" }, `이력을 불러오지 못했습니다: ${err.message}`));
    }
  }

  function historyItem(event) {
    return h("li", {
      className: "kb-history-item", "data-testid": "kb-history-item",
      "data-action": event.action, "data-actor": event.actor, "data-revision": event.revision,
    },
      h("span", { className: "tag" }, `판 ${event.revision}`), " ",
      h("strong", {}, KB_TEXT.action[event.action] || event.action), " ",
      h("span", { className: "kb-history-actor" }, event.actor || "-"), " ",
      h("time", { className: "muted", dateTime: event.at }, fmtDateTime(event.at)),
      event.comment ? h("p", { className: "kb-history-comment" }, event.comment) : null);
  }

  function fieldName(name) {
    const [language, part] = String(name).split(".");
    if (!part) return KB_TEXT.field[language] || language;
    return `${languageName(language)} ${KB_TEXT.field[part] || part}`;
  }

  async function loadDiff() {
    const entry = view.entry;
    if (!entry) return;
    const seq = view.openSeq;
    try {
      const data = await api("GET", entryPath(entry.id, "/diff"));
      if (seq !== view.openSeq) return;
      renderDiff(data);
    } catch (err) {
      ui.diff.replaceChildren(h("p", { className: "error" }, `비교하지 못했습니다: ${err.message}`));
    }
  }

  /* Each changed field as a unified diff: removed lines struck through and marked "−",
   * added lines marked "+"; the colours only repeat what the marks say. */
  function renderDiff(data) {
    const fields = data.fields || [];
    const caption = h("p", { className: "muted" }, `판 ${data.from} → 판 ${data.to}`);
    if (!fields.length) {
      ui.diff.replaceChildren(caption, h("p", {}, "바뀐 내용이 없습니다."));
      return;
    }
    ui.diff.replaceChildren(caption, ...fields.map((change) =>
      h("section", { className: "kb-diff-field", "data-field": change.field },
        h("h4", {}, fieldName(change.field)),
        h("ol", { className: "kb-diff-lines" }, diffLines(change)))));
  }

  function diffLines(change) {
    const lines = String(change.diff || "").split("\n")
      .filter((line) => !/^(---|\+\+\+|@@)/.test(line));
    return lines.map((line) => {
      const text = line.slice(1);
      if (line.startsWith("-")) {
        return h("li", { className: "kb-diff-removed" },
          h("span", { className: "kb-diff-sign", "aria-hidden": "true" }, "−"),
          h("span", { className: "visually-hidden" }, "삭제: "), h("del", {}, text));
      }
      if (line.startsWith("+")) {
        return h("li", { className: "kb-diff-added" },
          h("span", { className: "kb-diff-sign", "aria-hidden": "true" }, "+"),
          h("span", { className: "visually-hidden" }, "추가: "), h("ins", {}, text));
      }
      return h("li", { className: "kb-diff-same" },
        h("span", { className: "kb-diff-sign", "aria-hidden": "true" }, " "), text);
    });
  }

  // ------------------------------------------------------------ import and export

  /* The export as a download: fetched first, so that a refusal shows here as a message
   * rather than as a page of JSON, then saved from a Blob. */
  async function exportArticles(format) {
    try {
      const path = kbPath(`/export?format=${encodeURIComponent(format)}`);
      const response = await fetch(path, { credentials: "same-origin" });
      if (!response.ok) throw await responseError(response);
      const blob = await response.blob();
      const link = h("a", { href: URL.createObjectURL(blob), download: `knowledge-base.${format}`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (err) {
      toast(`내보내지 못했습니다: ${err.message}`, "error");
    }
  }

  async function importArticles() {
    const file = ui.importFile.files[0];
    if (!file) return;
    const name = file.name.toLowerCase();
    const format = name.endsWith(".xlsx") ? "xlsx" : name.endsWith(".csv") ? "csv" : "jsonl";
    ui.importButton.disabled = true;
    ui.importResult.textContent = "가져오는 중…";
    ui.importResult.dataset.outcome = "";
    try {
      const response = await fetch(kbPath(`/import?format=${format}`), {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "X-Requested-With": "dasan-console", // the CSRF header every cookie-borne write carries
          "Content-Type": file.type || "application/octet-stream",
          Accept: "application/json",
        },
        body: file,
      });
      if (!response.ok) throw await responseError(response);
      const data = await response.json();
      ui.importResult.textContent = `${data.imported}건 가져옴`;
      ui.importResult.dataset.outcome = "ok";
      ui.importFile.value = "";
      loadList();
    } catch (err) {
      ui.importResult.textContent = `가져오지 못했습니다: ${err.message}`;
      ui.importResult.dataset.outcome = "error";
      ui.importButton.disabled = false;
    }
  }

  async function responseError(response) {
    const data = await response.json().catch(() => null);
    const error = new Error(data?.error?.message || `요청이 실패했습니다 (HTTP ${response.status}).`);
    error.code = data?.error?.code || "http_error";
    return error;
  }

  // ------------------------------------------------------------ questions that need an article

  function showQuestions() {
    showPane("questions");
    view.creating = false;
    markOpenEntry();
    ui.questionsPane.querySelector("h2").focus();
    loadQuestions();
  }

  async function loadQuestions() {
    const params = new URLSearchParams({ days: ui.questionDays.value });
    if (ui.questionKind.value) params.set("kind", ui.questionKind.value);
    ui.questionStatus.textContent = "불러오는 중…";
    try {
      const data = await api("GET", kbPath(`/questions?${params}`));
      const groups = data.groups || [];
      ui.questionStatus.textContent = groups.length ? `${groups.length}개 묶음` : "";
      ui.questionList.replaceChildren(...(groups.length
        ? groups.map(questionGroup)
        : [h("li", { className: "empty" }, "이 기간에 답이 없는 질문이 없습니다.")]));
    } catch (err) {
      ui.questionStatus.textContent = `불러오지 못했습니다: ${err.message}`;
    }
  }

  function questionGroup(group) {
    const languages = Object.entries(group.languages || {})
      .map(([code, count]) => `${languageName(code)} ${count}`).join(" · ");
    const draft = button("kb-questions-draft", "이 질문들로 문서 작성", { className: "primary small" });
    draft.addEventListener("click", async () => {
      draft.disabled = true;
      try {
        const entry = await api("POST", kbPath("/questions/draft"), { question_ids: group.question_ids || [] });
        toast("질문을 모아 초안을 만들었습니다. 예시를 답변으로 바꿔 주세요.");
        await openEntry(entry.id, true);
        loadList();
      } catch (err) {
        toast(`초안을 만들지 못했습니다: ${err.message}`, "error");
        draft.disabled = false;
      }
    });
    return h("li", { className: "kb-question-group", "data-testid": "kb-questions-group" },
      h("div", { className: "kb-question-head" },
        h("h3", {}, group.label || "(묶음)"),
        h("span", { className: "tag kb-question-count" }, `${group.count ?? 0}건`),
        group.category ? h("span", { className: "tag" }, labels.category[group.category] || group.category) : null),
      languages ? h("p", { className: "muted" }, languages) : null,
      h("ul", { className: "kb-question-examples", "aria-label": "질문 예시" },
        (group.examples || []).slice(0, 5).map((text) => h("li", {}, text))),
      draft);
  }

  // ------------------------------------------------------------ agents: a reply becomes a draft

  /* On the agent's own reply: a button that proposes it as a draft article for the editors.
   * A message is drawn anew when its delivery status changes, so what became of the proposal
   * is kept by message id and shown on whichever button is in the list now. */
  function draftButton(message, agent) {
    if (message.author !== "agent" || !agent || message.agent !== agent.username || !message.text) return null;
    const node = h("button", {
      type: "button", className: "small message-draft", "data-testid": "message-draft-article",
      "data-message-id": message.id, title: "이 답변을 지식베이스 문서 초안으로 보냅니다. 편집자가 다듬어 게시합니다.",
    });
    showDraftStage(node, view.drafted.get(String(message.id)));
    node.addEventListener("click", () => proposeDraft(String(message.id)));
    return node;
  }

  async function proposeDraft(messageId) {
    if (view.drafted.has(messageId)) return;
    setDraftStage(messageId, "pending");
    try {
      await api("POST", kbPath("/entries/from-message"), { message_id: messageId });
      setDraftStage(messageId, "done");
      toast("초안을 만들었습니다. 편집자가 지식베이스에서 다듬어 게시합니다.");
    } catch (err) {
      setDraftStage(messageId, null);
      toast(`초안을 만들지 못했습니다: ${err.message}`, "error");
    }
  }

  function setDraftStage(messageId, stage) {
    if (stage) view.drafted.set(messageId, stage);
    else view.drafted.delete(messageId);
    document.querySelectorAll(`.message-draft[data-message-id="${CSS.escape(messageId)}"]`)
      .forEach((node) => showDraftStage(node, stage));
  }

  function showDraftStage(node, stage) {
    node.disabled = Boolean(stage);
    node.dataset.stage = stage || "";
    node.textContent = { pending: "초안을 만드는 중…", done: "초안을 만들었습니다" }[stage] || "문서 초안으로";
  }

  return { start, stop, draftButton };
}
