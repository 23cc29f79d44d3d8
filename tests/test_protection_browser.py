"""The protection protocol in the console, in a real browser (악성민원 대응).

A citizen writing in English through the API channel insults the agent and gives a card number;
the agent (park, who serves foreign languages) sees the insult blurred until she chooses to read
it and the card number masked until she reveals it, sends the standard warning three times with
one click each (the citizen receives it in English), then ends the conversation under the
protocol with a 24-hour block (the citizen is told, in English, until when). The supervisor
(jung) sees the incident with each step and the month's count against the ceiling, lifts the
block on appeal, and is alerted at once when another citizen writes a threat. One warning goes
from the keyboard, and axe-core finds nothing serious in the protocol's controls.

The hub runs as in production (`dasan serve`, SQLite file, demo data) with the default of three
warnings before the end (DASAN_PROTECTION_WARNINGS). Screenshots go to $DASAN_BROWSER_SHOTS when
set (else the test's tmp_path).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Locator, Page, expect

from model.catalog import Catalog
from tests.browsers import PageWatch, console_login, serving

pytestmark = pytest.mark.browser

TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)

API_KEY = "api-channel-key-protection-7Rw2"
MESSAGES = "/api/v1/channels/api/messages"
RUDE = "citizen-rude-1"
THREATENING = "citizen-threat-2"
CARD = "4111 1111 1111 1111"
INSULT = "You fucking idiot, why is this taking so long?"
THREAT = "I will kill you if nobody fixes my water pipe today"
WARNINGS_TO_END = 3  # the hub's default
CEILING = 60  # the report's monthly ceiling, the hub's default
CATALOG = Catalog()


@pytest.fixture
async def protection_hub(tmp_path: Path, repo_root: Path) -> AsyncIterator[str]:
    async with serving(tmp_path, repo_root, {"DASAN_API_CHANNEL_KEY": API_KEY}) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {API_KEY}"}) as session:
        yield session


async def _citizen_says(http: aiohttp.ClientSession, url: str, sender: str, text: str) -> dict[str, Any]:
    body = {"sender": sender, "text": text, "message_id": uuid.uuid4().hex, "language": "en"}
    async with http.post(url + MESSAGES, json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def _citizen_reads(http: aiohttp.ClientSession, url: str, sender: str) -> list[str]:
    """What the citizen has received so far: the API channel's replies."""
    async with http.get(url + MESSAGES, params={"sender": sender}) as response:
        assert response.status == 200, await response.text()
        return [message["text"] for message in (await response.json())["messages"]]


async def _person(browser: Browser, watch: PageWatch, who: str) -> Page:
    context = await browser.new_context(
        locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 1400, "height": 1000}
    )
    return watch.watch(await context.new_page(), who)


def _message(page: Page, text: str) -> Locator:
    return page.get_by_test_id("message-list").get_by_test_id("message").filter(has_text=text)


async def _filter_of(node: Locator) -> str:
    return await node.evaluate("node => getComputedStyle(node).filter")


async def _accessibility_findings(page: Page, *selectors: str) -> list[str]:
    """axe-core's serious and critical findings within the protocol's own controls."""
    results = await Axe().run(page, context={"include": [[selector] for selector in selectors]})
    return [
        f"{violation['id']} at {node['target']}: {node['failureSummary']}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
        for node in violation["nodes"]
    ]


async def test_abuse_is_blurred_warned_ended_and_reported(
    protection_hub: str, browser: Browser, http: aiohttp.ClientSession, shots: Path
) -> None:
    url = protection_hub
    watch = PageWatch()
    warning = CATALOG.text("protection.warning", "en")
    ended = CATALOG.text("protection.ended", "en")
    blocked_before_the_time = CATALOG.text("protection.blocked", "en", until="\0").split("\0")[0]

    # -- the citizen asks for a person, insults, and gives a card number ------------------------
    first = await _citizen_says(http, url, RUDE, "Hello, I need to talk to an agent about my bus card")
    conversation_id = first["conversation_id"]
    await _citizen_says(http, url, RUDE, INSULT)
    await _citizen_says(http, url, RUDE, f"My card number is {CARD}, check it")

    # -- the supervisor is at her console: the detection is this month's first incident ----------
    supervisor = await _person(browser, watch, "supervisor")
    await console_login(supervisor, url, "jung")
    panel = supervisor.get_by_test_id("protection-panel")
    await expect(panel).to_be_visible()
    await expect(supervisor.get_by_test_id("protection-count")).to_have_text(f"1 / {CEILING}")
    incident = panel.locator(f"[data-testid=protection-incident][data-conversation-id='{conversation_id}']")
    steps = incident.get_by_test_id("protection-step")
    await expect(steps.locator("strong")).to_have_text(["악성 표현 감지"])
    await expect(steps).to_contain_text("욕설·모욕")
    await expect(supervisor.get_by_test_id("alert-banner")).to_be_hidden()  # an insult is no alert

    # -- the agent takes the conversation: the insult is blurred, the card number masked ----------
    agent = await _person(browser, watch, "agent")
    await console_login(agent, url, "park")
    item = agent.get_by_test_id("queued-list").locator(f"[data-conversation-id='{conversation_id}']")
    await expect(item.get_by_test_id("abuse-tag")).to_have_text("악성")
    await item.get_by_test_id("claim-button").click()
    await expect(agent.get_by_test_id("conversation-view")).to_have_attribute("data-conversation-id", conversation_id)
    await expect(agent.get_by_test_id("conversation-state")).to_have_attribute("data-state", "assigned")

    insult = _message(agent, INSULT)
    veil = insult.get_by_test_id("abuse-veil")
    await expect(veil).to_have_attribute("data-veiled", "true")
    await expect(veil.get_by_test_id("abuse-label")).to_have_text("악성 표현: 욕설·모욕")
    assert "blur" in await _filter_of(veil.locator(".message-content")), "the insult is legible before it is revealed"
    await expect(veil.locator(".message-content")).to_have_js_property("inert", True)  # nor read out by a screen reader

    card = agent.get_by_test_id("message-list").get_by_test_id("message").filter(has_text="My card number is")
    await expect(card.locator(".message-text")).not_to_contain_text(CARD)
    reveal = card.get_by_test_id("pii-reveal")
    await expect(reveal).to_have_attribute(
        "title", "가려진 개인정보를 봅니다. 열람한 사람과 시각이 감사 기록에 남습니다."
    )
    await expect(agent.get_by_test_id("warn-count")).to_have_text(f"경고 0/{WARNINGS_TO_END}")
    await expect(agent.get_by_test_id("protocol-end-button")).to_be_disabled()
    await agent.get_by_test_id("conversation-view").screenshot(path=str(shots / "protection-veiled.png"))
    controls = (
        "[data-testid=abuse-veil]",
        "[data-testid=pii-reveal]",
        "#warn-count",
        "#warn-button",
        "#protocol-end-button",
    )
    assert await _accessibility_findings(agent, *controls) == []

    # She chooses to read both.
    await veil.get_by_test_id("abuse-show").click()
    await expect(veil).to_have_attribute("data-veiled", "false")
    assert await _filter_of(veil.locator(".message-content")) == "none"
    await expect(veil.locator(".message-content")).to_have_js_property("inert", False)
    await expect(veil.locator(".message-text")).to_have_text(INSULT)
    await reveal.click()
    await expect(card.locator(".message-text")).to_have_text(f"My card number is {CARD}, check it")
    await expect(reveal).to_have_count(0)

    # -- three warnings, one click each; the citizen reads them in English ------------------------
    for count in range(1, WARNINGS_TO_END + 1):
        await expect(agent.get_by_test_id("protocol-end-button")).to_be_disabled()
        if count < WARNINGS_TO_END:
            await agent.get_by_test_id("warn-button").click()
        else:  # the keyboard does it as well
            await agent.get_by_test_id("warn-button").focus()
            await agent.keyboard.press("Enter")
        await expect(agent.get_by_test_id("warn-count")).to_have_text(f"경고 {count}/{WARNINGS_TO_END}")
    await expect(_message(agent, warning)).to_have_count(WARNINGS_TO_END)
    assert (await _citizen_reads(http, url, RUDE)).count(warning) == WARNINGS_TO_END

    # -- ended under the protocol, the contact blocked for 24 hours -------------------------------
    await agent.get_by_test_id("protocol-end-button").click()
    await expect(agent.get_by_test_id("protocol-form")).to_be_visible()
    assert await _accessibility_findings(agent, "#protocol-form") == []
    await agent.get_by_test_id("protocol-block-select").select_option(label="24시간")
    await agent.get_by_test_id("protocol-note").fill("경고 3회 후에도 욕설 계속")
    await agent.get_by_test_id("protocol-end-submit").click()
    await expect(agent.get_by_test_id("conversation-state")).to_have_attribute("data-state", "resolved")
    await expect(agent.get_by_test_id("protocol-form")).to_be_hidden()
    await expect(agent.get_by_test_id("warn-button")).to_be_disabled()
    assert ended in await _citizen_reads(http, url, RUDE)

    # Writing again while blocked: stored, told until when, never in front of an agent.
    await _citizen_says(http, url, RUDE, "Hello? Answer me")
    told = [text for text in await _citizen_reads(http, url, RUDE) if text.startswith(blocked_before_the_time)]
    assert len(told) == 1, await _citizen_reads(http, url, RUDE)
    await expect(agent.get_by_test_id("queued-list").get_by_test_id("conversation-item")).to_have_count(0)

    # -- the supervisor: the incident with every step, the count, the block -----------------------
    await supervisor.get_by_test_id("protection-refresh").click()
    await expect(incident).to_contain_text("담당 park")
    await expect(supervisor.get_by_test_id("protection-count")).to_have_text(
        f"1 / {CEILING}"
    )  # one incident, many steps
    await expect(steps.locator("strong")).to_have_text(
        ["악성 표현 감지", "경고 발송", "경고 발송", "경고 발송", "보호 조치로 종료", "연락 차단"]
    )
    await expect(steps.nth(1)).to_contain_text("agent:park")
    await expect(steps.nth(3)).to_contain_text("3번째 경고")
    await expect(steps.nth(4)).to_contain_text("차단 24시간")
    await expect(steps.nth(4)).to_contain_text("메모: 경고 3회 후에도 욕설 계속")
    block = panel.get_by_test_id("protection-block")
    await expect(block).to_have_count(1)
    await expect(block).to_contain_text("경고 3회 후에도 욕설 계속")

    # -- another citizen threatens: every supervisor is alerted at once ---------------------------
    threat = await _citizen_says(http, url, THREATENING, THREAT)
    banner = supervisor.get_by_test_id("alert-banner")
    await expect(banner).to_be_visible()
    alert = banner.get_by_test_id("alert")
    await expect(alert).to_have_attribute("data-kind", "threat")
    await expect(alert).to_contain_text("위협 감지")
    await expect(alert).to_contain_text(THREAT)
    await expect(supervisor.get_by_test_id("protection-count")).to_have_text(f"2 / {CEILING}")
    await supervisor.screenshot(path=str(shots / "protection-supervisor.png"), full_page=True)
    assert await _accessibility_findings(supervisor, "#alert-banner", "#protection-panel") == []
    await alert.get_by_test_id("alert-open").click()
    view = supervisor.get_by_test_id("conversation-view")
    await expect(view).to_have_attribute("data-conversation-id", threat["conversation_id"])
    await expect(_message(supervisor, THREAT).get_by_test_id("abuse-label")).to_have_text("악성 표현: 위협")
    await alert.get_by_test_id("alert-dismiss").click()
    await expect(banner).to_be_hidden()

    # -- the citizen appeals: the supervisor lifts the block, with a reason -----------------------
    await block.get_by_test_id("block-lift").click()
    await block.get_by_test_id("block-lift-reason").fill("시민 이의 제기, 사과함")
    await block.get_by_test_id("block-lift-submit").click()
    await expect(panel.get_by_test_id("protection-block")).to_have_count(0)
    await expect(panel.get_by_test_id("protection-blocks")).to_have_text("차단 중인 연락처가 없습니다.")
    await expect(steps.last.locator("strong")).to_have_text("차단 해제")
    await expect(steps.last).to_contain_text("사유: 시민 이의 제기, 사과함")
    await panel.screenshot(path=str(shots / "protection-panel.png"))

    for page in (agent, supervisor):
        assert await page.evaluate("typeof window.__xss") == "undefined"
    assert watch.problems == []
    for page in (agent, supervisor):
        await page.context.close()
