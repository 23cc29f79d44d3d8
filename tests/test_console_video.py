"""The interpreter's side of a sign-language video call, in the agent console; and a whole
call with the citizen's page in a second browser.

The hub runs as `dasan serve` (tests/test_browser.py); the interpreter is Debian's Chromium
with a fake camera and microphone; the citizen is an aiortc peer in this process that signals
over the hub's own socket (`/video/ws`), as the citizen's page does. Screenshots go to
$DASAN_BROWSER_SHOTS when set (else the test's tmp_path).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from sign_video import signalling
from tests.browsers import CHROMIUM, CHROMIUM_ARGS, PageWatch, console_login, serving
from tests.conftest import DEMO_PASSWORD
from tests.video_pages import Page as PeerPage

pytestmark = pytest.mark.browser

CAMERA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
CITIZEN_SIZE = (160, 120)
WAIT = 15.0  # seconds: media through a real hub process takes a few to start

REMOTE_PLAYS = """() => {
  const video = document.querySelector("[data-testid=video-remote]");
  return Boolean(video) && video.videoWidth > 0 && video.getVideoPlaybackQuality().totalVideoFrames > 0;
}"""


class Citizen:
    """A deaf citizen's page as an aiortc peer: asks for a call, signals over `/video/ws`
    and keeps every frame the hub sends, in order."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse, conversation_id: str) -> None:
        self.socket = socket
        self.conversation_id = conversation_id
        self.peer = PeerPage(*CITIZEN_SIZE)
        self.frames: asyncio.Queue[signalling.Frame] = asyncio.Queue()
        self.closed = asyncio.get_running_loop().create_future()
        # Read all along: the hub pings every few seconds and closes a socket that does not answer.
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.socket:
            if message.type is aiohttp.WSMsgType.TEXT:
                self.frames.put_nowait(signalling.load(message.data))
        self.closed.set_result(self.socket.close_code)

    async def next(self, kind: type, accept: Any = lambda frame: True) -> Any:
        """The next frame of a kind that `accept` takes; the others are passed over."""
        async with asyncio.timeout(WAIT):
            while True:
                frame = await self.frames.get()
                if isinstance(frame, kind) and accept(frame):
                    return frame

    async def offer(self) -> None:
        await self.socket.send_str(signalling.dump(signalling.Offer(await self.peer.offer())))
        await self.peer.answered((await self.next(signalling.Answer)).sdp)

    async def hang_up(self) -> None:
        await self.socket.send_str(signalling.dump(signalling.Hangup("done")))

    async def sees_a_camera_picture(self) -> None:
        """Wait for a frame of the interpreter's fake camera: a moving picture, not a blank one."""
        async with asyncio.timeout(WAIT):
            while (await self.peer.received["video"].recv()).to_ndarray(format="gray").std() <= 5:
                pass

    async def close(self) -> None:
        self._reader.cancel()
        await self.peer.pc.close()


@asynccontextmanager
async def calling(http: aiohttp.ClientSession, url: str, consent: bool) -> AsyncIterator[Citizen]:
    """A citizen who asked for a call, connected and offered their camera."""
    created = await http.post(f"{url}/video/api/calls", json={"language": "ko", "consent": consent})
    assert created.status == 201, await created.text()
    body = await created.json()
    async with http.ws_connect(f"{url.replace('http', 'ws', 1)}/video/ws") as socket:
        citizen = Citizen(socket, body["conversation_id"])
        try:
            await socket.send_str(signalling.dump(signalling.Hello(body["token"])))
            await citizen.offer()
            yield citizen
        finally:
            await citizen.close()


@pytest.fixture
async def video_hub(tmp_path: Path, repo_root: Path) -> AsyncIterator[str]:
    """A real `dasan serve` whose recordings go to the test's folder."""
    async with serving(tmp_path, repo_root, {"DASAN_VIDEO_RECORDINGS": str(tmp_path / "recordings")}) as url:
        yield url


@pytest.fixture
async def camera_browser() -> AsyncIterator[Browser]:
    """Chromium with a fake camera and microphone that it may use without asking."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *CAMERA_ARGS], headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _interpreter(
    browser: Browser, watch: PageWatch, url: str, username: str, available: bool = True
) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(
        locale="ko-KR",
        timezone_id="Asia/Seoul",
        viewport={"width": 1440, "height": 900},
        permissions=["camera", "microphone"],
    )
    page = watch.watch(await context.new_page(), username)
    await console_login(page, url, username)
    if available:
        await page.get_by_test_id("presence-select").select_option("available")
        await expect(page.get_by_test_id("presence-select")).to_have_attribute("data-state", "available")
    return context, page


async def _accept_offer(page: Page, conversation_id: str) -> None:
    """The offered call shows as a sign-language video in my list; I accept it."""
    offer = page.get_by_test_id("my-list").locator(f"[data-conversation-id='{conversation_id}']")
    await expect(offer).to_have_attribute("data-state", "offered", timeout=WAIT * 1000)
    badge = offer.get_by_test_id("channel-badge")
    await expect(badge).to_have_attribute("data-channel", "sign_video")
    await expect(badge).to_have_text("수어 영상")
    await offer.get_by_test_id("claim-button").click()
    await expect(page.get_by_test_id("conversation-state")).to_have_attribute("data-state", "assigned")


async def _keep_camera_tracks(page: Page) -> None:
    """Remember the tracks of my camera preview, to check later that they were stopped."""
    await page.evaluate(
        "window.__cameraTracks = document.querySelector('[data-testid=video-local]').srcObject.getTracks()"
    )


async def _live_camera_tracks(page: Page) -> int:
    return await page.evaluate("window.__cameraTracks.filter((track) => track.readyState === 'live').length")


async def _local_track_enabled(page: Page, kind: str) -> bool:
    return await page.evaluate(
        """(kind) => document.querySelector("[data-testid=video-local]").srcObject
             .getTracks().filter((track) => track.kind === kind).every((track) => track.enabled)""",
        kind,
    )


async def test_an_interpreter_takes_a_video_call_in_the_console(
    video_hub: str, camera_browser: Browser, http: aiohttp.ClientSession, shots: Path
) -> None:
    watch = PageWatch()
    context, console = await _interpreter(camera_browser, watch, video_hub, "choi")

    async with calling(http, video_hub, consent=False) as citizen:
        # -- the offer, accepted: the panel shows the citizen's own picture, playing -------
        await _accept_offer(console, citizen.conversation_id)
        panel = console.get_by_test_id("video-panel")
        await expect(panel).to_be_visible()
        await console.wait_for_function(REMOTE_PLAYS, timeout=WAIT * 1000)
        size = await console.get_by_test_id("video-remote").evaluate("(v) => [v.videoWidth, v.videoHeight]")
        assert tuple(size) == CITIZEN_SIZE
        await expect(console.get_by_test_id("video-local")).to_have_js_property("muted", True)
        # ... and the citizen sees the interpreter's camera.
        await citizen.sees_a_camera_picture()
        # The text beside the call is the conversation's messages; recordings are for supervisors.
        await expect(console.get_by_test_id("message-list")).to_be_visible()
        await expect(console.get_by_test_id("video-recordings")).to_be_hidden()

        # -- microphone and camera off and on again -----------------------------------------
        toggles = [("video-mute", "audio", "마이크"), ("video-camera", "video", "카메라")]
        for testid, kind, device in toggles:
            button = console.get_by_test_id(testid)
            await expect(button).to_have_attribute("aria-pressed", "false")
            await expect(button).to_have_text(f"{device} 끄기")  # on: the button turns it off
            await button.click()
            await expect(button).to_have_attribute("aria-pressed", "true")
            await expect(button).to_have_text(f"{device} 켜기")
            assert not await _local_track_enabled(console, kind)
            await button.click()
            await expect(button).to_have_attribute("aria-pressed", "false")
            assert await _local_track_enabled(console, kind)

        # -- the call's quality, both sides, in numbers --------------------------------------
        quality = console.get_by_test_id("video-quality")
        for side in ("citizen", "interpreter"):
            row = quality.locator(f"tr[data-side={side}]")
            await expect(row).to_contain_text(re.compile(r"\d+ kbps"), timeout=WAIT * 1000)
            await expect(row).to_contain_text(re.compile(r"\d+ fps"))
            await expect(row).to_have_attribute("data-quality", re.compile("good|poor"))
        shots.mkdir(parents=True, exist_ok=True)
        await console.screenshot(path=str(shots / "console-video-call.png"))

        # -- one call at a time: a second tab on the same call waits for the line -----------
        second = watch.watch(await context.new_page(), "choi, second tab")
        await second.goto(f"{video_hub}/console/")
        await second.get_by_test_id("my-list").locator(f"[data-conversation-id='{citizen.conversation_id}']").click()
        await expect(second.get_by_test_id("video-status")).to_contain_text("다른 상담의 영상 통화가 진행 중")
        assert await second.evaluate("document.querySelector('[data-testid=video-local]').srcObject") is None
        await second.close()

        # -- resolved with a disposition: the panel closes, the camera stops, the call ends --
        await _keep_camera_tracks(console)
        await console.get_by_test_id("disposition-select").select_option("resolved")
        await console.get_by_test_id("resolve-button").click()
        await expect(console.get_by_test_id("conversation-state")).to_have_attribute("data-state", "resolved")
        await expect(panel).to_be_hidden()
        assert await _live_camera_tracks(console) == 0
        assert await console.evaluate("document.querySelector('[data-testid=video-remote]').srcObject") is None
        await citizen.next(signalling.State, lambda frame: frame.state == "ended")
        async with asyncio.timeout(WAIT):
            assert await citizen.closed == 4410

    assert watch.problems == []
    await context.close()


async def test_the_citizen_hangs_up_and_a_supervisor_plays_the_recording(
    video_hub: str, camera_browser: Browser, http: aiohttp.ClientSession, shots: Path
) -> None:
    watch = PageWatch()
    context, console = await _interpreter(camera_browser, watch, video_hub, "choi")

    async with calling(http, video_hub, consent=True) as citizen:
        await _accept_offer(console, citizen.conversation_id)
        await console.wait_for_function(REMOTE_PLAYS, timeout=WAIT * 1000)
        await console.wait_for_timeout(3000)  # a few seconds of call to record
        await citizen.hang_up()

        status = console.get_by_test_id("video-status")
        await expect(status).to_contain_text("시민이 통화를 종료했습니다")
        await expect(console.get_by_test_id("video-hangup")).to_be_disabled()
        # Still hers until she gives it a disposition.
        await expect(console.get_by_test_id("conversation-state")).to_have_attribute("data-state", "assigned")
        async with asyncio.timeout(WAIT):
            assert await citizen.closed == 4410  # the hub ended the call: its recording is written

    # Recordings are for supervisors: not on the interpreter's screen.
    await expect(console.get_by_test_id("video-recording")).to_have_count(0)
    # The supervisor opens the conversation by its link and plays the recording.
    supervisor_context, supervisor = await _interpreter(camera_browser, watch, video_hub, "jung", available=False)
    await supervisor.evaluate("(id) => { location.hash = `conversation=${id}`; }", citizen.conversation_id)
    recording = supervisor.get_by_test_id("video-recording")
    await expect(recording).to_have_count(1)
    served = await recording.evaluate(
        """async (video) => {
             const response = await fetch(video.src);
             const body = await response.arrayBuffer();
             return [response.status, response.headers.get("content-type"), body.byteLength];
           }"""
    )
    status_code, content_type, length = served
    assert (status_code, content_type) == (200, "video/webm") and length > 0
    # The browser can play it: the citizen's picture, at its size.
    await supervisor.wait_for_function(
        "() => document.querySelector('[data-testid=video-recording]').readyState >= 1", timeout=WAIT * 1000
    )
    width = await recording.evaluate("(video) => video.videoWidth")
    assert width == CITIZEN_SIZE[0]
    shots.mkdir(parents=True, exist_ok=True)
    await recording.scroll_into_view_if_needed()
    await supervisor.screenshot(path=str(shots / "console-video-recording.png"))

    assert watch.problems == []
    await context.close()
    await supervisor_context.close()


async def test_a_transfer_hands_the_call_to_another_interpreter(
    video_hub: str, camera_browser: Browser, http: aiohttp.ClientSession
) -> None:
    watch = PageWatch()
    choi_context, choi = await _interpreter(camera_browser, watch, video_hub, "choi")
    # Logged in but not taking offers: the call is offered to choi.
    jung_context, jung = await _interpreter(camera_browser, watch, video_hub, "jung", available=False)

    async with calling(http, video_hub, consent=False) as citizen:
        await _accept_offer(choi, citizen.conversation_id)
        await choi.wait_for_function(REMOTE_PLAYS, timeout=WAIT * 1000)
        await _keep_camera_tracks(choi)

        # A transfer's target must be available (the call is choi's by now: nothing else is offered).
        await jung.get_by_test_id("presence-select").select_option("available")
        await expect(jung.get_by_test_id("presence-select")).to_have_attribute("data-state", "available")
        await choi.get_by_test_id("transfer-agent-input").fill("jung")
        await choi.get_by_test_id("transfer-button").click()
        # Choi lets go of everything: panel, camera, microphone.
        await expect(choi.get_by_test_id("video-panel")).to_be_hidden()
        assert await _live_camera_tracks(choi) == 0

        # Jung opens it and sees the citizen, whose call went on without calling again.
        moved = jung.get_by_test_id("my-list").locator(f"[data-conversation-id='{citizen.conversation_id}']")
        await expect(moved).to_have_attribute("data-state", "assigned")
        await moved.click()
        await expect(jung.get_by_test_id("video-panel")).to_be_visible()
        await jung.wait_for_function(REMOTE_PLAYS, timeout=WAIT * 1000)
        assert not citizen.closed.done()

    assert watch.problems == []
    await choi_context.close()
    await jung_context.close()


async def _citizen_page(browser: Browser, watch: PageWatch, url: str) -> Page:
    context = await browser.new_context(
        locale="ko-KR", viewport={"width": 390, "height": 844}, permissions=["camera", "microphone"]
    )
    page = watch.watch(await context.new_page(), "citizen")
    await page.goto(f"{url}/video/?lang=ko")
    return page


async def _decoded_frames(page: Page) -> int:
    return await page.evaluate(
        "document.querySelector('[data-testid=video-remote]').getVideoPlaybackQuality().totalVideoFrames"
    )


async def test_a_deaf_citizen_and_an_interpreter_sign_chat_and_the_call_is_resolved(
    video_hub: str,
    camera_browser: Browser,
    http: aiohttp.ClientSession,
    shots: Path,
) -> None:
    watch = PageWatch()
    console_context, console = await _interpreter(camera_browser, watch, video_hub, "choi")
    citizen = await _citizen_page(camera_browser, watch, video_hub)

    # The citizen sees themselves, leaves recording off, and asks for an interpreter.
    await expect(citizen.get_by_test_id("video-consent")).not_to_be_checked()
    await expect(citizen.get_by_test_id("video-connect")).to_be_enabled(timeout=WAIT * 1000)
    await citizen.get_by_test_id("video-connect").click()

    # The interpreter is offered the call and accepts it.
    offered = console.get_by_test_id("my-list").locator("[data-state=offered]")
    await expect(offered).to_have_count(1, timeout=WAIT * 1000)
    conversation_id = await offered.get_attribute("data-conversation-id")
    assert conversation_id
    await _accept_offer(console, conversation_id)

    # Each sees the other: frames decoded on both sides, and more of them as time passes.
    await console.wait_for_function(REMOTE_PLAYS, timeout=WAIT * 1000)
    await citizen.wait_for_function(REMOTE_PLAYS, timeout=WAIT * 1000)
    before = (await _decoded_frames(console), await _decoded_frames(citizen))
    await citizen.wait_for_timeout(1500)
    after = (await _decoded_frames(console), await _decoded_frames(citizen))
    assert after[0] > before[0] and after[1] > before[1], (before, after)

    # Text beside the call, both ways: an address from the citizen, an answer from the interpreter.
    await citizen.get_by_test_id("video-chat-input").fill("마포구 월드컵로 212")
    await citizen.get_by_test_id("video-chat-send").click()
    await expect(console.get_by_test_id("message-list")).to_contain_text("마포구 월드컵로 212", timeout=WAIT * 1000)
    await console.get_by_test_id("reply-input").fill("주소 확인했습니다. 담당 부서로 연결해 드릴게요.")
    await console.get_by_test_id("reply-send").click()
    await expect(citizen.get_by_test_id("video-chat-messages")).to_contain_text(
        "주소 확인했습니다", timeout=WAIT * 1000
    )
    await citizen.screenshot(path=str(shots / "video-call-citizen.png"))
    await console.screenshot(path=str(shots / "video-call-console.png"))

    # Resolved with a disposition: the call ends on the citizen's page too.
    await console.get_by_test_id("disposition-select").select_option("resolved")
    await console.get_by_test_id("resolve-button").click()
    await expect(console.get_by_test_id("conversation-state")).to_have_attribute("data-state", "resolved")
    await expect(citizen.get_by_test_id("video-status")).to_contain_text("상담이 종료되었습니다", timeout=WAIT * 1000)
    await expect(citizen.locator("body")).to_have_attribute("data-phase", "ended")
    stopped = await citizen.evaluate(
        """() => {
             const video = document.querySelector('[data-testid=video-local]');
             const tracks = video.srcObject ? video.srcObject.getTracks() : [];
             return tracks.every((track) => track.readyState === 'ended');
           }"""
    )
    assert stopped  # the camera light goes off

    supervisor = {"Authorization": "Bearer " + await _token(http, video_hub)}
    found = await http.get(f"{video_hub}/api/v1/conversations/{conversation_id}", headers=supervisor)
    conversation = await found.json()
    assert (conversation["channel"], conversation["queue"], conversation["disposition"]) == (
        "sign_video",
        "sign_language",
        "resolved",
    )
    assert watch.problems == []
    await console_context.close()
    await citizen.context.close()


async def _token(session: aiohttp.ClientSession, url: str) -> str:
    response = await session.post(f"{url}/api/v1/auth/login", json={"username": "jung", "password": DEMO_PASSWORD})
    return (await response.json())["token"]
