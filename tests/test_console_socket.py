"""The agent console's WebSocket and page (docs/api.md, "Console WebSocket")."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSServerHandshakeError
from aiohttp.test_utils import TestClient

from hub.console import routes as console_routes
from tests.conftest import citizen_says, login
from tests.sockets import TIMEOUT, Frame, frames_for, receive_until


async def console(
    client: TestClient, username: str, available: bool = True
) -> tuple[ClientWebSocketResponse, Frame, dict[str, str]]:
    """An agent's console socket, its first frame, and the agent's bearer headers."""
    headers = await login(client, username, available=available)
    socket = await client.ws_connect("/api/v1/console/ws", headers=headers)
    first = await socket.receive_json(timeout=TIMEOUT)
    return socket, first, headers


async def snapshot_of(socket: ClientWebSocketResponse, first: Frame) -> Frame:
    """The first snapshot, skipping live message frames pushed while it was being built."""
    if first["type"] == "snapshot":
        return first
    frame, _ = await receive_until(socket, lambda f: f["type"] == "snapshot")
    return frame


def has_mine(conversation_id: str, state: str) -> Callable[[Frame], bool]:
    return lambda f: (
        f["type"] == "snapshot" and any(c["id"] == conversation_id and c["state"] == state for c in f["mine"])
    )


def is_message_of(conversation_id: str, text: str) -> Callable[[Frame], bool]:
    return lambda f: f["type"] == "message" and f["conversation_id"] == conversation_id and f["message"]["text"] == text


async def test_the_console_socket_needs_a_login(client: TestClient) -> None:
    # A token in the address is refused even when it is valid: addresses go to access logs.
    token = (await login(client, "kim", available=False))["Authorization"].removeprefix("Bearer ")
    client.session.cookie_jar.clear()  # the login's session cookie would let the socket in
    for path in ("/api/v1/console/ws", f"/api/v1/console/ws?token={token}"):
        with pytest.raises(WSServerHandshakeError) as refused:
            await client.ws_connect(path)
        assert refused.value.status == 401
        response = await client.get(path)
        assert response.status == 401
        body = await response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
        assert body["error"]["code"] == "unauthorised"


async def test_an_offer_is_pushed_to_the_only_available_agent(client: TestClient) -> None:
    socket, first, _ = await console(client, "kim")
    assert first["type"] == "snapshot"
    assert {"agent", "queues", "queued", "mine"} <= set(first)
    assert first["agent"]["username"] == "kim" and first["agent"]["state"] == "available"
    assert "transport" in {queue["name"] for queue in first["queues"]}
    assert first["queued"] == [] and first["mine"] == []
    assert "overview" not in first

    asked = await citizen_says(client, "citizen-31", "버스에 지갑을 두고 내렸어요. 상담사 연결해 주세요")
    conversation_id = asked["conversation_id"]
    offer, _ = await receive_until(socket, has_mine(conversation_id, "offered"))
    offered = next(c for c in offer["mine"] if c["id"] == conversation_id)
    assert offered["assigned_agent"] == "kim" and offered["queue"] == "transport"
    assert offered["offer_expires_at"] is not None

    await citizen_says(client, "citizen-31", "지갑 색은 검정색입니다")
    frame, _ = await receive_until(socket, is_message_of(conversation_id, "지갑 색은 검정색입니다"))
    assert frame["message"]["author"] == "citizen" and frame["message"]["direction"] == "in"
    await socket.close()


async def test_the_request_for_a_person_itself_reaches_the_console(client: TestClient) -> None:
    socket, _, _ = await console(client, "kim")
    text = "버스에 지갑을 두고 내렸어요. 상담사 연결해 주세요"
    asked = await citizen_says(client, "citizen-32", text)
    frame, _ = await receive_until(socket, is_message_of(asked["conversation_id"], text), timeout=2.0)
    assert frame["message"]["author"] == "citizen"
    await socket.close()


async def test_only_supervisors_get_the_overview(client: TestClient) -> None:
    # Something resolved today, so today's figures are not just zeros.
    asked = await citizen_says(client, "citizen-33", "따릉이 고장 신고 상담사 연결해 주세요")
    kim = await login(client, "kim")
    conversation_id = asked["conversation_id"]
    assert (await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=kim)).status == 200
    resolved = await client.post(
        f"/api/v1/conversations/{conversation_id}/resolve", json={"disposition": "resolved"}, headers=kim
    )
    assert resolved.status == 200, await resolved.text()

    supervisor, first, _ = await console(client, "jung", available=False)
    first = await snapshot_of(supervisor, first)
    assert first["agent"]["role"] == "supervisor"
    overview = first["overview"]
    assert overview["agents_by_state"]["available"] == 1  # kim
    assert overview["agents_by_state"]["offline"] == 6
    assert overview["today"] == {"resolved": 1, "first_contact_resolution": 1.0}
    assert {queue["name"] for queue in overview["queues"]} >= {"transport", "foreign_language"}

    agent, first, _ = await console(client, "lee")
    first = await snapshot_of(agent, first)
    assert "overview" not in first
    await supervisor.close()
    await agent.close()


async def test_agents_see_only_the_queues_of_their_skills(client: TestClient) -> None:
    asked = await citizen_says(client, "citizen-34", "지하철 분실물 상담원 연결해 주세요")
    conversation_id = asked["conversation_id"]
    assert asked["state"] == "queued"  # nobody is available yet

    supervisor, first, _ = await console(client, "jung", available=False)
    first = await snapshot_of(supervisor, first)
    assert conversation_id in [c["id"] for c in first["queued"]]
    transport = next(c for c in first["queued"] if c["id"] == conversation_id)
    assert transport["queue"] == "transport"

    choi, first, _ = await console(client, "choi")  # sign language only
    first = await snapshot_of(choi, first)
    assert first["agent"]["skills"] == ["sign_language"]
    assert conversation_id not in [c["id"] for c in first["queued"]]
    assert first["mine"] == []

    await citizen_says(client, "citizen-34", "아직인가요? 상담원 연결해 주세요")
    seen_by_supervisor, _ = await receive_until(
        supervisor, lambda f: f["type"] == "message" and f["conversation_id"] == conversation_id
    )
    assert seen_by_supervisor["message"]["author"] in ("citizen", "system")
    for frame in await frames_for(choi, 0.5):
        if frame["type"] == "message":
            assert frame["conversation_id"] != conversation_id
        else:
            assert conversation_id not in [c["id"] for c in frame["queued"] + frame["mine"]]
    await supervisor.close()
    await choi.close()


async def test_the_snapshot_comes_first_even_on_a_busy_hub(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    build = console_routes.snapshot

    async def slow_snapshot(hub: Any, agent_id: str) -> Frame:
        frame = await build(hub, agent_id)
        await asyncio.sleep(0.5)  # a loaded database: the snapshot takes a while to build
        return frame

    monkeypatch.setattr(console_routes, "snapshot", slow_snapshot)
    headers = await login(client, "jung", available=False)
    socket = await client.ws_connect("/api/v1/console/ws", headers=headers)
    await citizen_says(client, "citizen-35", "따릉이 대여 방법 알려주세요")  # while the snapshot is built
    first = await socket.receive_json(timeout=TIMEOUT)
    assert first["type"] == "snapshot", first
    await socket.close()


async def test_console_page_and_script_are_served(client: TestClient) -> None:
    page = await client.get("/console/")
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    assert "console.js" in html

    script = await client.get("/console/static/console.js")
    assert script.status == 200
    assert script.content_type in ("application/javascript", "text/javascript")
    assert "/api/v1/console/ws" in await script.text()


async def test_changes_during_a_slow_snapshot_reach_the_console(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_snapshot = console_routes.snapshot

    async def slow_snapshot(hub: Any, agent_id: str) -> Frame:
        frame = await real_snapshot(hub, agent_id)
        await asyncio.sleep(0.3)
        return frame

    monkeypatch.setattr(console_routes, "snapshot", slow_snapshot)
    headers = await login(client, "kim")
    socket = await client.ws_connect("/api/v1/console/ws", headers=headers)
    await socket.receive_json(timeout=TIMEOUT)
    await citizen_says(client, "citizen-a", "상담사 연결해 주세요")
    await asyncio.sleep(0.15)  # the snapshot for the first offer is being built now
    await citizen_says(client, "citizen-b", "상담사 연결해 주세요")
    snapshots = [frame for frame in await frames_for(socket, 2.5) if frame["type"] == "snapshot"]
    assert snapshots, "no snapshot after the offers"
    assert len(snapshots[-1]["mine"]) == 2
    await socket.close()
