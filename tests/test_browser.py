"""The whole story in a real browser: a citizen in the web chat widget, an agent in the console.

The hub runs as it does in production (`dasan serve` in its own process, SQLite file, demo
data); Debian's Chromium is driven through Playwright with one browser context per person.
The channels test also turns on SMS, Telegram and KakaoTalk, with Twilio and Telegram played by
the stand-ins in tests/standins: every conversation the console shows there is a real one.
Screenshots of the end of the story go to $DASAN_BROWSER_SHOTS when set (else the test's tmp_path).
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    expect,
)

from channels.sms.settings import SMS_PATH
from tests.browsers import (
    API_CHANNEL_AUTH,
    KAKAO_BOT_ID,
    KAKAO_SKILL_TOKEN,
    PageWatch,
    ProviderHub,
    StaffApi,
    console_login,
    serving,
    serving_with_providers,
)
from tests.conftest import wait_for
from tests.standins.kakao import KakaoStandin
from tests.standins.libretranslate import API_KEY as LIBRE_KEY
from tests.standins.libretranslate import LibreTranslateStandIn
from tests.standins.telegram import SECRET as TELEGRAM_SECRET
from tests.standins.telegram import SECRET_HEADER as TELEGRAM_SECRET_HEADER
from tests.standins.telegram import WEBHOOK_PATH as TELEGRAM_WEBHOOK_PATH
from tests.standins.twilio import SentMessage, TwilioStandIn, signed_inbound

pytestmark = pytest.mark.browser

TIMEOUT_MS = 10_000

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'

# The provider channels of the second test: the hub's Twilio number, its Kakao skill, a citizen.
CITIZEN_PHONE = "+821012345678"
TELEGRAM_CHAT = 5_550_001

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
async def provider_hub(tmp_path: Path, repo_root: Path) -> AsyncIterator[ProviderHub]:
    async with serving_with_providers(tmp_path, repo_root) as hub:
        yield hub


async def _person(browser: Browser, watch: PageWatch, who: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(
        locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 1400, "height": 900}
    )
    page = await context.new_page()
    return context, watch.watch(page, who)


async def _citizen_says(page: Page, text: str) -> None:
    await page.get_by_test_id("chat-input").fill(text)
    await page.get_by_test_id("chat-send").click()
    # The hub's echo replaces the pending bubble.
    await expect(_chat(page, "citizen", settled=True).filter(has_text=text).last).to_be_visible()


def _chat(page: Page, author: str, settled: bool = False) -> Locator:
    """Widget messages by author; `settled`: only those the hub has stored (not pending bubbles)."""
    stored = "[data-message-id]" if settled else ""
    return page.locator(f"[data-testid=chat-message][data-author={author}]{stored}")


def _console_messages(page: Page, author: str) -> Locator:
    return page.get_by_test_id("message-list").locator(f"[data-testid=message][data-author={author}]")


def _texts(url: str) -> dict[str, str]:
    """The widget's Korean texts as the hub serves them (they override the built-in ones)."""
    with urllib.request.urlopen(f"{url}/webchat/i18n/ko.json", timeout=5) as response:
        return json.load(response)


async def test_citizen_and_agent_story(hub_url: str, browser: Browser, shots: Path) -> None:
    watch = PageWatch()
    texts = _texts(hub_url)
    queue_status = re.compile(re.escape(texts["widget.queue_position"]).replace(re.escape("{position}"), r"\d+"))

    # -- the agent logs in and becomes available -----------------------------------------
    agent_context, agent = await _person(browser, watch, "agent")
    await console_login(agent, hub_url, "kim")
    await agent.get_by_test_id("presence-select").select_option("available")
    await expect(agent.get_by_test_id("presence-select")).to_have_attribute("data-state", "available")
    await expect(agent.get_by_test_id("my-list")).to_contain_text("배정된 상담이 없습니다")

    # -- the citizen opens the widget on the city page; the bot answers --------------------
    citizen_context, citizen = await _person(browser, watch, "citizen")
    await citizen.goto(f"{hub_url}/webchat/")
    await expect(citizen.get_by_test_id("chat-panel")).to_be_hidden()
    await citizen.get_by_test_id("chat-launcher").click()
    await expect(citizen.get_by_test_id("chat-panel")).to_be_visible()
    question = "따릉이 대여 방법 알려주세요"
    await _citizen_says(citizen, question)
    bot_answer = _chat(citizen, "bot").filter(has_text="따릉이")
    await expect(bot_answer).to_have_count(1)
    await expect(citizen.get_by_test_id("chat-status")).to_be_hidden()

    # -- the citizen taps "상담사 연결": queue position and a system notice -----------------
    quick_reply = bot_answer.get_by_test_id("chat-action")
    await expect(quick_reply).to_have_text("상담사 연결")
    await quick_reply.click()
    ask = "상담사 연결"
    await expect(_chat(citizen, "citizen", settled=True).filter(has_text=ask)).to_have_count(1)
    await expect(citizen.get_by_test_id("chat-status")).to_be_visible()
    await expect(citizen.get_by_test_id("chat-status")).to_have_text(queue_status)
    await expect(_chat(citizen, "system").filter(has_text="상담사 연결을 요청했습니다")).to_have_count(1)

    # -- the console is told over its WebSocket: the offer to kim, without a reload ------
    offer = agent.get_by_test_id("my-list").get_by_test_id("conversation-item")
    try:
        await expect(offer).to_have_count(1)
    except AssertionError as error:
        queued = await agent.get_by_test_id("queued-list").inner_text()
        hub_says = await (await agent.request.get(f"{hub_url}/api/v1/conversations?mine=1")).json()
        states = [(c["state"], c["assigned_agent"]) for c in hub_says["conversations"]]
        raise AssertionError(
            f"the offer never reached kim's list; the console's queued list shows {queued!r}, the hub says "
            f"kim has {states}. If the hub has offered it, a console snapshot was lost (hub/console/routes.py "
            "`_push` drops changes that arrive while a snapshot is being built)."
        ) from error
    await expect(offer).to_have_attribute("data-state", "offered")
    await expect(offer).to_contain_text("웹채팅")
    await expect(offer.get_by_test_id("channel-badge")).to_have_attribute("data-channel", "webchat")
    await expect(offer.get_by_test_id("channel-badge")).to_have_text("웹채팅")
    await offer.get_by_test_id("claim-button").click()
    await expect(agent.get_by_test_id("conversation-view")).to_be_visible()
    await expect(agent.get_by_test_id("conversation-state")).to_have_attribute("data-state", "assigned")
    # The header names the channel; the contact panel lists the citizen's identities.
    await expect(agent.get_by_test_id("conv-channel")).to_have_attribute("data-channel", "webchat")
    await expect(agent.get_by_test_id("conv-channel")).to_have_text("웹채팅")
    identity = agent.get_by_test_id("contact-identities").get_by_test_id("contact-identity")
    await expect(identity).to_have_count(1)
    await expect(identity).to_have_attribute("data-channel", "webchat")
    await expect(identity).to_contain_text("wc-")
    await expect(agent.get_by_test_id("reply-input")).to_be_enabled()
    await expect(offer).to_have_attribute("data-state", "assigned")
    await expect(_console_messages(agent, "citizen").filter(has_text=question)).to_have_count(1)
    await expect(_console_messages(agent, "citizen").filter(has_text=ask)).to_have_count(1)
    await expect(_console_messages(agent, "bot").filter(has_text="따릉이")).to_have_count(1)

    # -- the citizen is told an agent joined ---------------------------------------------
    await expect(citizen.get_by_test_id("chat-status")).to_have_text(texts["widget.agent_joined"])
    await expect(_chat(citizen, "system").filter(has_text="상담사가 연결되었습니다")).to_have_count(1)

    # -- the agent answers from the knowledge base, edits, sends --------------------------
    await agent.get_by_test_id("kb-search-input").fill("따릉이 대여")
    await agent.get_by_test_id("kb-search-button").click()
    results = agent.get_by_test_id("kb-result")
    await expect(results.first).to_be_visible()
    await expect(results.first).to_contain_text("따릉이")
    await agent.get_by_test_id("kb-insert-button").click()
    reply_input = agent.get_by_test_id("reply-input")
    await expect(reply_input).to_have_value(re.compile("따릉이"))
    article = (await reply_input.input_value()).strip()
    greeting = "안녕하세요, 상담사 김민지입니다. 문의하신 따릉이 대여 방법 안내드립니다."
    await reply_input.fill(f"{greeting}\n\n{article}")
    # No SMS counter on a web chat.
    await agent.wait_for_timeout(400)
    await expect(agent.get_by_test_id("sms-segments")).to_be_hidden()
    await agent.get_by_test_id("reply-send").click()
    await expect(reply_input).to_have_value("")
    sent = _console_messages(agent, "agent").filter(has_text=greeting)
    await expect(sent).to_have_count(1)

    # -- the citizen reads the agent's reply ----------------------------------------------
    agent_reply = _chat(citizen, "agent").filter(has_text=greeting)
    await expect(agent_reply).to_have_count(1)
    await expect(agent_reply).to_contain_text(article.splitlines()[-1])
    await expect(agent_reply.locator(".who")).to_have_text("상담사")
    shots.mkdir(parents=True, exist_ok=True)
    await citizen.get_by_test_id("chat-panel").screenshot(path=str(shots / "widget-agent-reply.png"))
    await expect(_chat(citizen, "bot").locator(".who")).to_have_count(0)
    # The widget was open, so the console reports the reply delivered.
    await expect(sent).to_have_attribute("data-status", "delivered")
    await expect(sent.get_by_test_id("message-status")).to_have_text("전달됨")

    # -- a citizen's markup stays text everywhere -----------------------------------------
    await _citizen_says(citizen, XSS)
    hostile = _console_messages(agent, "citizen").filter(has_text="<script>")
    await expect(hostile).to_have_count(1)
    await expect(hostile.locator(".message-text")).to_have_text(XSS)
    await expect(agent.get_by_test_id("message-list").locator("script, img")).to_have_count(0)
    await expect(citizen.get_by_test_id("chat-messages").locator("script, img")).to_have_count(0)
    await expect(_chat(citizen, "citizen").filter(has_text="<script>").locator(".bubble")).to_have_text(XSS)
    for page in (agent, citizen):
        assert await page.evaluate("typeof window.__xss") == "undefined"
    assert watch.problems == []

    # -- a reload restores the conversation in the widget --------------------------------
    await citizen.reload()
    if await citizen.get_by_test_id("chat-panel").is_hidden():
        await citizen.get_by_test_id("chat-launcher").click()
    await expect(citizen.get_by_test_id("chat-panel")).to_be_visible()
    for text in (question, ask, XSS):
        await expect(_chat(citizen, "citizen").filter(has_text=text)).to_have_count(1)
    await expect(_chat(citizen, "bot").filter(has_text="따릉이")).to_have_count(1)
    await expect(_chat(citizen, "agent").filter(has_text=greeting)).to_have_count(1)
    await expect(citizen.get_by_test_id("chat-status")).to_have_text(texts["widget.agent_joined"])
    assert await citizen.evaluate("typeof window.__xss") == "undefined"

    # -- the agent resolves; the citizen sees the close -----------------------------------
    await expect(citizen.get_by_test_id("chat-end")).to_be_visible()
    await agent.get_by_test_id("disposition-select").select_option("resolved")
    await agent.get_by_test_id("resolve-button").click()
    await expect(agent.get_by_test_id("conversation-state")).to_have_attribute("data-state", "resolved")
    await expect(agent.get_by_test_id("my-list")).to_contain_text("배정된 상담이 없습니다")
    # A resolved conversation is read-only in the console.
    for control in (
        "reply-input",
        "reply-send",
        "transfer-queue-select",
        "transfer-agent-input",
        "transfer-button",
        "disposition-select",
        "resolve-button",
    ):
        await expect(agent.get_by_test_id(control)).to_be_disabled()
    # The hub's closing message says it once; the status line does not repeat it, and there
    # is nothing left to end.
    await expect(_chat(citizen, "system").last).to_contain_text("상담이 종료되었습니다")
    await expect(_chat(citizen, "system").filter(has_text="상담이 종료되었습니다")).to_have_count(1)
    await expect(citizen.get_by_test_id("chat-status")).to_be_hidden()
    await expect(citizen.get_by_test_id("chat-end")).to_be_hidden()

    shots.mkdir(parents=True, exist_ok=True)
    await agent.screenshot(path=str(shots / "console.png"), full_page=True)
    await citizen.screenshot(path=str(shots / "widget.png"))

    # -- the supervisor sees today's first-contact resolution ----------------------------
    supervisor_context, supervisor = await _person(browser, watch, "supervisor")
    await console_login(supervisor, hub_url, "jung")
    await expect(supervisor.get_by_test_id("supervisor-view")).to_be_visible()
    await expect(supervisor.get_by_test_id("sup-resolved")).to_have_text("1건")
    await expect(supervisor.get_by_test_id("sup-fcr")).to_have_text("100%")
    await supervisor.screenshot(path=str(shots / "supervisor.png"), full_page=True)

    for page in (agent, citizen, supervisor):
        assert await page.evaluate("typeof window.__xss") == "undefined"
    assert watch.problems == []
    for context in (agent_context, citizen_context, supervisor_context):
        await context.close()


# ---------------------------------------------------------------------------------------------
# Channels, delivery statuses, attachments, the SMS counter and contact linking.

HOSTILE_ID = '<img src=x onerror="window.__xss=4">'
HOSTILE_TYPE = 'image/png"><img src=x onerror="window.__xss=5">'
HOSTILE_LATITUDE = '37.5"><script>window.__xss=6</script>'


def _api_message(url: str, sender: str, text: str) -> dict[str, object]:
    """A citizen writing through the generic API channel, with the key the tests' hubs are given."""
    body = json.dumps({"sender": sender, "text": text, "message_id": f"{sender}-{time.monotonic_ns()}"}).encode()
    request = urllib.request.Request(
        f"{url}/api/v1/channels/api/messages",
        data=body,
        headers={"Content-Type": "application/json", **API_CHANNEL_AUTH},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


class AgentApi(StaffApi):
    """An agent's own REST session, with what the channel stories ask of it."""

    async def conversation(self, channel: str, external_id: str, states: tuple[str, ...]) -> dict[str, Any]:
        """The conversation of a channel identity, once it is in one of `states`."""

        async def found() -> dict[str, Any] | None:
            for conversation in (await self.call("GET", "/api/v1/conversations"))["conversations"]:
                identities = conversation["contact"]["identities"]
                if (
                    conversation["channel"] == channel
                    and {"channel": channel, "external_id": external_id} in identities
                ):
                    return conversation if conversation["state"] in states else None
            return None

        return await wait_for(found, 10, failure=f"no {channel} conversation of {external_id!r} in {states}")

    async def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        return (await self.call("GET", f"/api/v1/conversations/{conversation_id}/messages"))["messages"]

    async def reply(self, conversation_id: str, text: str) -> dict[str, Any]:
        return await self.call("POST", f"/api/v1/conversations/{conversation_id}/messages", {"text": text})

    async def once(self, message: dict[str, Any], status: str, with_error: bool = False) -> dict[str, Any]:
        """The message once it has `status` (and, with `with_error`, a reason from the provider)."""

        async def reached() -> dict[str, Any] | None:
            for stored in await self.messages(message["conversation_id"]):
                if stored["id"] == message["id"] and stored["status"] == status and bool(stored["error"]) == with_error:
                    return stored
            return None

        return await wait_for(
            reached, 10, failure=f"message {message['id']} ({message['text']!r}) never became {status}"
        )


async def _citizen_texts(http: aiohttp.ClientSession, hub: ProviderHub, body: str, **details: Any) -> None:
    """An SMS or MMS from the citizen's phone, posted and signed as Twilio does."""
    form, headers = signed_inbound(hub.url + SMS_PATH, CITIZEN_PHONE, body, **details)
    async with http.post(hub.url + SMS_PATH, data=form, headers=headers) as response:
        assert response.status == 200, await response.text()


async def _citizen_on_telegram(http: aiohttp.ClientSession, hub: ProviderHub, **fields: Any) -> None:
    """A message in the citizen's private chat with the city's bot, as Telegram's webhook posts it."""
    update = hub.telegram.message_update(TELEGRAM_CHAT, **fields)
    headers = {TELEGRAM_SECRET_HEADER: TELEGRAM_SECRET}
    async with http.post(hub.url + TELEGRAM_WEBHOOK_PATH, json=update, headers=headers) as response:
        assert response.status == 200, await response.text()


async def _sent_by_twilio(api: AgentApi, twilio: TwilioStandIn, reply: dict[str, Any]) -> SentMessage:
    """What Twilio took for a reply, once the hub has recorded it as sent."""
    await api.once(reply, "sent")
    return next(sent for sent in twilio.messages if sent.body == reply["text"])


async def _until(page: Page, condition: Callable[[], bool], failure: str) -> None:
    """Wait (on the page's clock) until a condition on what the test recorded holds."""
    for _ in range(TIMEOUT_MS // 50):
        if condition():
            return
        await page.wait_for_timeout(50)
    raise AssertionError(failure)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_channels_statuses_sms_counter_and_contact_links(
    provider_hub: ProviderHub, browser: Browser, http: aiohttp.ClientSession, shots: Path
) -> None:
    hub_url, twilio = provider_hub.url, provider_hub.twilio
    watch = PageWatch()
    texts = _texts(hub_url)
    agent_context, agent = await _person(browser, watch, "agent")
    await console_login(agent, hub_url, "kim")
    kim = await AgentApi.login(http, hub_url, "kim")  # replies to the citizen through the REST API

    # -- earlier, on KakaoTalk (its user id is markup): kim's answer is held, then resolved --
    skill = KakaoStandin(KAKAO_BOT_ID).skill_payload("상담사 연결", HOSTILE_ID)
    async with http.post(f"{hub_url}/webhooks/kakao/skill/{KAKAO_SKILL_TOKEN}", json=skill) as response:
        assert response.status == 200, await response.text()
    kakao = await kim.conversation("kakao", HOSTILE_ID, ("queued", "offered"))
    await kim.call("POST", f"/api/v1/conversations/{kakao['id']}/claim")
    held = await kim.once(await kim.reply(kakao["id"], "카카오톡으로 안내드립니다."), "held")
    await kim.call("POST", f"/api/v1/conversations/{kakao['id']}/resolve", {"disposition": "resolved"})

    # -- now by SMS: a photo and a hostile media item, then a person is asked for -----------
    photo = f"https://api.twilio.com/2010-04-01/Accounts/{twilio.account_sid}/Messages/MM1/Media/ME1"
    report = "수도관이 터져서 물이 새요. 사진이랑 위치 보냅니다."
    await _citizen_texts(
        http, provider_hub, report, media=[(photo, "image/jpeg"), ("javascript:window.__xss=3", HOSTILE_TYPE)]
    )
    await _citizen_texts(http, provider_hub, "상담사 연결")
    sms = await kim.conversation("sms", CITIZEN_PHONE, ("queued", "offered"))
    sms_id, sms_contact = sms["id"], sms["contact"]["id"]
    await kim.call("POST", f"/api/v1/conversations/{sms_id}/claim")
    mms = next(m for m in await kim.messages(sms_id) if m["text"] == report)

    # Each delivery status the way Twilio produces it, one reply at a time.
    delivered = await kim.reply(sms_id, "접수했습니다. 수도사업소에 바로 전달하겠습니다.")
    assert (await twilio.send_status(await _sent_by_twilio(kim, twilio, delivered), "delivered")).status == 200
    sent = await kim.reply(sms_id, "현장 출동을 요청했습니다.")
    await _sent_by_twilio(kim, twilio, sent)
    undelivered = await kim.reply(sms_id, "다시 연락드리겠습니다.")
    report_back = await _sent_by_twilio(kim, twilio, undelivered)
    assert (await twilio.send_status(report_back, "undelivered", "30005")).status == 200
    twilio.fail_next(400, code=21610, message="Attempt to send to unsubscribed recipient")  # Twilio refuses for good
    failed = await kim.once(await kim.reply(sms_id, "처리 결과를 알려드립니다."), "failed", with_error=True)
    twilio.fail_next(503, times=1000)  # an outage: the outbox retries, the reply behind it waits its turn
    retrying = await kim.once(await kim.reply(sms_id, "조금만 기다려 주세요."), "queued", with_error=True)
    waiting = await kim.reply(sms_id, "감사합니다.")
    delivered = await kim.once(delivered, "delivered")
    undelivered = await kim.once(undelivered, "undelivered", with_error=True)
    assert "30005" in undelivered["error"], undelivered
    assert "21610" in failed["error"] and "unsubscribed" in failed["error"], failed
    assert "503" in retrying["error"], retrying

    # -- the same citizen on Telegram: two locations, then their own number, which links them --
    await _citizen_on_telegram(http, provider_hub, location={"latitude": 37.5663, "longitude": 126.9779})
    await _citizen_on_telegram(http, provider_hub, location={"latitude": HOSTILE_LATITUDE, "longitude": 200})
    own_number = {"phone_number": CITIZEN_PHONE.removeprefix("+"), "first_name": "Citizen", "user_id": TELEGRAM_CHAT}
    await _citizen_on_telegram(http, provider_hub, contact=own_number)
    # Handed to a queue of kim's: an agent reads no conversation the bot still holds.
    await _citizen_on_telegram(http, provider_hub, text="상담사 연결")
    telegram = await kim.conversation("telegram", str(TELEGRAM_CHAT), ("bot", "queued", "offered", "assigned"))
    assert telegram["contact"]["id"] == sms_contact, "the verified number did not link Telegram to the SMS contact"
    places = [m for m in await kim.messages(telegram["id"]) if any(a["kind"] == "location" for a in m["attachments"])]
    assert len(places) == 2, places
    # ... and kim sees that the Kakao user is this citizen as well.
    linked = await kim.call("POST", f"/api/v1/contacts/{sms_contact}/link", {"contact_id": kakao["contact"]["id"]})
    assert len(linked["identities"]) == 3, linked

    # -- the SMS conversation in the console ---------------------------------------------
    view = agent.get_by_test_id("conversation-view")
    await agent.get_by_test_id("my-list").locator(f"[data-conversation-id='{sms_id}']").click()
    await expect(view).to_have_attribute("data-conversation-id", sms_id)
    await expect(agent.get_by_test_id("conv-channel")).to_have_text("문자")
    await expect(agent.get_by_test_id("conv-channel")).to_have_attribute("data-channel", "sms")
    identities = agent.get_by_test_id("contact-identity")
    await expect(identities).to_have_count(3)
    by_sms = agent.locator("[data-testid=contact-identity][data-channel=sms]")
    await expect(by_sms).to_contain_text("문자")
    await expect(by_sms.locator(".identity-id")).to_have_text(CITIZEN_PHONE)
    by_telegram = agent.locator("[data-testid=contact-identity][data-channel=telegram]")
    await expect(by_telegram).to_contain_text("텔레그램")
    await expect(by_telegram.locator(".identity-id")).to_have_text(str(TELEGRAM_CHAT))
    by_kakao = agent.locator("[data-testid=contact-identity][data-channel=kakao]")
    await expect(by_kakao).to_contain_text("카카오톡")
    await expect(by_kakao.locator(".identity-id")).to_have_text(HOSTILE_ID)
    await expect(agent.get_by_test_id("contact-id")).to_have_text(sms_contact)

    # Delivery statuses in words, with the provider's reason where there is one.
    def status_of(message: dict[str, Any]) -> Locator:
        return view.locator(f"[data-testid=message][data-message-id='{message['id']}']").get_by_test_id(
            "message-status"
        )

    statuses = {
        "전달됨": delivered,
        "전송됨": sent,
        f"재전송 대기: {retrying['error']}": retrying,
        f"미전달: {undelivered['error']}": undelivered,
        f"실패: {failed['error']}": failed,
        "전송 대기": waiting,
    }
    for text, message in statuses.items():
        await expect(status_of(message)).to_have_text(text)
    warn_colour = await status_of(retrying).evaluate("node => getComputedStyle(node).color")
    error_colour = await status_of(failed).evaluate("node => getComputedStyle(node).color")
    plain_colour = await status_of(waiting).evaluate("node => getComputedStyle(node).color")
    assert len({warn_colour, error_colour, plain_colour}) == 3, (warn_colour, error_colour, plain_colour)

    # Attachments: links (never loaded images), and only http(s) ones.
    attachments = view.locator(f"[data-message-id='{mms['id']}']").get_by_test_id("attachment")
    await expect(attachments).to_have_count(2)
    link = attachments.nth(0).locator("a")
    await expect(link).to_have_text("사진 image/jpeg")
    await expect(link).to_have_attribute("href", photo)
    await expect(link).to_have_attribute("target", "_blank")
    await expect(link).to_have_attribute("rel", "noopener noreferrer")
    await expect(attachments.nth(1).locator("a")).to_have_count(0)
    await expect(attachments.nth(1)).to_contain_text('image/png"><img')
    await expect(view.locator("img, script")).to_have_count(0)

    # The history shows each earlier conversation with its channel.
    await agent.locator("#history > summary").click()
    await expect(agent.locator("#history-count")).to_have_text("(2건)")
    earlier = agent.get_by_test_id("history-list")
    await expect(
        earlier.locator(f"[data-conversation-id='{kakao['id']}']").get_by_test_id("channel-badge")
    ).to_have_text("카카오톡")
    await expect(
        earlier.locator(f"[data-conversation-id='{telegram['id']}']").get_by_test_id("channel-badge")
    ).to_have_text("텔레그램")

    # -- the SMS counter: quiet while the hub has none (a hub from before the counter: the one
    #    answer in this test that does not come from the hub) --------------------------------
    counted: list[tuple[str, str | None]] = []

    async def no_counter(route):  # type: ignore[no-untyped-def]
        counted.append((route.request.post_data_json["text"], route.request.headers.get("x-requested-with")))
        await route.fulfill(status=404, json={"error": {"code": "not_found", "message": "No such endpoint."}})

    await agent.route("**/api/v1/sms/segments", no_counter)
    reply_input = agent.get_by_test_id("reply-input")
    counter = agent.get_by_test_id("sms-segments")
    await reply_input.fill("안녕하세요")
    await _until(agent, lambda: len(counted) >= 1, "the console never asked for an SMS count")
    assert counted[0] == ("안녕하세요", "dasan-console")
    await agent.wait_for_timeout(300)
    await expect(counter).to_be_hidden()
    await expect(agent.get_by_test_id("reply-send")).to_be_enabled()

    # ... and counting with the hub's own counter (debounced: one request for a burst of typing).
    await agent.unroute("**/api/v1/sms/segments")
    answered: list[str] = []

    async def real_counter(route):  # type: ignore[no-untyped-def]
        answered.append(route.request.post_data_json["text"])
        await route.continue_()

    await agent.route("**/api/v1/sms/segments", real_counter)
    await agent.get_by_test_id("my-list").locator(f"[data-conversation-id='{sms_id}']").click()
    await expect(reply_input).to_have_value("안녕하세요")  # the draft came back
    await expect(counter).to_have_text("문자 1건 · UCS-2 · 5자")
    answered.clear()
    await reply_input.press_sequentially("Hi there", delay=20)
    await expect(counter).to_have_text("문자 1건 · UCS-2 · 13자")
    assert len(answered) <= 2, answered
    await reply_input.fill("Hello from Dasan 120")
    await expect(counter).to_have_text("문자 1건 · GSM-7 · 20자")
    await reply_input.fill("a" * 1601)
    await expect(counter).to_contain_text("문자 11건 · GSM-7 · 1601자")
    await expect(counter).to_have_attribute("data-over", "true")
    await expect(agent.get_by_test_id("reply-send")).to_be_disabled()
    await reply_input.fill("수도사업소에서 곧 연락드립니다.")
    await expect(counter).to_have_text("문자 1건 · UCS-2 · 17자")
    await expect(agent.get_by_test_id("reply-send")).to_be_enabled()

    shots.mkdir(parents=True, exist_ok=True)
    await agent.screenshot(path=str(shots / "console-sms.png"), full_page=True)
    await agent.get_by_test_id("message-list").evaluate("list => { list.scrollTop = 0; }")
    await agent.get_by_test_id("message-list").screenshot(path=str(shots / "console-sms-messages.png"))

    # -- the Telegram conversation: coordinates become a map link only when they are numbers --
    await agent.evaluate(f"openConversation({json.dumps(telegram['id'])})")
    await expect(view).to_have_attribute("data-conversation-id", telegram["id"])
    await expect(agent.get_by_test_id("conv-channel")).to_have_text("텔레그램")
    await expect(agent.get_by_test_id("sms-segments")).to_be_hidden()
    place, hostile_place = (view.locator(f"[data-message-id='{m['id']}']").get_by_test_id("attachment") for m in places)
    await expect(place).to_contain_text("위치: 37.5663, 126.9779")
    await expect(place.locator("a")).to_have_attribute("href", "https://map.kakao.com/link/map/37.5663,126.9779")
    await expect(hostile_place).to_have_text("위치: 좌표를 읽을 수 없습니다")
    await expect(hostile_place.locator("a")).to_have_count(0)
    await expect(view.locator("img, script")).to_have_count(0)

    # -- the earlier KakaoTalk conversation: kim's answer waits for the citizen's next message --
    await agent.evaluate(f"openConversation({json.dumps(kakao['id'])})")
    await expect(view).to_have_attribute("data-conversation-id", kakao["id"])
    await expect(agent.get_by_test_id("conv-channel")).to_have_text("카카오톡")
    await expect(status_of(held)).to_have_text("보류 – 시민의 다음 메시지 때 전달")
    await expect(view.locator("img, script")).to_have_count(0)

    # -- two citizens through the API channel turn out to be one: the agent links them -------
    first = _api_message(hub_url, "api-citizen-1", "상담사 연결")
    second = _api_message(hub_url, "api-citizen-2", "상담사 연결")
    first_id, second_id = str(first["conversation_id"]), str(second["conversation_id"])
    second_contact = (await (await agent.request.get(f"{hub_url}/api/v1/conversations/{second_id}")).json())["contact"]
    item = agent.locator(f"[data-testid=conversation-item][data-conversation-id='{first_id}']")
    await expect(item.get_by_test_id("channel-badge")).to_have_text("API")
    await item.click()
    await expect(view).to_have_attribute("data-conversation-id", first_id)
    await expect(agent.get_by_test_id("conv-channel")).to_have_text("API")
    await expect(agent.get_by_test_id("sms-segments")).to_be_hidden()
    await expect(agent.get_by_test_id("contact-identity")).to_have_count(1)
    await expect(agent.locator("#history-count")).to_have_text("(0건)")
    # The other contact is one click away (seen in the queue); typing its id works as well.
    candidate = agent.locator(f"[data-testid=link-contact-candidate][data-contact-id='{second_contact['id']}']")
    await candidate.click()
    await expect(agent.get_by_test_id("link-contact-input")).to_have_value(second_contact["id"])
    await agent.get_by_test_id("link-contact-button").click()
    await expect(agent.get_by_test_id("contact-identity")).to_have_count(2)
    await expect(agent.get_by_test_id("link-contact-input")).to_have_value("")
    linked = agent.get_by_test_id("history-list").locator(f"[data-conversation-id='{second_id}']")
    await expect(linked).to_be_visible()
    await expect(linked.get_by_test_id("channel-badge")).to_have_text("API")
    await expect(agent.locator("#history-count")).to_have_text("(1건)")
    await expect(candidate).to_have_count(0)

    # -- a citizen who ends the web chat themselves reads "ended" once, and no end button -----
    citizen_context, citizen = await _person(browser, watch, "citizen")
    await citizen.goto(f"{hub_url}/webchat/")
    await citizen.get_by_test_id("chat-launcher").click()
    await expect(citizen.get_by_test_id("chat-end")).to_be_hidden()  # nothing to end yet
    await _citizen_says(citizen, "따릉이 대여 방법 알려주세요")
    await expect(_chat(citizen, "bot").filter(has_text="따릉이")).to_have_count(1)
    await expect(citizen.get_by_test_id("chat-end")).to_be_visible()
    await citizen.get_by_test_id("chat-end").click()
    for _ in range(2):  # as it happens, and after a reload
        await expect(citizen.get_by_test_id("chat-status")).to_have_text(texts["widget.ended"])
        await expect(citizen.get_by_test_id("chat-end")).to_be_hidden()
        await expect(citizen.get_by_test_id("chat-messages")).not_to_contain_text(texts["widget.ended"])
        await citizen.reload()
        if await citizen.get_by_test_id("chat-panel").is_hidden():
            await citizen.get_by_test_id("chat-launcher").click()
        await expect(_chat(citizen, "bot").filter(has_text="따릉이")).to_have_count(1)

    for page in (agent, citizen):
        assert await page.evaluate("typeof window.__xss") == "undefined"
    assert watch.problems == []
    for context in (agent_context, citizen_context):
        await context.close()


# ---------------------------------------------------------------------------------------------
# A Vietnamese citizen and a Korean agent, through machine translation.


@pytest.fixture
async def translating_hub(tmp_path: Path, repo_root: Path) -> AsyncIterator[tuple[str, LibreTranslateStandIn]]:
    """`dasan serve` with a LibreTranslate (the stand-in) and no wait before any agent may
    take a foreign-language conversation."""
    async with LibreTranslateStandIn() as libre:
        env = {
            "DASAN_LIBRETRANSLATE_URL": libre.base_url,
            "DASAN_LIBRETRANSLATE_KEY": LIBRE_KEY,
            "DASAN_FOREIGN_OVERFLOW_SECONDS": "0",
        }
        async with serving(tmp_path, repo_root, env) as url:
            yield url, libre


async def test_a_vietnamese_citizen_and_a_korean_agent_through_translation(
    translating_hub: tuple[str, LibreTranslateStandIn], browser: Browser, shots: Path
) -> None:
    hub_url, libre = translating_hub
    watch = PageWatch()
    with urllib.request.urlopen(f"{hub_url}/webchat/i18n/vi.json", timeout=5) as response:
        vietnamese = json.load(response)

    agent_context, agent = await _person(browser, watch, "agent")
    await console_login(agent, hub_url, "kim")  # Korean only, no foreign_language skill
    await agent.get_by_test_id("presence-select").select_option("available")

    # -- the citizen picks Vietnamese in the widget and writes ---------------------------
    citizen_context, citizen = await _person(browser, watch, "citizen")
    await citizen.goto(f"{hub_url}/webchat/")
    await citizen.get_by_test_id("chat-launcher").click()
    await citizen.get_by_test_id("chat-language").select_option("vi")
    await expect(citizen.get_by_test_id("chat-send")).to_have_text(vietnamese["widget.send"])
    # The built-in bot would answer the question from its Vietnamese article: she asks for a person.
    question = "Xin chào, tôi muốn gặp tư vấn viên về việc thuê xe đạp công cộng"
    await _citizen_says(citizen, question)

    # -- the agent is offered it, takes it, and reads it in Korean ------------------------
    offer = agent.get_by_test_id("my-list").get_by_test_id("conversation-item")
    await expect(offer).to_have_count(1)
    await offer.get_by_test_id("claim-button").click()
    await expect(agent.get_by_test_id("conversation-view")).to_be_visible()
    citizen_message = _console_messages(agent, "citizen").first
    await expect(citizen_message.get_by_test_id("message-translation")).to_have_text(f"[ko] {question}")
    await expect(citizen_message.get_by_test_id("message-original")).to_be_hidden()
    await citizen_message.get_by_test_id("show-original").click()
    await expect(citizen_message.get_by_test_id("message-original")).to_have_text(question)

    # -- the agent writes Korean, previews the Vietnamese, sends it -----------------------
    await expect(agent.get_by_test_id("translate-bar")).to_be_visible()
    await expect(agent.get_by_test_id("translate-toggle")).to_be_checked()
    korean = "따릉이는 앱에서 대여하시면 됩니다"
    await agent.get_by_test_id("reply-input").fill(korean)
    await agent.get_by_test_id("translate-preview-button").click()
    sent_text = "[vi] Ttareungyi는 앱에서 대여하시면 됩니다"  # the glossary kept the name
    await expect(agent.get_by_test_id("translate-preview")).to_have_text(sent_text)
    await agent.get_by_test_id("reply-send").click()
    reply = _console_messages(agent, "agent").last
    await expect(reply.locator(".message-text")).to_have_text(sent_text)
    await expect(reply.get_by_test_id("message-korean")).to_contain_text(korean)

    # -- the citizen receives Vietnamese, and never sees the Korean -----------------------
    await expect(_chat(citizen, "agent").last).to_contain_text(sent_text)
    assert korean not in await citizen.get_by_test_id("chat-messages").inner_text()

    # -- the translator fails: the message still arrives, with the original ---------------
    libre.fail_next(500, times=50)
    await _citizen_says(citizen, "Cảm ơn, tôi hiểu rồi")
    latest = _console_messages(agent, "citizen").last
    await expect(latest.get_by_test_id("translation-unavailable")).to_be_visible(timeout=20_000)
    await expect(latest.locator(".message-text")).to_have_text("Cảm ơn, tôi hiểu rồi")

    shots.mkdir(parents=True, exist_ok=True)
    await agent.screenshot(path=str(shots / "console-translated.png"), full_page=True)
    await citizen.screenshot(path=str(shots / "widget-vi.png"))
    assert watch.problems == []
    for context in (agent_context, citizen_context):
        await context.close()
