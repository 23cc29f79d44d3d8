"""The knowledge base as editors work it, in the agent console, and what citizens get from it.

Two editors write, review and publish an article in a real browser; a citizen then asks the bot
in their own words through the web chat widget and finds the article on the public pages. An
agent turns their own reply into a draft that an editor then finds; an editor drafts an article
for the questions the bot could not answer, and exports and imports articles. The hub runs as
`dasan serve` (tests/browsers.py) on an empty SQLite file with the demo data. Screenshots go
to $DASAN_BROWSER_SHOTS when set (else the test's tmp_path).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from playwright.async_api import Browser, BrowserContext, FilePayload, Locator, Page, expect

from tests.browsers import API_CHANNEL_AUTH, PASSWORD, PageWatch, console_login, serious_violations

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)

TOPIC = "반려견 놀이터 이용 시간"
"""A topic the demo knowledge base does not answer."""
BODY = (
    "서울시 반려견 놀이터는 매일 오전 7시부터 오후 9시까지 이용할 수 있습니다.\n"
    "매주 월요일과 비 오는 날에는 잔디를 보호하려고 문을 닫습니다.\n"
    "맹견은 들어갈 수 없고, 목줄은 놀이터 안에서만 풀 수 있습니다."
)
KEYWORDS = "반려견 놀이터, 강아지 놀이터, 개 놀이터, 운영 시간, 이용 시간"
CITIZEN_ASKS = "강아지 놀이터는 몇 시까지 열어요?"
PASSPORT = "district-002"
"""A demo article written in all six languages."""
PASSPORT_ADDITION = "여권 재발급 신청은 온라인 정부24에서도 할 수 있습니다."


async def _person(browser: Browser, watch: PageWatch, who: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(
        locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 1400, "height": 900}
    )
    return context, watch.watch(await context.new_page(), who)


async def _editor_login(page: Page, url: str, username: str) -> list[str]:
    """An editor logs in: the knowledge base is all there is, and nothing of the desk shows.
    Returns the addresses outside the knowledge base that refuse the editor from now on
    (the console should ask none: editors read no conversation)."""
    refused: list[str] = []
    page.on(
        "response",
        lambda response: (
            refused.append(response.url) if response.status == 403 and "/api/v1/kb/" not in response.url else None
        ),
    )
    await page.goto(f"{url}/console/")
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("agent-name")).to_contain_text(f"({username})")
    await expect(page.get_by_test_id("kb-editor-workspace")).to_be_visible()
    await expect(page.get_by_test_id("kb-entry-item").first).to_be_visible()
    for desk in ("queue-list", "my-list", "presence-select", "ws-status", "supervisor-view", "kb-editor-tab"):
        await expect(page.get_by_test_id(desk)).to_be_hidden()
    return refused


def _entry(page: Page, article_id: str) -> Locator:
    return page.locator(f"[data-testid=kb-entry-item][data-article-id='{article_id}']")


async def _open(page: Page, article_id: str, search: str) -> None:
    """Find an article in the list by a word of it and open it in the editor."""
    await page.get_by_test_id("kb-editor-filter-state").select_option("")
    await page.get_by_test_id("kb-editor-filter-q").fill(search)
    await page.get_by_test_id("kb-editor-filter-submit").click()
    await _entry(page, article_id).get_by_test_id("kb-entry-open").click()
    await expect(page.get_by_test_id("kb-editor-form")).to_have_attribute("data-article-id", article_id)


def _csv(text: str) -> FilePayload:
    return {"name": "shelters.csv", "mimeType": "text/csv", "buffer": text.encode()}


async def _history(page: Page) -> list[tuple[str, str]]:
    return [
        (str(await item.get_attribute("data-action")), str(await item.get_attribute("data-actor")))
        for item in await page.get_by_test_id("kb-history-item").all()
    ]


async def test_two_editors_publish_an_article_that_citizens_then_get(
    hub_url: str, browser: Browser, shots: Path
) -> None:
    watch = PageWatch()

    # -- han writes a new article in Korean and sends it for review ------------------------
    han_context, han = await _person(browser, watch, "han")
    han_refused = await _editor_login(han, hub_url, "han")
    await han.get_by_test_id("kb-editor-new").click()
    await expect(han.get_by_test_id("kb-editor-title-ko")).to_be_focused()
    await han.get_by_test_id("kb-editor-title-ko").fill(TOPIC)
    await han.get_by_test_id("kb-editor-body-ko").fill(BODY)
    await han.get_by_test_id("kb-editor-keywords-ko").fill(KEYWORDS)
    await han.get_by_test_id("kb-editor-category").select_option("city")
    await han.get_by_test_id("kb-editor-directory").fill("seoul-120-dasan-call-center")
    await han.get_by_test_id("kb-editor-save").click()
    await expect(han.get_by_test_id("kb-editor-state")).to_have_attribute("data-state", "draft")
    article_id = await han.get_by_test_id("kb-editor-form").get_attribute("data-article-id")
    assert article_id
    await expect(han.get_by_test_id("kb-editor-offices")).to_contain_text("☎ 120")
    await expect(_entry(han, article_id)).to_have_attribute("data-state", "draft")
    await expect(_entry(han, article_id)).to_contain_text(TOPIC)

    await han.get_by_test_id("kb-workflow-submit").click()
    await expect(han.get_by_test_id("kb-editor-state")).to_have_attribute("data-state", "review")
    await expect(_entry(han, article_id)).to_have_attribute("data-state", "review")

    # -- han's own review is not enough to publish -----------------------------------------
    await han.get_by_test_id("kb-workflow-approve").click()
    await expect(han.get_by_test_id("kb-workflow-approvals")).to_contain_text("han")
    await expect(han.get_by_test_id("kb-workflow-approve")).to_be_hidden()
    await han.get_by_test_id("kb-workflow-publish").click()
    refusal = han.get_by_test_id("kb-workflow-message")
    await expect(refusal).to_be_visible()
    await expect(refusal).to_have_attribute("data-code", "needs_second_review")
    await expect(refusal).to_contain_text("다른 편집자나 관리자가 이 판을 승인해야")
    await expect(han.get_by_test_id("kb-editor-state")).to_have_attribute("data-state", "review")
    await han.screenshot(path=str(shots / "console-kb-needs-second-review.png"), full_page=True)
    assert await serious_violations(han) == []

    # -- yoon approves and publishes -------------------------------------------------------
    yoon_context, yoon = await _person(browser, watch, "yoon")
    yoon_refused = await _editor_login(yoon, hub_url, "yoon")
    await yoon.get_by_test_id("kb-editor-filter-state").select_option("review")
    waiting = yoon.get_by_test_id("kb-entry-item")
    await expect(waiting.first).to_have_attribute("data-state", "review")
    await _entry(yoon, article_id).get_by_test_id("kb-entry-open").click()
    await expect(yoon.get_by_test_id("kb-editor-title-ko")).to_have_value(TOPIC)
    await yoon.get_by_test_id("kb-workflow-approve").click()
    await expect(yoon.get_by_test_id("kb-workflow-approvals")).to_contain_text("yoon")
    await yoon.get_by_test_id("kb-workflow-publish").click()
    await expect(yoon.get_by_test_id("kb-editor-state")).to_have_attribute("data-state", "published")
    await expect(yoon.get_by_test_id("kb-workflow-message")).to_be_hidden()
    await expect(yoon.get_by_test_id("kb-workflow-publish")).to_be_hidden()

    # -- the history names who did what ----------------------------------------------------
    await expect(yoon.get_by_test_id("kb-history-item").last).to_have_attribute("data-action", "published")
    assert await _history(yoon) == [
        ("created", "han"),
        ("submitted", "han"),
        ("approved", "han"),
        ("approved", "yoon"),
        ("published", "yoon"),
    ]
    await expect(yoon.get_by_test_id("kb-history-item").last).to_contain_text("게시")

    # -- a citizen asks the bot in their own words and gets the article --------------------
    citizen_context, citizen = await _person(browser, watch, "citizen")
    await citizen.goto(f"{hub_url}/webchat/")
    await citizen.get_by_test_id("chat-launcher").click()
    await citizen.get_by_test_id("chat-input").fill(CITIZEN_ASKS)
    await citizen.get_by_test_id("chat-send").click()
    answer = citizen.locator("[data-testid=chat-message][data-author=bot]").filter(has_text="오후 9시까지")
    await expect(answer).to_have_count(1)
    await expect(answer).to_contain_text("월요일")

    # -- and finds it on the public pages --------------------------------------------------
    await citizen.goto(f"{hub_url}/kb/?" + urlencode({"q": "반려견 놀이터 시간", "lang": "ko"}))
    found = citizen.get_by_test_id("kb-result").first
    await expect(found).to_have_attribute("href", f"/kb/ko/{article_id}")
    await found.click()
    await expect(citizen.get_by_test_id("kb-article-title")).to_have_text(TOPIC)
    await expect(citizen.get_by_test_id("kb-article-body")).to_contain_text("오전 7시부터 오후 9시까지")

    # -- editing the Korean text marks the English translation as outdated -----------------
    await _open(yoon, PASSPORT, "여권")  # yoon opens it before han saves: her revision goes stale
    await _open(han, PASSPORT, "여권")
    await expect(han.get_by_test_id("kb-editor-outdated-en")).to_be_hidden()
    body = han.get_by_test_id("kb-editor-body-ko")
    await body.fill(f"{await body.input_value()}\n{PASSPORT_ADDITION}")
    await han.get_by_test_id("kb-editor-save").click()
    await expect(han.get_by_test_id("kb-editor-state")).to_have_attribute("data-state", "draft")
    outdated = han.get_by_test_id("kb-editor-outdated-en")
    await expect(outdated).to_be_visible()
    await expect(outdated).to_have_text("한국어 원문이 바뀌었습니다")
    await expect(_entry(han, PASSPORT).get_by_test_id("kb-entry-outdated")).to_contain_text("영어")
    await han.get_by_test_id("kb-editor-filter-q").fill("")
    await han.get_by_test_id("kb-editor-filter-outdated").check()
    await expect(han.get_by_test_id("kb-entry-item")).to_have_count(1)
    await expect(_entry(han, PASSPORT)).to_be_visible()

    # -- the difference from the published text: the added line, marked as added ----------
    await han.get_by_test_id("kb-history-diff-button").click()
    body_change = han.get_by_test_id("kb-diff").locator(".kb-diff-field[data-field='ko.body']")
    await expect(body_change.locator(".kb-diff-added")).to_contain_text(PASSPORT_ADDITION)
    await expect(body_change.locator(".kb-diff-added")).to_contain_text("+")
    await expect(han.get_by_test_id("kb-history-item").last).to_have_attribute("data-action", "edited")
    await han.get_by_test_id("kb-diff").scroll_into_view_if_needed()
    await han.screenshot(path=str(shots / "console-kb-outdated-and-diff.png"), full_page=True)
    assert await serious_violations(han) == []

    # -- yoon's older revision does not overwrite han's: she is told and reloads -----------
    await yoon.get_by_test_id("kb-editor-title-ko").fill("여권 재발급 안내")
    await yoon.get_by_test_id("kb-editor-save").click()
    await expect(yoon.get_by_test_id("kb-editor-conflict")).to_be_visible()
    await yoon.get_by_test_id("kb-editor-reload").click()
    await expect(yoon.get_by_test_id("kb-editor-conflict")).to_be_hidden()
    await expect(yoon.get_by_test_id("kb-editor-body-ko")).to_have_value(re.compile(re.escape(PASSPORT_ADDITION)))

    assert watch.problems == []
    assert han_refused == yoon_refused == []
    for context in (han_context, yoon_context, citizen_context):
        await context.close()


async def test_an_agent_turns_a_reply_into_a_draft_an_editor_finds(hub_url: str, browser: Browser, shots: Path) -> None:
    watch = PageWatch()

    # -- kim is available; a citizen asks for a person ----------------------------------
    kim_context, kim = await _person(browser, watch, "kim")
    await console_login(kim, hub_url, "kim")
    await kim.get_by_test_id("presence-select").select_option("available")
    await expect(kim.get_by_test_id("presence-select")).to_have_attribute("data-state", "available")
    await expect(kim.get_by_test_id("kb-editor-tab")).to_be_hidden()
    question = "강아지 놀이터 운영 시간이 궁금해요"
    async with aiohttp.ClientSession() as http:

        async def citizen_says(text: str) -> None:
            said = await http.post(
                f"{hub_url}/api/v1/channels/api/messages",
                json={"sender": "citizen-dogs", "text": text, "message_id": uuid.uuid4().hex},
                headers=API_CHANNEL_AUTH,
            )
            assert said.status == 200, await said.text()

        await citizen_says("상담사 연결해 주세요")
        offer = kim.get_by_test_id("my-list").get_by_test_id("conversation-item")
        await expect(offer).to_have_count(1)
        await offer.get_by_test_id("claim-button").click()
        await expect(kim.get_by_test_id("reply-input")).to_be_enabled()
        await citizen_says(question)
    messages = kim.get_by_test_id("message-list")
    asked = messages.locator("[data-testid=message][data-author=citizen]").filter(has_text=question)
    await expect(asked).to_have_count(1)

    # -- kim answers, then proposes the answer as an article ----------------------------
    reply = "반려견 놀이터는 매일 오전 7시부터 오후 9시까지 열고, 월요일은 쉽니다."
    await kim.get_by_test_id("reply-input").fill(reply)
    await kim.get_by_test_id("reply-send").click()
    sent = messages.locator("[data-testid=message][data-author=agent]").filter(has_text=reply)
    await expect(sent).to_have_count(1)
    # Only the agent's own replies: not the citizen's words, not the system's notices.
    await expect(messages.get_by_test_id("message-draft-article")).to_have_count(1)
    propose = sent.get_by_test_id("message-draft-article")
    await expect(propose).to_have_text("문서 초안으로")
    await propose.click()
    await expect(kim.locator("#toast")).to_contain_text("초안을 만들었습니다")
    await expect(sent.get_by_test_id("message-draft-article")).to_have_text("초안을 만들었습니다")
    await expect(sent.get_by_test_id("message-draft-article")).to_be_disabled()
    await kim.screenshot(path=str(shots / "console-kb-agent-draft.png"))

    # -- an editor finds the draft and reads the answer in it --------------------------------
    han_context, han = await _person(browser, watch, "han")
    await _editor_login(han, hub_url, "han")
    await han.get_by_test_id("kb-editor-filter-state").select_option("draft")
    draft = han.get_by_test_id("kb-entry-item").filter(has_text="강아지 놀이터")
    await expect(draft).to_have_count(1)
    await expect(draft).to_have_attribute("data-state", "draft")
    await draft.get_by_test_id("kb-entry-open").click()
    await expect(han.get_by_test_id("kb-editor-body-ko")).to_have_value(reply)
    await expect(han.get_by_test_id("kb-history-item").first).to_have_attribute("data-actor", "kim")

    assert watch.problems == []
    for context in (kim_context, han_context):
        await context.close()


async def test_an_editor_exports_and_imports_articles(hub_url: str, browser: Browser) -> None:
    watch = PageWatch()
    context, han = await _person(browser, watch, "han")
    await _editor_login(han, hub_url, "han")
    await han.get_by_test_id("kb-editor-transfer").click()

    # -- the published articles as a spreadsheet file ---------------------------------------
    async with han.expect_download() as download_info:
        await han.get_by_test_id("kb-editor-export-csv").click()
    download = await download_info.value
    assert download.suggested_filename == "knowledge-base.csv"
    exported = Path(await download.path()).read_text(encoding="utf-8-sig")
    assert exported.splitlines()[0].startswith("id,language,category,title,body")
    assert "district-002" in exported

    # -- an import with a bad line is refused whole, naming the line -------------------------
    header = "id,language,category,title,body,keywords,valid_from,valid_until,directory\n"
    seasonal = "winter-shelter,ko,city,한파 쉼터 운영 기간,한파 쉼터는 12월부터 2월까지 엽니다.,한파 쉼터,2026-12-01,2027-02-28,\n"
    broken = "winter-shelter,ko,weather,한파 쉼터,본문,,,,\n"
    picker = han.get_by_test_id("kb-editor-import-file")
    await picker.set_input_files(_csv(header + seasonal + broken))
    await han.get_by_test_id("kb-editor-import-submit").click()
    result = han.get_by_test_id("kb-editor-import-result")
    await expect(result).to_have_attribute("data-outcome", "error")
    await expect(result).to_contain_text("line 3")

    # -- the good file is published at once, with its validity dates -----------------------
    await picker.set_input_files(_csv(header + seasonal))
    await han.get_by_test_id("kb-editor-import-submit").click()
    await expect(result).to_have_text("1건 가져옴")
    await _open(han, "winter-shelter", "한파 쉼터")
    await expect(han.get_by_test_id("kb-editor-state")).to_have_attribute("data-state", "published")
    await expect(han.get_by_test_id("kb-editor-valid-from")).to_have_value("2026-12-01")
    await expect(han.get_by_test_id("kb-editor-valid-until")).to_have_value("2027-02-28")
    await expect(han.get_by_test_id("kb-history-item").first).to_have_attribute("data-action", "imported")

    assert watch.problems == []
    await context.close()


async def test_an_editor_drafts_an_article_for_questions_the_bot_could_not_answer(
    hub_url: str, browser: Browser, shots: Path
) -> None:
    watch = PageWatch()
    unanswered = ["우주 정거장 견학 신청은 어떻게 하나요?", "우주 정거장 견학 예약 방법 알려주세요"]
    async with aiohttp.ClientSession() as http:
        for number, text in enumerate(unanswered):
            said = await http.post(
                f"{hub_url}/api/v1/channels/api/messages",
                json={"sender": f"citizen-space-{number}", "text": text, "message_id": uuid.uuid4().hex},
                headers=API_CHANNEL_AUTH,
            )
            assert said.status == 200, await said.text()

    context, han = await _person(browser, watch, "han")
    await _editor_login(han, hub_url, "han")
    await han.get_by_test_id("kb-questions-open").focus()  # by keyboard
    await han.keyboard.press("Enter")
    group = han.get_by_test_id("kb-questions-group").filter(has_text="우주 정거장")
    await expect(group).to_have_count(1)
    await expect(group).to_contain_text("2건")
    await expect(group).to_contain_text("한국어 2")
    for text in unanswered:
        await expect(group).to_contain_text(text)
    await han.screenshot(path=str(shots / "console-kb-questions.png"))
    assert await serious_violations(han) == []

    await group.get_by_test_id("kb-questions-draft").click()
    await expect(han.get_by_test_id("kb-editor-state")).to_have_attribute("data-state", "draft")
    await expect(han.get_by_test_id("kb-editor-title-ko")).to_have_value(re.compile("우주 정거장"))
    await expect(han.get_by_test_id("kb-editor-body-ko")).to_have_value(re.compile(re.escape(unanswered[1])))
    article_id = await han.get_by_test_id("kb-editor-form").get_attribute("data-article-id")
    await expect(_entry(han, str(article_id))).to_have_attribute("data-state", "draft")

    # Written for: the questions leave the list.
    await han.get_by_test_id("kb-questions-open").click()
    await expect(han.get_by_test_id("kb-questions-list")).to_contain_text("답이 없는 질문이 없습니다")

    assert watch.problems == []
    await context.close()
