"""The supervisors' wallboard: its figures, the socket that pushes them, and the wall screen in Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import WSServerHandshakeError
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Page, expect

from hub.core import Hub
from hub.wallboard import wallboard_frame
from model import AgentState
from model.clock import utcnow
from tests.browsers import API_CHANNEL_KEY, PASSWORD, PageWatch
from tests.conftest import citizen_says, login
from tests.sockets import TIMEOUT, Frame, frames_for, receive_until

CLOCK = re.compile(r"^\d\d:\d\d$")
"""An oldest wait as the wall shows it: minutes and seconds."""
QUEUES = {"transport", "water", "city", "district", "other", "foreign_language", "sign_language", "night"}


async def frame_now(hub: Hub) -> dict[str, Any]:
    async with hub.store.read() as session:
        return await wallboard_frame(session, hub.settings.timezone, utcnow(), hub.settings.report_targets)


def queue(frame: Frame, name: str) -> dict[str, Any]:
    return next(q for q in frame["queues"] if q["name"] == name)


async def test_the_frame_follows_a_handoff_and_an_accept(client: TestClient, hub: Hub) -> None:
    kim = await login(client, "kim", available=False)
    await login(client, "lee", available=True)  # lee takes no water questions: the handoff waits in its queue

    empty = await frame_now(hub)
    assert empty["type"] == "wallboard" and {q["name"] for q in empty["queues"]} == QUEUES
    assert all(q["waiting"] == 0 and q["oldest_wait_seconds"] == 0 for q in empty["queues"])
    assert empty["today"] == {
        "service_level": None,
        "answer_rate": None,
        "answer_rate_target": 0.865,
        "contacts": 0,
        "waiting": 0,
    }
    assert set(empty["agents_by_state"]) == {state.value for state in AgentState}
    # The demo floor: five agents, a supervisor and an admin (editors are not on the floor).
    assert sum(empty["agents_by_state"].values()) == 7
    assert empty["agents_by_state"]["available"] == 1 and empty["agents_by_state"]["offline"] == 6
    assert queue(empty, "water")["label"] == "상수도" and queue(empty, "water")["sla_seconds"] == 60

    asked = await citizen_says(client, "wb-citizen", "수도요금 상담사 연결해 주세요")
    assert asked["state"] == "queued"
    waiting = await frame_now(hub)
    assert queue(waiting, "water")["waiting"] == 1 and queue(waiting, "water")["oldest_wait_seconds"] >= 0
    assert queue(waiting, "transport")["waiting"] == 0
    assert waiting["today"]["waiting"] == 1 and waiting["today"]["contacts"] == 1
    assert waiting["today"]["answer_rate"] is None  # still waiting: neither answered nor abandoned yet

    claimed = await client.post(f"/api/v1/conversations/{asked['conversation_id']}/claim", headers=kim)
    assert claimed.status == 200, await claimed.text()
    answered = await frame_now(hub)
    assert queue(answered, "water")["waiting"] == 0 and answered["today"]["waiting"] == 0
    assert answered["today"]["answer_rate"] == 1.0
    assert answered["today"]["service_level"] == 1.0  # accepted at once, well within the 60 s


async def test_the_socket_is_for_supervisors_and_pushes_changes(client: TestClient) -> None:
    for path in ("/api/v1/wallboard/ws", "/api/v1/wallboard"):
        response = await client.get(path)
        assert response.status == 401 and (await response.json())["error"]["code"] == "unauthorised"
    agent = await login(client, "kim", available=False)
    with pytest.raises(WSServerHandshakeError) as refused:
        await client.ws_connect("/api/v1/wallboard/ws", headers=agent)
    assert refused.value.status == 403

    supervisor = await login(client, "jung", available=False)
    socket = await client.ws_connect("/api/v1/wallboard/ws", headers=supervisor)
    first = await socket.receive_json(timeout=TIMEOUT)
    assert first["type"] == "wallboard" and first["today"]["waiting"] == 0
    # Nothing changes and nobody waits: no frames.
    assert await frames_for(socket, 0.6) == []

    await citizen_says(client, "wb-push", "버스 분실물 상담사 연결해 주세요")
    pushed, _ = await receive_until(socket, lambda f: queue(f, "transport")["waiting"] == 1)
    assert pushed["today"]["waiting"] == 1
    # While someone waits the frames keep coming without any event: the oldest wait grows.
    later, _ = await receive_until(socket, lambda f: f["at"] > pushed["at"], timeout=8)
    assert queue(later, "transport")["oldest_wait_seconds"] >= queue(pushed, "transport")["oldest_wait_seconds"]
    once = await client.get("/api/v1/wallboard", headers=supervisor)
    assert once.status == 200 and queue(await once.json(), "transport")["waiting"] == 1
    await socket.close()


async def test_the_page_is_served(client: TestClient) -> None:
    page = await client.get("/console/wallboard/")
    assert page.status == 200 and "wallboard.js" in await page.text()
    script = await client.get("/console/static/wallboard.js")
    assert "/api/v1/wallboard/ws" in await script.text()


# ---------------------------------------------------------------- in Chromium


async def _post(url: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    """A call on the hub under test, as an integration or another agent's console makes it."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as session, session.post(url, json=body, headers=headers) as response:
        assert response.status == 200, await response.text()
        return dict(await response.json())


async def _supervisor_wall(browser: Browser, hub_url: str, watch: PageWatch) -> Page:
    context = await browser.new_context(
        locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 1920, "height": 1080}
    )
    page = watch.watch(await context.new_page(), "supervisor")
    await page.goto(f"{hub_url}/console/wallboard/")
    await expect(page.get_by_test_id("wallboard-notice-text")).to_contain_text("로그인이 필요합니다")
    await expect(page.get_by_test_id("wallboard-login")).to_have_attribute("href", "/console/")
    # The console's login sets the session the wallboard rides.
    await page.get_by_test_id("wallboard-login").click()
    await page.get_by_test_id("login-username").fill("jung")
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("agent-name")).to_contain_text("(jung)")
    await page.goto(f"{hub_url}/console/wallboard/")
    return page


@pytest.mark.browser
async def test_the_wall_screen_follows_the_floor_without_a_reload(hub_url: str, browser: Browser, shots: Path) -> None:
    watch = PageWatch()
    wall = await _supervisor_wall(browser, hub_url, watch)
    await expect(wall.get_by_test_id("wallboard-status")).to_have_attribute("data-state", "connected")
    transport = wall.locator("[data-testid=wallboard-queue][data-queue=transport]")
    await expect(transport.get_by_test_id("wallboard-queue-waiting")).to_have_text("0")
    await expect(wall.get_by_test_id("wallboard-waiting")).to_have_text("0")
    await expect(wall.get_by_test_id("wallboard-agents-available")).to_have_text("0")
    # No wait has ended today: no rate, and no verdict on it.
    await expect(wall.get_by_test_id("wallboard-answer-rate")).to_have_text("-")
    await expect(wall.get_by_test_id("wallboard-answer-rate-tile")).to_have_attribute("data-verdict", "none")
    await wall.evaluate("window.__notReloaded = true")

    kim = (await _post(f"{hub_url}/api/v1/auth/login", {"username": "kim", "password": PASSWORD}))["token"]
    await _post(f"{hub_url}/api/v1/me/state", {"state": "available"}, kim)
    await expect(wall.get_by_test_id("wallboard-agents-available")).to_have_text("1")

    citizen = {"sender": "wall-citizen", "text": "버스 분실물 상담사 연결해 주세요", "message_id": "wall-1"}
    asked = await _post(f"{hub_url}/api/v1/channels/api/messages", citizen, API_CHANNEL_KEY)
    await expect(transport.get_by_test_id("wallboard-queue-waiting")).to_have_text("1")
    await expect(wall.get_by_test_id("wallboard-waiting")).to_have_text("1")
    await expect(transport).to_have_attribute("data-verdict", "within")
    await expect(transport.get_by_test_id("wallboard-queue-oldest")).to_have_text(CLOCK)
    await wall.screenshot(path=str(shots / "wallboard-waiting.png"))

    # kim accepts the offer (or takes it from the queue, if the router has not offered it yet).
    await _post(f"{hub_url}/api/v1/conversations/{asked['conversation_id']}/claim", {}, kim)
    await expect(transport.get_by_test_id("wallboard-queue-waiting")).to_have_text("0")
    await expect(wall.get_by_test_id("wallboard-waiting")).to_have_text("0")
    await expect(wall.get_by_test_id("wallboard-answer-rate")).to_have_text("100.0%")
    await expect(wall.get_by_test_id("wallboard-answer-verdict")).to_contain_text("목표 달성")
    await expect(wall.get_by_test_id("wallboard-answer-rate-tile")).to_have_attribute("data-verdict", "met")
    await expect(wall.get_by_test_id("wallboard-contacts")).to_have_text("1")
    assert await wall.evaluate("window.__notReloaded") is True
    # One screen: nothing scrolls at 1920×1080.
    assert await wall.evaluate("document.documentElement.scrollHeight <= innerHeight")
    assert await wall.evaluate("document.documentElement.scrollWidth <= innerWidth")
    await wall.screenshot(path=str(shots / "wallboard.png"))
    assert watch.problems == []


@pytest.mark.browser
async def test_an_agent_is_told_the_wallboard_is_for_supervisors(hub_url: str, browser: Browser) -> None:
    watch = PageWatch()
    context = await browser.new_context(locale="ko-KR")
    page = watch.watch(await context.new_page(), "agent")
    response = await page.request.post(f"{hub_url}/api/v1/auth/login", data={"username": "kim", "password": PASSWORD})
    assert response.ok
    await page.goto(f"{hub_url}/console/wallboard/")
    await expect(page.get_by_test_id("wallboard-notice-text")).to_contain_text("관리자(supervisor)")
    await expect(page.get_by_test_id("wallboard")).to_be_hidden()
    assert watch.problems == []
