"""The deaf citizen's sign-language video page (`/video/`) and the web chat's video button, in a
real browser against a real hub.

Chromium gets a fake camera and microphone (`--use-fake-device-for-media-stream`) and grants
them without asking (`--use-fake-ui-for-media-stream`); the camera-denied test runs a browser
without that grant. The hub is a real `dasan serve` on SQLite with the demo agents, none of them
available, so a call waits in the `sign_language` queue.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, WebSocketRoute, async_playwright, expect

from tests.browsers import CHROMIUM, CHROMIUM_ARGS, PASSWORD, PageWatch, console_login, serious_violations
from tests.conftest import wait_for

pytestmark = pytest.mark.browser

LANGUAGES = ["ko", "en", "zh", "ja", "vi", "mn"]
FAKE_MEDIA = ["--use-fake-device-for-media-stream"]
GRANT_MEDIA = ["--use-fake-ui-for-media-stream"]
SUPERVISOR = "jung"
ADDRESS = "서울특별시 중구 세종대로 110"

# The interpreter's picture has arrived and is playing (frames decoded, not just a black box).
REMOTE_PLAYS = """() => {
  const video = document.querySelector("[data-testid=video-remote]");
  return !video.paused && video.videoWidth > 0 && video.getVideoPlaybackQuality().totalVideoFrames > 0;
}"""

expect.set_options(timeout=15_000)


async def _chromium(*extra: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *FAKE_MEDIA, *extra], headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A camera and microphone the page may use."""
    async for launched in _chromium(*GRANT_MEDIA):
        yield launched


@pytest.fixture
async def browser_asking() -> AsyncIterator[Browser]:
    """A camera and microphone behind the browser's permission prompt."""
    async for launched in _chromium():
        yield launched


async def _citizen(browser: Browser, watch: PageWatch, locale: str = "ko-KR") -> tuple[BrowserContext, Page]:
    context = await browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
    return context, watch.watch(await context.new_page(), "citizen")


def _texts(hub_url: str, language: str) -> dict[str, str]:
    with urllib.request.urlopen(f"{hub_url}/video/i18n/{language}.json", timeout=5) as response:
        return json.load(response)


async def _camera_ready(page: Page, texts: dict[str, str]) -> None:
    await expect(page.get_by_test_id("video-status")).to_have_text(texts["video.ready"])
    await expect(page.get_by_test_id("video-connect")).to_be_enabled()


async def _supervisor(page: Page, hub_url: str) -> dict[str, str]:
    response = await page.request.post(
        f"{hub_url}/api/v1/auth/login", data={"username": SUPERVISOR, "password": PASSWORD}
    )
    assert response.ok, await response.text()
    return {"Authorization": f"Bearer {(await response.json())['token']}"}


async def _conversation(page: Page, hub_url: str, headers: dict[str, str], conversation_id: str) -> dict[str, Any]:
    response = await page.request.get(f"{hub_url}/api/v1/conversations/{conversation_id}", headers=headers)
    assert response.ok, await response.text()
    return await response.json()


def _queue_pattern(texts: dict[str, str], position: int) -> re.Pattern[str]:
    template = re.escape(texts["video.queue_position"])
    return re.compile(template.replace(re.escape("{position}"), str(position)).replace(re.escape("{minutes}"), r"\d+"))


async def test_the_page_speaks_each_of_the_six_languages(hub_url: str, browser: Browser) -> None:
    watch = PageWatch()
    context, page = await _citizen(browser, watch)
    connect_texts = set()
    for language in LANGUAGES:
        texts = _texts(hub_url, language)
        await page.goto(f"{hub_url}/video/?lang={language}")
        await expect(page.locator("html")).to_have_attribute("lang", language)
        await expect(page).to_have_title(texts["video.title"])
        await expect(page.get_by_test_id("video-connect")).to_have_text(texts["video.connect"])
        await expect(page.get_by_test_id("video-language")).to_have_value(language)
        await expect(page.get_by_label(texts["video.consent"])).not_to_be_checked()
        await _camera_ready(page, texts)
        connect_texts.add(texts["video.connect"])
    assert len(connect_texts) == len(LANGUAGES)

    # The picker switches the page at once, and a reload keeps the choice.
    english, mongolian = _texts(hub_url, "en"), _texts(hub_url, "mn")
    await page.goto(f"{hub_url}/video/?lang=en")
    await _camera_ready(page, english)
    await page.get_by_test_id("video-language").select_option("mn")
    await expect(page.locator("html")).to_have_attribute("lang", "mn")
    await expect(page.get_by_test_id("video-connect")).to_have_text(mongolian["video.connect"])
    await expect(page.get_by_test_id("video-status")).to_have_text(mongolian["video.ready"])
    await page.reload()
    await expect(page.get_by_test_id("video-connect")).to_have_text(mongolian["video.connect"])
    await context.close()

    # Without ?lang= the browser's language decides, when the page speaks it.
    japanese = _texts(hub_url, "ja")
    context, page = await _citizen(browser, watch, locale="ja-JP")
    await page.goto(f"{hub_url}/video/")
    await expect(page.locator("html")).to_have_attribute("lang", "ja")
    await expect(page.get_by_test_id("video-connect")).to_have_text(japanese["video.connect"])
    await context.close()
    assert watch.problems == []


async def test_a_keyboard_alone_places_a_call_chats_and_hangs_up(hub_url: str, browser: Browser) -> None:
    watch = PageWatch()
    texts = _texts(hub_url, "ko")
    context, page = await _citizen(browser, watch)
    await page.goto(f"{hub_url}/video/")
    await _camera_ready(page, texts)
    await expect(page.get_by_test_id("video-local")).to_have_js_property("paused", False)

    async def tab_to(test_id: str) -> list[str]:
        """Tab until `test_id` has the focus; the controls passed on the way."""
        passed = []
        for _ in range(10):
            await page.keyboard.press("Tab")
            focused = await page.evaluate("document.activeElement && document.activeElement.dataset.testid")
            passed.append(focused)
            if focused == test_id:
                return passed
        raise AssertionError(f"Tab never reached {test_id}: {passed}")

    assert await tab_to("video-connect") == ["video-language", "video-consent", "video-connect"]
    await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Space")
    await expect(page.get_by_test_id("video-consent")).to_be_checked()
    await page.keyboard.press("Tab")
    async with page.expect_response("**/video/api/calls") as created:
        await page.keyboard.press("Enter")
    call = await (await created.value).json()
    assert (await created.value).status == 201
    assert json.loads((await created.value).request.post_data or "{}") == {"language": "ko", "consent": True}

    await expect(page.get_by_test_id("video-status")).to_have_text(texts["video.queued"])
    await expect(page.get_by_test_id("video-queue-position")).to_have_text(_queue_pattern(texts, 1))
    await expect(page.get_by_test_id("video-remote")).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('dasan.video.call')") is not None
    assert call["token"] not in page.url

    # The hub holds a queued sign-language conversation for the call.
    headers = await _supervisor(page, hub_url)
    conversation = await _conversation(page, hub_url, headers, call["conversation_id"])
    assert (conversation["channel"], conversation["state"], conversation["queue"]) == (
        "sign_video",
        "queued",
        "sign_language",
    )

    # Chat beside the call: Tab to the input, Enter sends; the line shows at once and reaches the hub.
    assert await tab_to("video-chat-input") == ["video-chat-input"]
    await page.keyboard.type(ADDRESS)
    await page.keyboard.press("Enter")
    mine = page.get_by_test_id("video-chat-messages").locator("[data-author=citizen]")
    await expect(mine).to_have_count(1)
    await expect(mine).to_contain_text(ADDRESS)
    await expect(page.get_by_test_id("video-chat-input")).to_have_value("")

    async def address_stored() -> bool:
        response = await page.request.get(
            f"{hub_url}/api/v1/conversations/{call['conversation_id']}/messages", headers=headers
        )
        return ADDRESS in [message["text"] for message in (await response.json())["messages"]]

    await wait_for(address_stored, 10, failure="the citizen's chat line never reached the conversation")

    # The order goes on to the send button and to hanging up; Enter ends the call.
    assert await tab_to("video-hangup") == ["video-chat-send", "video-hangup"]
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("video-status")).to_have_text(texts["video.ended"])
    await expect(page.get_by_test_id("video-connect")).to_have_text(texts["video.call_again"])
    await expect(page.get_by_test_id("video-consent")).not_to_be_checked()
    await expect(page.get_by_test_id("video-chat-input")).to_be_disabled()
    assert await page.evaluate("sessionStorage.getItem('dasan.video.call')") is None
    # The camera is off once the call is over.
    assert await page.get_by_test_id("video-local").evaluate("video => video.srcObject") is None
    await context.close()
    assert watch.problems == []


async def test_the_pages_have_no_serious_accessibility_violations(hub_url: str, browser: Browser) -> None:
    watch = PageWatch()
    texts = _texts(hub_url, "ko")
    context, page = await _citizen(browser, watch)
    await page.goto(f"{hub_url}/video/")
    await _camera_ready(page, texts)
    found = await serious_violations(page)
    assert found == [], "\n".join(found)

    await page.get_by_test_id("video-connect").click()
    await expect(page.get_by_test_id("video-queue-position")).to_be_visible()
    await expect(page.get_by_test_id("video-chat-input")).to_be_enabled()
    await page.get_by_test_id("video-chat-input").fill(ADDRESS)
    await page.get_by_test_id("video-chat-send").click()
    await expect(page.get_by_test_id("video-chat-messages").locator("[data-author=citizen]")).to_have_count(1)
    found = await serious_violations(page)
    assert found == [], "\n".join(found)

    # On a phone as well (the layout changes).
    await page.set_viewport_size({"width": 360, "height": 740})
    found = await serious_violations(page)
    assert found == [], "\n".join(found)

    await page.goto(f"{hub_url}/webchat/")
    await page.get_by_test_id("chat-launcher").click()
    await expect(page.get_by_test_id("chat-video")).to_be_visible()
    found = await serious_violations(page)
    assert found == [], "\n".join(found)
    await context.close()
    assert watch.problems == []


@pytest.mark.parametrize("how", ["the browser's prompt", "getUserMedia"])
async def test_a_blocked_camera_is_explained_and_connecting_waits_for_it(
    hub_url: str, browser: Browser, browser_asking: Browser, how: str
) -> None:
    watch = PageWatch()
    texts = _texts(hub_url, "ko")
    if how == "the browser's prompt":
        # No grant, no prompt to answer: Chromium refuses the page the camera.
        context, page = await _citizen(browser_asking, watch)
    else:
        context, page = await _citizen(browser, watch)
        await context.add_init_script(
            """navigator.mediaDevices.getUserMedia = () =>
                 Promise.reject(new DOMException("Permission denied", "NotAllowedError"));"""
        )
    await page.goto(f"{hub_url}/video/")
    status = page.get_by_test_id("video-status")
    await expect(status).to_have_text(texts["video.camera_denied"])
    await expect(status).to_have_attribute("role", "status")
    await expect(page.get_by_test_id("video-connect")).to_be_disabled()
    await expect(page.get_by_test_id("video-retry")).to_be_visible()

    # Allowed now: trying again brings the preview and lets the citizen connect.
    if how == "the browser's prompt":
        await context.grant_permissions(["camera", "microphone"])
    else:
        await page.evaluate("delete navigator.mediaDevices.getUserMedia")  # the browser's own again
    await page.get_by_test_id("video-retry").click()
    await _camera_ready(page, texts)
    await expect(page.get_by_test_id("video-retry")).to_be_hidden()
    await context.close()
    assert watch.problems == []


async def test_a_missing_camera_is_explained(hub_url: str, browser: Browser) -> None:
    watch = PageWatch()
    texts = _texts(hub_url, "en")
    context, page = await _citizen(browser, watch)
    await context.add_init_script(
        """navigator.mediaDevices.getUserMedia = () =>
             Promise.reject(new DOMException("Requested device not found", "NotFoundError"));"""
    )
    await page.goto(f"{hub_url}/video/?lang=en")
    await expect(page.get_by_test_id("video-status")).to_have_text(texts["video.camera_missing"])
    await expect(page.get_by_test_id("video-connect")).to_be_disabled()
    await context.close()
    assert watch.problems == []


async def test_the_chat_video_button_opens_the_page_on_the_same_contact(hub_url: str, browser: Browser) -> None:
    watch = PageWatch()
    texts = _texts(hub_url, "ko")
    context, chat = await _citizen(browser, watch)
    addresses: list[str] = []
    context.on("request", lambda request: addresses.append(request.url))
    await chat.goto(f"{hub_url}/webchat/")
    await chat.get_by_test_id("chat-launcher").click()
    await chat.get_by_test_id("chat-input").fill("수어 상담을 받고 싶어요")
    await chat.get_by_test_id("chat-send").click()
    stored = chat.get_by_test_id("chat-messages").locator("[data-author=citizen][data-message-id]")
    await expect(stored).to_have_count(1)
    session = await chat.evaluate("localStorage.getItem('dasan.webchat.session')")
    assert session

    async with context.expect_page() as opened:
        await chat.get_by_test_id("chat-video").click()
    video = watch.watch(await opened.value, "video page")
    await _camera_ready(video, texts)
    # Opened with the code and the language; the code then leaves the address bar.
    opened_at = [address for address in addresses if "/video/?" in address]
    assert len(opened_at) == 1 and re.search(r"/video/\?code=[^&]+&lang=ko$", opened_at[0]), opened_at
    assert "code=" not in video.url
    assert not [address for address in addresses if session in address]
    assert await video.evaluate("window.opener") is None

    async with video.expect_response("**/video/api/calls") as created:
        await video.get_by_test_id("video-connect").click()
    assert (await created.value).status == 201
    assert "code" in json.loads((await created.value).request.post_data or "{}")
    video_conversation = (await (await created.value).json())["conversation_id"]
    await expect(video.get_by_test_id("video-queue-position")).to_be_visible()

    headers = await _supervisor(chat, hub_url)
    listing = await chat.request.get(f"{hub_url}/api/v1/conversations", headers=headers)
    webchat = [c for c in (await listing.json())["conversations"] if c["channel"] == "webchat"]
    assert len(webchat) == 1, webchat
    by_chat = await _conversation(chat, hub_url, headers, webchat[0]["id"])
    by_video = await _conversation(chat, hub_url, headers, video_conversation)
    assert by_video["channel"] == "sign_video"
    assert by_video["contact"]["id"] == by_chat["contact"]["id"]

    # The code was for one call: the same link again is refused, and the page still connects.
    await video.get_by_test_id("video-hangup").click()
    await video.goto(opened_at[0])
    await _camera_ready(video, texts)
    await video.get_by_test_id("video-connect").click()
    await expect(video.get_by_test_id("video-status")).to_have_text(texts["video.code_expired"])
    await expect(video.get_by_test_id("video-connect")).to_be_enabled()
    async with video.expect_response("**/video/api/calls") as again:
        await video.get_by_test_id("video-connect").click()
    assert (await again.value).status == 201
    assert "code" not in json.loads((await again.value).request.post_data or "{}")
    await expect(video.get_by_test_id("video-queue-position")).to_be_visible()
    await context.close()
    assert watch.problems == []


async def test_an_interpreter_answers_a_reload_resumes_and_the_interpreter_ends_the_call(
    hub_url: str, browser: Browser
) -> None:
    watch = PageWatch()
    texts = _texts(hub_url, "ko")
    console_context = await browser.new_context(locale="ko-KR", viewport={"width": 1440, "height": 900})
    console = watch.watch(await console_context.new_page(), "choi")
    await console_login(console, hub_url, "choi")  # the demo's sign-language interpreter
    await console.get_by_test_id("presence-select").select_option("available")

    context, page = await _citizen(browser, watch)
    await page.goto(f"{hub_url}/video/")
    await _camera_ready(page, texts)
    async with page.expect_response("**/video/api/calls") as created:
        await page.get_by_test_id("video-connect").click()
    conversation_id = (await (await created.value).json())["conversation_id"]

    # -- choi accepts: the citizen is told, and sees the interpreter's camera ----------------
    offer = console.get_by_test_id("my-list").locator(f"[data-conversation-id='{conversation_id}']")
    await offer.get_by_test_id("claim-button").click()
    status = page.get_by_test_id("video-status")
    await expect(status).to_have_text(texts["video.connected"])
    await expect(page.get_by_test_id("video-queue-position")).to_be_hidden()
    await page.wait_for_function(REMOTE_PLAYS, timeout=20_000)

    # -- text beside the call, both ways ---------------------------------------------------
    await page.get_by_test_id("video-chat-input").fill(ADDRESS)
    await page.get_by_test_id("video-chat-send").click()
    await expect(console.get_by_test_id("message-list")).to_contain_text(ADDRESS)
    await console.get_by_test_id("reply-input").fill("주소 확인했습니다. 02-120으로 다시 연락드리겠습니다.")
    await console.get_by_test_id("reply-send").click()
    from_interpreter = page.get_by_test_id("video-chat-messages").locator("[data-author=interpreter]")
    await expect(from_interpreter).to_contain_text("02-120")
    await expect(from_interpreter).to_contain_text(texts["video.interpreter"])

    # -- a reload (as after a network change) resumes the same call, without a new one ----------
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if request.method == "POST" else None)
    await page.reload()
    await expect(status).to_have_text(texts["video.connected"])
    await page.wait_for_function(REMOTE_PLAYS, timeout=20_000)
    assert asked == []
    await expect(page.get_by_test_id("video-hangup")).to_be_enabled()

    # -- choi hangs up: the call ends on the citizen's page, camera off ----------------------
    await console.get_by_test_id("video-hangup").click()
    await expect(status).to_have_text(texts["video.ended"])
    await expect(page.get_by_test_id("video-connect")).to_have_text(texts["video.call_again"])
    assert await page.get_by_test_id("video-local").evaluate("video => video.srcObject") is None
    assert await page.evaluate("sessionStorage.getItem('dasan.video.call')") is None
    for opened in (context, console_context):
        await opened.close()
    assert watch.problems == []


async def test_a_dropped_connection_comes_back_to_the_same_call_with_a_new_offer(
    hub_url: str, browser: Browser
) -> None:
    watch = PageWatch()
    texts = _texts(hub_url, "ko")
    context, page = await _citizen(browser, watch)
    sockets: list[WebSocketRoute] = []
    from_page: list[dict[str, Any]] = []

    # Every socket of the page passes through the test, which can cut it like a network change.
    def relay(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()
        sockets.append(socket)

        def forward(message: str | bytes) -> None:
            from_page.append(json.loads(message))
            server.send(message)

        socket.on_message(forward)

    await page.route_web_socket(re.compile(r"/video/ws$"), relay)
    await page.goto(f"{hub_url}/video/")
    await _camera_ready(page, texts)
    await page.get_by_test_id("video-connect").click()
    queue = page.get_by_test_id("video-queue-position")
    await expect(queue).to_have_text(_queue_pattern(texts, 1))
    await wait_for(lambda: [f for f in from_page if f["type"] == "offer"], 10, failure="no offer while queued")

    posted: list[str] = []
    page.on("request", lambda request: posted.append(request.url) if request.method == "POST" else None)
    await sockets[0].close(code=1011, reason="network change")
    await expect(page.get_by_test_id("video-status")).to_have_text(texts["video.network_lost"])
    await expect(page.get_by_test_id("video-chat-input")).to_be_disabled()
    # Back after the first backoff step, with the same token, a new offer, the same place.
    await expect(page.get_by_test_id("video-status")).to_have_text(texts["video.queued"])
    await expect(queue).to_have_text(_queue_pattern(texts, 1))
    await expect(page.get_by_test_id("video-chat-input")).to_be_enabled()
    assert len(sockets) == 2
    hellos = [frame["token"] for frame in from_page if frame["type"] == "hello"]
    assert len(hellos) == 2 and hellos[0] == hellos[1]
    await wait_for(
        lambda: len([f for f in from_page if f["type"] == "offer"]) == 2, 10, failure="no new offer after the reconnect"
    )
    assert posted == []

    # A call the hub no longer knows ends on the page instead of reconnecting for ever.
    await sockets[1].close(code=4401, reason="unknown call")
    await expect(page.get_by_test_id("video-status")).to_have_text(texts["video.ended"])
    assert await page.evaluate("sessionStorage.getItem('dasan.video.call')") is None
    await page.wait_for_timeout(1500)  # longer than the first backoff step: no socket came back
    assert len(sockets) == 2
    await context.close()
    assert watch.problems == []


async def test_the_chat_video_button_says_so_when_the_hub_refuses(hub_url: str, browser: Browser) -> None:
    watch = PageWatch()
    context, chat = await _citizen(browser, watch)
    with urllib.request.urlopen(f"{hub_url}/webchat/i18n/en.json", timeout=5) as response:
        english = json.load(response)
    await chat.route(
        "**/webchat/api/video-code",
        lambda route: route.fulfill(status=503, json={"error": {"code": "unavailable", "message": "Try later."}}),
    )
    await chat.goto(f"{hub_url}/webchat/")
    await chat.get_by_test_id("chat-launcher").click()
    await chat.get_by_test_id("chat-language").select_option("en")
    await expect(chat.get_by_test_id("chat-video")).to_have_text(english["widget.video"])
    await chat.get_by_test_id("chat-video").click()
    await expect(chat.get_by_test_id("chat-status")).to_have_text(english["widget.video_failed"])
    assert len(context.pages) == 1
    await context.close()
    assert watch.problems == []
