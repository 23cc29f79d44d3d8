"""A script a citizen slips into any field they control never runs in the agent console.

Every place citizen input reaches the console, through the real channels (each request signed or
keyed the provider's way, so it reaches the parser):
- message text: the API channel, SMS, Telegram, KakaoTalk (the web chat widget's text is covered
  by tests/test_browser.py, through the widget itself);
- display names: Telegram's first and last name (the other channels give none; the API channel's
  and SMS's contacts are named by the hub);
- channel identities: the API channel's sender, the Kakao user id;
- the API channel's metadata (stored, shown nowhere, sent anyway);
- attachments: a Telegram document's file name and MIME type, an SMS's media URL and content type;
- a quick-reply payload: Telegram's callback data, which becomes the message text;
- the survey's comment, shown in the conversation's trail and as its last message;
- a threat's words, quoted in the supervisors' alert banner, and the month's VOC report, which
  quotes citizens as examples of each topic.
The language and the category a citizen cannot set to free text (the hub accepts only its codes),
so they carry nothing.

Each field carries its own name in the payload, so a failure says which field's script ran.
The agent and the supervisor open everything that shows citizen text: the queued list, the
conversation view, the contact's history and identities, the link candidates, the trail, the
supervisor's view and its alert, the VOC report. Then `window.__xss` must be undefined, no markup element may have been made,
and the payload must read as literal text where the field is shown.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect

from channels.sms.settings import SMS_PATH
from tests.browsers import (
    API_CHANNEL_AUTH,
    KAKAO_BOT_ID,
    KAKAO_SKILL_TOKEN,
    PageWatch,
    ProviderHub,
    StaffApi,
    console_login,
    serving_with_providers,
)
from tests.conftest import wait_for
from tests.standins.kakao import KakaoStandin
from tests.standins.telegram import SECRET as TELEGRAM_SECRET
from tests.standins.telegram import SECRET_HEADER as TELEGRAM_SECRET_HEADER
from tests.standins.telegram import WEBHOOK_PATH as TELEGRAM_WEBHOOK_PATH
from tests.standins.twilio import signed_inbound

pytestmark = pytest.mark.browser

TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)

CITIZEN_PHONE = "+821055501234"
TELEGRAM_CHAT = 5_550_077
HANDOFF = "상담사 연결"
SEOUL = ZoneInfo("Asia/Seoul")
KOREAN = "버스 노선 문의합니다. "  # keeps each message Korean to the language identifier (and kim's queues)


def payload(field: str) -> str:
    """Markup in each of the usual shapes, every one of which sets `window.__xss` to the field's
    name if it ever runs: an event handler, a script element, an attribute break-out, a link."""
    return (
        f"<img src=x onerror=\"window.__xss='{field}'\">"
        f"<script>window.__xss='{field}'</script>"
        f'"><svg onload="window.__xss=\'{field}\'">'
        f" javascript:window.__xss='{field}'"
    )


def short_payload(field: str) -> str:
    """Two shapes, for fields with a short limit (identities)."""
    return f"\"><img src=x onerror=window.__xss='{field}'>"


# The citizen-controlled values, by field.
API_TEXT = KOREAN + payload("api-text")
API_SENDER = short_payload("api-sender")
SMS_TEXT = KOREAN + payload("sms-text")
SMS_MEDIA_URL = "javascript:window.__xss='sms-media-url'"
SMS_MEDIA_TYPE = 'image/png"><img src=x onerror="window.__xss=\'sms-media-type\'">'
TELEGRAM_FIRST = "<img src=x onerror=\"window.__xss='tg-first'\">"
TELEGRAM_LAST = "<script>window.__xss='tg-last'</script>"
TELEGRAM_TEXT = KOREAN + payload("telegram-text")
TELEGRAM_FILE = "<svg onload=\"window.__xss='tg-file'\">.pdf"
TELEGRAM_MIME = 'application/pdf"><img src=x onerror="window.__xss=\'tg-mime\'">'
TELEGRAM_TAP = KOREAN + "<img src=x onerror=\"window.__xss='tg-callback'\">"
KAKAO_USER = short_payload("kakao-user")
KAKAO_TEXT = KOREAN + payload("kakao-text")
SURVEY_COMMENT = "불친절했어요 " + payload("survey-comment")
THREAT = "I will kill you " + payload("alert-text")  # quoted in the supervisors' alert


@pytest.fixture
async def hostile_hub(tmp_path: Path, repo_root: Path) -> AsyncIterator[ProviderHub]:
    async with serving_with_providers(tmp_path, repo_root) as hub:
        yield hub


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Staff(StaffApi):
    """A member of staff's REST session, with what the hostile stories ask of it."""

    async def conversation_of(self, channel: str, external_id: str) -> dict[str, Any]:
        """The queued conversation of a channel identity, once the hand-off has put it there."""

        async def found() -> dict[str, Any] | None:
            for conversation in (await self.call("GET", "/api/v1/conversations?state=queued"))["conversations"]:
                if {"channel": channel, "external_id": external_id} in conversation["contact"]["identities"]:
                    return conversation
            return None

        return await wait_for(found, 10, failure=f"no queued {channel} conversation of {external_id!r}")


# ---------------------------------------------------------------------------------------------- the citizen


async def _api_channel(
    http: aiohttp.ClientSession, hub: ProviderHub, text: str, sender: str = API_SENDER, language: str = "ko"
) -> dict[str, Any]:
    body = {
        "sender": sender,
        "text": text,
        "message_id": uuid.uuid4().hex,
        "language": language,
        "metadata": {"name": payload("api-metadata-name"), "page": payload("api-metadata-page")},
    }
    headers = API_CHANNEL_AUTH
    async with http.post(f"{hub.url}/api/v1/channels/api/messages", json=body, headers=headers) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def _sms(http: aiohttp.ClientSession, hub: ProviderHub, body: str, **details: Any) -> None:
    form, headers = signed_inbound(hub.url + SMS_PATH, CITIZEN_PHONE, body, **details)
    async with http.post(hub.url + SMS_PATH, data=form, headers=headers) as response:
        assert response.status == 200, await response.text()


def _telegram_user(update: dict[str, Any]) -> dict[str, Any]:
    """The update with the citizen's hostile last name beside the hostile first name."""
    for user in (update.get("message", {}).get("from"), update.get("callback_query", {}).get("from")):
        if user is not None:
            user["last_name"] = TELEGRAM_LAST
    return update


async def _telegram(http: aiohttp.ClientSession, hub: ProviderHub, update: dict[str, Any]) -> None:
    headers = {TELEGRAM_SECRET_HEADER: TELEGRAM_SECRET}
    async with http.post(hub.url + TELEGRAM_WEBHOOK_PATH, json=_telegram_user(update), headers=headers) as response:
        assert response.status == 200, await response.text()


def _telegram_tap(hub: ProviderHub, data: str) -> dict[str, Any]:
    """A tap on an inline button whose callback data is `data` (a client may send any)."""
    message = hub.telegram.message_update(TELEGRAM_CHAT, first_name=TELEGRAM_FIRST, text="-")["message"]
    return {
        "update_id": int(time.time() * 1000),
        "callback_query": {
            "id": uuid.uuid4().hex,
            "from": message["from"],
            "chat_instance": f"ci-{TELEGRAM_CHAT}",
            "message": {**message, "from": {"id": 1, "is_bot": True, "first_name": "120"}},
            "data": data,
        },
    }


async def _kakao(http: aiohttp.ClientSession, hub: ProviderHub, utterance: str) -> None:
    skill = KakaoStandin(KAKAO_BOT_ID).skill_payload(utterance, KAKAO_USER)
    async with http.post(f"{hub.url}/webhooks/kakao/skill/{KAKAO_SKILL_TOKEN}", json=skill) as response:
        assert response.status == 200, await response.text()


async def _hostile_citizens(http: aiohttp.ClientSession, hub: ProviderHub, kim: Staff) -> dict[str, dict[str, Any]]:
    """Every channel's citizen writes markup wherever they can, then asks for a person.
    Returns the queued conversations by channel."""
    telegram = hub.telegram
    # Korean first, and a person asked for at once: the markup that follows cannot turn the
    # conversation into a foreign-language one (kim serves Korean queues).
    for text in ("안녕하세요, 버스 노선을 묻고 싶어요", HANDOFF, TELEGRAM_TEXT):
        await _telegram(http, hub, telegram.message_update(TELEGRAM_CHAT, first_name=TELEGRAM_FIRST, text=text))
    document = {"file_id": "doc-1", "file_unique_id": "udoc1", "file_name": TELEGRAM_FILE, "mime_type": TELEGRAM_MIME}
    await _telegram(
        http, hub, telegram.message_update(TELEGRAM_CHAT, first_name=TELEGRAM_FIRST, document=document, caption="서류")
    )
    await _telegram(http, hub, _telegram_tap(hub, TELEGRAM_TAP))

    await _sms(http, hub, SMS_TEXT, media=[(SMS_MEDIA_URL, SMS_MEDIA_TYPE)])
    await _sms(http, hub, HANDOFF)

    await _kakao(http, hub, KAKAO_TEXT)
    await _kakao(http, hub, HANDOFF)

    await _api_channel(http, hub, API_TEXT)
    await _api_channel(http, hub, HANDOFF)

    return {
        "telegram": await kim.conversation_of("telegram", str(TELEGRAM_CHAT)),
        "sms": await kim.conversation_of("sms", CITIZEN_PHONE),
        "kakao": await kim.conversation_of("kakao", KAKAO_USER),
        "api": await kim.conversation_of("api", API_SENDER),
    }


async def _served_and_rated(http: aiohttp.ClientSession, hub: ProviderHub, kim: Staff, conversation_id: str) -> None:
    """kim serves the API citizen and resolves; the citizen rates the service and comments."""
    path = f"/api/v1/conversations/{conversation_id}"
    await kim.call("POST", f"{path}/claim")
    await kim.call("POST", f"{path}/messages", {"text": "버스 노선은 120 누리집에서 확인하실 수 있습니다."})
    await kim.call("POST", f"{path}/resolve", {"disposition": "resolved"})
    await _api_channel(http, hub, "2")
    await _api_channel(http, hub, SURVEY_COMMENT)

    async def commented() -> bool:
        events = (await kim.call("GET", f"{path}/events"))["events"]
        return any(e["type"] == "survey_answered" and "comment" in e["data"] for e in events)

    await wait_for(commented, 10, failure="the survey comment was never recorded")


# ---------------------------------------------------------------------------------------------- the console


async def _no_script_ran(page: Page, where: str) -> None:
    ran = await page.evaluate("window.__xss")
    assert ran is None, f"{where}: the script of field {ran!r} ran"
    made = await page.evaluate("[...document.querySelectorAll('#app img, #app svg, #app script')].length")
    assert made == 0, f"{where}: {made} markup element(s) made from citizen input"


async def _open(page: Page, conversation_id: str) -> None:
    await page.evaluate("id => { location.hash = `conversation=${id}`; }", conversation_id)
    await expect(page.get_by_test_id("conversation-view")).to_have_attribute("data-conversation-id", conversation_id)
    await expect(page.get_by_test_id("message-list").get_by_test_id("message").first).to_be_visible()


def _message(page: Page, text: str) -> Any:
    return page.get_by_test_id("message-list").get_by_test_id("message").filter(has_text=text)


async def _sees_everything(page: Page, conversations: dict[str, dict[str, Any]], where: str) -> None:
    """Open each hostile conversation and find each field, as text, where it belongs."""
    telegram_name = f"{TELEGRAM_FIRST} {TELEGRAM_LAST}"

    # The SMS citizen's contact was linked into the Telegram one: its history shows that conversation.
    await _open(page, conversations["telegram"]["id"])
    await expect(page.locator("#conv-contact")).to_have_text(telegram_name)
    await expect(_message(page, TELEGRAM_TEXT).locator(".message-text")).to_have_text(TELEGRAM_TEXT)
    await expect(_message(page, TELEGRAM_TAP).locator(".message-text")).to_have_text(TELEGRAM_TAP)
    document = page.get_by_test_id("message-list").get_by_test_id("attachment").filter(has_text=TELEGRAM_FILE)
    await expect(document).to_contain_text(TELEGRAM_MIME)
    await page.locator("#history > summary").click()
    earlier = page.get_by_test_id("history-list").locator(f"[data-conversation-id='{conversations['sms']['id']}']")
    await earlier.locator("details").evaluate("details => { details.open = true; }")
    await expect(earlier.locator(".history-messages")).to_contain_text(SMS_TEXT)
    await _no_script_ran(page, f"{where}, Telegram conversation and its contact's history")

    await _open(page, conversations["sms"]["id"])
    await expect(_message(page, SMS_TEXT).locator(".message-text")).to_have_text(SMS_TEXT)
    media = _message(page, SMS_TEXT).get_by_test_id("attachment")
    await expect(media).to_contain_text(SMS_MEDIA_TYPE)
    await expect(media.locator("a")).to_have_count(0)  # a javascript: address never becomes a link
    await _no_script_ran(page, f"{where}, SMS conversation")

    await _open(page, conversations["kakao"]["id"])
    await expect(_message(page, KAKAO_TEXT).locator(".message-text")).to_have_text(KAKAO_TEXT)
    identity = page.locator("[data-testid=contact-identity][data-channel=kakao] .identity-id")
    await expect(identity).to_have_text(KAKAO_USER)
    await _no_script_ran(page, f"{where}, Kakao conversation")

    await _open(page, conversations["api"]["id"])
    await expect(page.locator("[data-testid=contact-identity][data-channel=api] .identity-id")).to_have_text(API_SENDER)
    await expect(_message(page, API_TEXT).locator(".message-text")).to_have_text(API_TEXT)
    await expect(_message(page, SURVEY_COMMENT).locator(".message-text")).to_have_text(SURVEY_COMMENT)
    await page.locator("#events > summary").click()
    trail = page.get_by_test_id("event-list").locator("[data-type=survey_answered]").filter(has_text="comment")
    await expect(trail).to_contain_text(SURVEY_COMMENT)
    await _no_script_ran(page, f"{where}, API conversation and its survey")


async def test_a_script_in_any_citizen_field_never_runs_in_the_console(
    hostile_hub: ProviderHub, browser: Browser, http: aiohttp.ClientSession, shots: Path
) -> None:
    hub = hostile_hub
    watch = PageWatch()
    kim = await Staff.login(http, hub.url, "kim")
    conversations = await _hostile_citizens(http, hub, kim)
    # The SMS citizen and the Telegram citizen are one person: kim links them (Telegram's contact stays).
    await kim.call(
        "POST",
        f"/api/v1/contacts/{conversations['telegram']['contact']['id']}/link",
        {"contact_id": conversations["sms"]["contact"]["id"]},
    )
    await _served_and_rated(http, hub, kim, conversations["api"]["id"])

    async def page_of(who: str) -> Page:
        """A page in a browser context of its own (its own session cookie)."""
        context = await browser.new_context(
            locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 1400, "height": 900}
        )
        return watch.watch(await context.new_page(), who)

    # -- the agent: the queued list first (names and previews), then each conversation ------------
    agent = await page_of("agent")
    await console_login(agent, hub.url, "kim")
    queued = agent.get_by_test_id("queued-list")
    telegram_item = queued.locator(f"[data-conversation-id='{conversations['telegram']['id']}']")
    await expect(telegram_item.locator(".conv-item-name")).to_have_text(f"{TELEGRAM_FIRST} {TELEGRAM_LAST}")
    sms_item = queued.locator(f"[data-conversation-id='{conversations['sms']['id']}']")
    await expect(sms_item).to_be_visible()
    await _no_script_ran(agent, "agent, queued list")
    await _sees_everything(agent, conversations, "agent")
    # Contacts seen this session are offered for linking, by name.
    await expect(agent.get_by_test_id("link-contact-candidate").filter(has_text=TELEGRAM_FIRST)).to_have_count(1)
    await agent.screenshot(path=str(shots / "console-xss-agent.png"), full_page=True)
    await _no_script_ran(agent, "agent, at the end")

    # -- the supervisor: the overview, then every conversation -------------------------------------
    supervisor = await page_of("supervisor")
    await console_login(supervisor, hub.url, "jung")
    await expect(supervisor.get_by_test_id("supervisor-view")).to_be_visible()
    await _no_script_ran(supervisor, "supervisor, overview")
    await _sees_everything(supervisor, conversations, "supervisor")

    # A threat alerts the supervisor at once, quoting the citizen; the message arrives veiled.
    threat = await _api_channel(http, hub, THREAT, sender="citizen-threat", language="en")
    alert = supervisor.get_by_test_id("alert-banner").get_by_test_id("alert")
    await expect(alert.locator(".alert-text")).to_have_text(THREAT)
    await _no_script_ran(supervisor, "supervisor, threat alert")
    await alert.get_by_test_id("alert-open").click()
    await expect(supervisor.get_by_test_id("conversation-view")).to_have_attribute(
        "data-conversation-id", threat["conversation_id"]
    )
    await _message(supervisor, THREAT).get_by_test_id("abuse-show").click()
    await expect(_message(supervisor, THREAT).locator(".message-text")).to_have_text(THREAT)
    await _no_script_ran(supervisor, "supervisor, threatening conversation")

    # -- the month's VOC report quotes citizens' words (masked): they stay words ------------------
    await supervisor.get_by_test_id("reports-tab").click()
    await supervisor.get_by_test_id("voc-month").fill(datetime.now(SEOUL).strftime("%Y-%m"))
    await supervisor.get_by_test_id("voc-generate").click()
    link = supervisor.get_by_test_id("voc-link-html")
    await expect(link).to_be_visible(timeout=60_000)
    response = await supervisor.request.get(hub.url + (await link.get_attribute("href") or ""))
    assert response.status == 200, await response.text()
    report = watch.watch(await supervisor.context.new_page(), "VOC report")
    await report.set_content(await response.text())  # without the hub's CSP: the escaping alone must hold
    examples = report.locator(".examples")
    for quoted in (SMS_TEXT, KAKAO_TEXT, THREAT):
        await expect(examples.locator("li").filter(has_text=quoted)).to_have_count(1)
    await expect(examples.locator("img, svg, script")).to_have_count(0)
    assert await report.evaluate("window.__xss") is None, "a script quoted in the VOC report ran"
    await supervisor.get_by_test_id("kb-editor-desk-tab").click()

    await supervisor.screenshot(path=str(shots / "console-xss-supervisor.png"), full_page=True)

    assert watch.problems == []
    for page in (agent, supervisor):
        await page.context.close()
