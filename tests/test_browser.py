"""The whole story in a real browser: a citizen in the web chat widget, an agent in the console.

The hub runs as it does in production (`dasan serve` in its own process, SQLite file, demo
data); Debian's Chromium is driven through Playwright with one browser context per person.
Screenshots of the end of the story go to $DASAN_BROWSER_SHOTS when set (else the test's tmp_path).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    Dialog,
    Locator,
    Page,
    async_playwright,
    expect,
)

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "dasan120"
SHOTS_ENV = "DASAN_BROWSER_SHOTS"  # a folder for the end-of-story screenshots; else the test's tmp_path
TIMEOUT_MS = 10_000

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'

expect.set_options(timeout=TIMEOUT_MS)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the hub exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the hub did not answer /healthz in {timeout} s:\n{log.read_text(errors='replace')}")


@pytest.fixture
def hub_url(tmp_path: Path, repo_root: Path) -> Iterator[str]:
    """A real `dasan serve` on a free port and an empty SQLite file (demo data loads)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is not installed")
    port = _free_port()
    log = tmp_path / "hub.log"
    env = {**os.environ, "DASAN_OFFER_TIMEOUT_SECONDS": "600", "PYTHONUNBUFFERED": "1"}
    env.pop("DASAN_DATABASE_URL", None)
    dasan = Path(sys.executable).with_name("dasan")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(dasan),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--database",
                f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
            ],
            cwd=repo_root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        # Shown by pytest only when the test fails.
        print(f"---- hub log ({log}) ----", file=sys.stderr)
        print(log.read_text(errors="replace")[-20_000:], file=sys.stderr)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            await chromium.close()


class PageWatch:
    """Fails the test on any dialog (alert from injected script) or uncaught page error."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def watch(self, page: Page, who: str) -> Page:
        async def on_dialog(dialog: Dialog) -> None:
            self.problems.append(f"{who}: unexpected {dialog.type} dialog: {dialog.message!r}")
            await dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: self.problems.append(f"{who}: page error: {error}"))
        return page


async def _person(browser: Browser, watch: PageWatch, who: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(
        locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 1400, "height": 900}
    )
    page = await context.new_page()
    return context, watch.watch(page, who)


async def _console_login(page: Page, url: str, username: str) -> None:
    await page.goto(f"{url}/console/")
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("agent-name")).to_contain_text(f"({username})")
    await expect(page.get_by_test_id("ws-status")).to_have_attribute("data-state", "connected")


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


async def test_citizen_and_agent_story(hub_url: str, browser: Browser, tmp_path: Path) -> None:
    watch = PageWatch()
    shots = Path(os.environ.get(SHOTS_ENV) or tmp_path / "shots")
    texts = _texts(hub_url)
    queue_status = re.compile(re.escape(texts["widget.queue_position"]).replace(re.escape("{position}"), r"\d+"))

    # -- the agent logs in and becomes available -----------------------------------------
    agent_context, agent = await _person(browser, watch, "agent")
    await _console_login(agent, hub_url, "kim")
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
    await _console_login(supervisor, hub_url, "jung")
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

SMS_CONVERSATION = "sms-demo"
SMS_CONTACT = "contact-sms-demo"
HOSTILE_ID = '<img src=x onerror="window.__xss=4">'


def _api_message(url: str, sender: str, text: str) -> dict[str, object]:
    """A citizen writing through the generic API channel (no key configured in tests)."""
    body = json.dumps({"sender": sender, "text": text, "message_id": f"{sender}-{time.monotonic_ns()}"}).encode()
    request = urllib.request.Request(
        f"{url}/api/v1/channels/api/messages", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def _sms_conversation(now: str) -> dict[str, object]:
    return {
        "id": SMS_CONVERSATION,
        "channel": "sms",
        "state": "assigned",
        "language": "ko",
        "category": "water",
        "queue": "water",
        "priority": 0,
        "assigned_agent": "kim",
        "contact": {
            "id": SMS_CONTACT,
            "display_name": "시민 5678",
            "identities": [
                {"channel": "sms", "external_id": "+821012345678"},
                {"channel": "telegram", "external_id": HOSTILE_ID},
            ],
        },
        "created_at": now,
        "queued_at": now,
        "offer_expires_at": None,
        "answered_at": now,
        "first_response_at": now,
        "resolved_at": None,
        "disposition": None,
        "queue_position": None,
        "last_message": None,
    }


def _sms_messages(now: str) -> list[dict[str, object]]:
    def message(number: int, direction: str, author: str, text: str, status: str, **extra: object) -> dict[str, object]:
        return {
            "id": str(number),
            "conversation_id": SMS_CONVERSATION,
            "direction": direction,
            "author": author,
            "agent": "kim" if author == "agent" else None,
            "text": text,
            "language": "ko",
            "translation": None,
            "created_at": now,
            "status": status,
            "actions": [],
            "attachments": [],
            "error": None,
            **extra,
        }

    return [
        message(
            1,
            "in",
            "citizen",
            "수도관이 터져서 물이 새요. 사진이랑 위치 보냅니다.",
            "received",
            attachments=[
                {
                    "kind": "image",
                    "url": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
                    "content_type": "image/jpeg",
                    "data": {},
                },
                {
                    "kind": "image",
                    "url": "javascript:window.__xss=3",
                    "content_type": 'image/png"><img src=x onerror="window.__xss=5">',
                    "data": {},
                },
                {
                    "kind": "location",
                    "url": None,
                    "content_type": None,
                    "data": {"latitude": 37.5663, "longitude": 126.9779},
                },
                {
                    "kind": "location",
                    "url": None,
                    "content_type": None,
                    "data": {"latitude": '37.5"><script>window.__xss=6</script>', "longitude": 200},
                },
            ],
        ),
        message(2, "out", "agent", "접수했습니다. 수도사업소에 바로 전달하겠습니다.", "delivered"),
        message(3, "out", "agent", "현장 출동을 요청했습니다.", "sent"),
        message(4, "out", "agent", "조금만 기다려 주세요.", "queued", error="Twilio 503: Service Unavailable"),
        message(5, "out", "agent", "카카오톡으로 안내드립니다.", "held"),
        message(6, "out", "agent", "다시 연락드리겠습니다.", "undelivered", error="30005 Unknown destination handset"),
        message(7, "out", "agent", "처리 결과를 알려드립니다.", "failed", error="21610 수신 거부된 번호"),
        message(8, "out", "agent", "감사합니다.", "queued"),
    ]


async def _until(page: Page, condition: Callable[[], bool], failure: str) -> None:
    """Wait (on the page's clock) until a condition on what the test recorded holds."""
    for _ in range(TIMEOUT_MS // 50):
        if condition():
            return
        await page.wait_for_timeout(50)
    raise AssertionError(failure)


async def test_channels_statuses_sms_counter_and_contact_links(hub_url: str, browser: Browser, tmp_path: Path) -> None:
    watch = PageWatch()
    shots = Path(os.environ.get(SHOTS_ENV) or tmp_path / "shots")
    texts = _texts(hub_url)
    agent_context, agent = await _person(browser, watch, "agent")
    await _console_login(agent, hub_url, "kim")

    # -- an SMS conversation as the hub will serve it (the SMS channel needs Twilio, so the
    #    console's reads of this one conversation are answered here) -----------------------
    now = "2025-03-14T10:20:00+09:00"
    conversation, messages = _sms_conversation(now), _sms_messages(now)
    earlier = {
        **conversation,
        "id": "kakao-earlier",
        "channel": "kakao",
        "state": "resolved",
        "disposition": "resolved",
        "created_at": "2025-03-01T09:00:00+09:00",
        "messages": [],
    }

    async def serve_conversation(route):  # type: ignore[no-untyped-def]
        path = route.request.url.split("?")[0]
        if path.endswith("/messages"):
            await route.fulfill(json={"messages": messages})
        elif path.endswith("/events"):
            await route.fulfill(json={"events": []})
        else:
            await route.fulfill(json=conversation)

    await agent.route(re.compile(rf"/api/v1/conversations/{SMS_CONVERSATION}(/messages|/events)?$"), serve_conversation)
    await agent.route(
        re.compile(rf"/api/v1/contacts/{SMS_CONTACT}/history$"),
        lambda route: route.fulfill(json={"conversations": [{**conversation, "messages": messages}, earlier]}),
    )
    counted: list[tuple[str, str | None]] = []

    async def no_counter(route):  # type: ignore[no-untyped-def]
        counted.append((route.request.post_data_json["text"], route.request.headers.get("x-requested-with")))
        await route.fulfill(status=404, json={"error": {"code": "not_found", "message": "No such endpoint."}})

    await agent.route("**/api/v1/sms/segments", no_counter)
    await agent.evaluate(f"openConversation({json.dumps(SMS_CONVERSATION)})")

    view = agent.get_by_test_id("conversation-view")
    await expect(agent.get_by_test_id("conv-channel")).to_have_text("문자")
    await expect(agent.get_by_test_id("conv-channel")).to_have_attribute("data-channel", "sms")
    identities = agent.get_by_test_id("contact-identity")
    await expect(identities).to_have_count(2)
    await expect(identities.nth(0)).to_contain_text("문자")
    await expect(identities.nth(0)).to_contain_text("+821012345678")
    await expect(identities.nth(1)).to_contain_text("텔레그램")
    await expect(identities.nth(1).locator(".identity-id")).to_have_text(HOSTILE_ID)
    await expect(agent.get_by_test_id("contact-id")).to_have_text(SMS_CONTACT)

    # Delivery statuses in words, with the provider's reason where there is one.
    statuses = {
        "2": "전달됨",
        "3": "전송됨",
        "4": "재전송 대기: Twilio 503: Service Unavailable",
        "5": "보류 – 시민의 다음 메시지 때 전달",
        "6": "미전달: 30005 Unknown destination handset",
        "7": "실패: 21610 수신 거부된 번호",
        "8": "전송 대기",
    }
    for message_id, text in statuses.items():
        status = view.locator(f"[data-testid=message][data-message-id='{message_id}']").get_by_test_id("message-status")
        await expect(status).to_have_text(text)
    retrying = view.locator("[data-message-id='4']").get_by_test_id("message-status")
    failed = view.locator("[data-message-id='7']").get_by_test_id("message-status")
    warn_colour = await retrying.evaluate("node => getComputedStyle(node).color")
    error_colour = await failed.evaluate("node => getComputedStyle(node).color")
    plain_colour = (
        await view.locator("[data-message-id='8']")
        .get_by_test_id("message-status")
        .evaluate("node => getComputedStyle(node).color")
    )
    assert len({warn_colour, error_colour, plain_colour}) == 3, (warn_colour, error_colour, plain_colour)

    # Attachments: links (never loaded images), only http(s), coordinates only when numbers.
    attachments = view.locator("[data-message-id='1']").get_by_test_id("attachment")
    await expect(attachments).to_have_count(4)
    photo = attachments.nth(0).locator("a")
    await expect(photo).to_have_text("사진 image/jpeg")
    await expect(photo).to_have_attribute(
        "href", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
    )
    await expect(photo).to_have_attribute("target", "_blank")
    await expect(photo).to_have_attribute("rel", "noopener noreferrer")
    await expect(attachments.nth(1).locator("a")).to_have_count(0)
    await expect(attachments.nth(1)).to_contain_text('image/png"><img')
    await expect(attachments.nth(2)).to_contain_text("위치: 37.5663, 126.9779")
    await expect(attachments.nth(2).locator("a")).to_have_attribute(
        "href", "https://map.kakao.com/link/map/37.5663,126.9779"
    )
    await expect(attachments.nth(3).locator("a")).to_have_count(0)
    await expect(view.locator("img, script")).to_have_count(0)

    # The history shows each earlier conversation with its channel.
    await agent.locator("#history > summary").click()
    earlier_item = agent.get_by_test_id("history-list").locator("[data-conversation-id='kakao-earlier']")
    await expect(earlier_item.get_by_test_id("channel-badge")).to_have_text("카카오톡")

    # -- the SMS counter: quiet while the hub has none ---------------------------------------
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
    await agent.evaluate(f"openConversation({json.dumps(SMS_CONVERSATION)})")
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
