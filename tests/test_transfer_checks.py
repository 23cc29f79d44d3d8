"""Transfers check their target: a named agent takes the conversation only when the router could
have chosen them (available, the queue's skill, the language or machine translation, free
capacity); only the agent holding a conversation, or a supervisor, transfers it."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.conftest import citizen_says, hub_app, hub_settings, login
from tests.standins.libretranslate import API_KEY, LibreTranslateStandIn
from translation.backends import LibreTranslate
from translation.engine import EngineSettings

TRANSPORT = "버스 노선 문의 상담사 연결해 주세요"
CHINESE = "我要转人工客服"


async def _queued(client: TestClient, sender: str, text: str = TRANSPORT) -> str:
    return (await citizen_says(client, sender, text))["conversation_id"]


async def _claim(client: TestClient, headers: dict[str, str], conversation_id: str) -> None:
    claimed = await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=headers)
    assert claimed.status == 200, await claimed.text()


async def _available(client: TestClient, headers: dict[str, str]) -> None:
    assert (await client.post("/api/v1/me/state", json={"state": "available"}, headers=headers)).status == 200


async def _transfer(client: TestClient, headers: dict[str, str], conversation_id: str, **target: str) -> Any:
    response = await client.post(f"/api/v1/conversations/{conversation_id}/transfer", json=target, headers=headers)
    return response.status, await response.json()


async def _still_held(client: TestClient, supervisor: dict[str, str], conversation_id: str, holder: str) -> None:
    """A refused transfer wrote nothing: the same agent holds it and no transfer is in its events."""
    path = f"/api/v1/conversations/{conversation_id}"
    found = await (await client.get(path, headers=supervisor)).json()
    assert (found["state"], found["assigned_agent"]) == ("assigned", holder)
    events = (await (await client.get(f"{path}/events", headers=supervisor)).json())["events"]
    assert "transferred" not in [event["type"] for event in events]


async def test_a_named_agent_must_exist_be_available_skilled_and_free(client: TestClient) -> None:
    supervisor = await login(client, "jung", available=False)
    kim = await login(client, "kim", available=False)
    park = await login(client, "park", available=False)
    lee = await login(client, "lee", available=False)
    held = await _queued(client, "c-held")
    parks = [await _queued(client, f"c-park-{n}") for n in range(3)]
    await _claim(client, kim, held)
    for conversation_id in parks:
        await _claim(client, park, conversation_id)

    status, body = await _transfer(client, kim, held, agent="ghost")
    assert (status, body["error"]["code"]) == (422, "unknown_agent") and "ghost" in body["error"]["message"]

    # park is on break (logged in, not available).
    status, body = await _transfer(client, kim, held, agent="park")
    assert (status, body["error"]["code"]) == (409, "target_unavailable")
    assert "park" in body["error"]["message"] and "offline" in body["error"]["message"]

    await _available(client, lee)  # district, city and other: not transport
    status, body = await _transfer(client, kim, held, agent="lee")
    assert (status, body["error"]["code"]) == (409, "target_no_skill") and "transport" in body["error"]["message"]

    await _available(client, park)  # transport, but three chats already: the demo's capacity
    status, body = await _transfer(client, kim, held, agent="park")
    assert (status, body["error"]["code"]) == (409, "target_at_capacity") and "chat" in body["error"]["message"]
    await _still_held(client, supervisor, held, "kim")

    resolved = await client.post(
        f"/api/v1/conversations/{parks[0]}/resolve", json={"disposition": "resolved"}, headers=park
    )
    assert resolved.status == 200
    status, body = await _transfer(client, kim, held, agent="park")
    assert status == 200 and (body["state"], body["assigned_agent"]) == ("assigned", "park")
    events = (await (await client.get(f"/api/v1/conversations/{held}/events", headers=park)).json())["events"]
    transfer = [event for event in events if event["type"] == "transferred"]
    assert [(event["actor"], event["data"]["to_agent"]) for event in transfer] == [("agent:kim", "park")]


async def test_the_target_must_speak_the_language(client: TestClient) -> None:
    supervisor = await login(client, "jung", available=False)
    chinese = await _queued(client, "c-zh", CHINESE)
    await _claim(client, supervisor, chinese)
    await login(client, "nguyen")  # foreign_language; Korean, Vietnamese, English
    status, body = await _transfer(client, supervisor, chinese, agent="nguyen")
    assert (status, body["error"]["code"]) == (409, "target_no_language") and "'zh'" in body["error"]["message"]
    await _still_held(client, supervisor, chinese, "jung")
    await login(client, "park")  # foreign_language, speaks Chinese
    status, body = await _transfer(client, supervisor, chinese, agent="park")
    assert status == 200 and body["assigned_agent"] == "park"


@pytest.fixture
async def libre() -> AsyncIterator[LibreTranslateStandIn]:
    async with LibreTranslateStandIn() as server:
        yield server


async def test_machine_translation_bridges_the_language(database_url: str, libre: LibreTranslateStandIn) -> None:
    engine = EngineSettings(libre.base_url, API_KEY, timeout_seconds=2.0)
    settings = dataclasses.replace(
        hub_settings(database_url), translation_engines=(lambda http: LibreTranslate(engine, http),)
    )
    async with TestClient(TestServer(hub_app(settings))) as client:
        supervisor = await login(client, "jung", available=False)
        chinese = await _queued(client, "c-zh-mt", CHINESE)
        await _claim(client, supervisor, chinese)
        await login(client, "nguyen")
        status, body = await _transfer(client, supervisor, chinese, agent="nguyen")
        assert status == 200 and body["assigned_agent"] == "nguyen"


async def test_only_the_holder_or_a_supervisor_transfers(client: TestClient) -> None:
    supervisor = await login(client, "jung", available=False)
    kim = await login(client, "kim", available=False)
    park = await login(client, "park", available=False)
    held = await _queued(client, "c-kims")
    waiting = await _queued(client, "c-waiting")
    await _claim(client, kim, held)

    # park has the transport skill, but kim holds it: not park's to read, nor to move.
    status, body = await _transfer(client, park, held, queue="district")
    assert status == 403
    await _still_held(client, supervisor, held, "kim")
    # Waiting in park's queue: park reads it, but only a supervisor moves what nobody holds.
    assert (await client.get(f"/api/v1/conversations/{waiting}", headers=park)).status == 200
    status, body = await _transfer(client, park, waiting, queue="district")
    assert status == 403 and "holding" in body["error"]["message"]
    status, body = await _transfer(client, supervisor, waiting, queue="water")
    assert status == 200 and (body["state"], body["queue"]) == ("queued", "water")

    status, body = await _transfer(client, kim, held, queue="nowhere")
    assert (status, body["error"]["code"]) == (400, "unknown_queue")
    await _still_held(client, supervisor, held, "kim")
    status, body = await _transfer(client, kim, held, queue="district")
    assert status == 200 and (body["state"], body["queue"]) == ("queued", "district")
    # Now waiting in kim's district queue: kim still reads it but holds it no longer.
    status, body = await _transfer(client, kim, held, queue="city")
    assert status == 403
    status, body = await _transfer(client, supervisor, held, queue="city")
    assert status == 200 and body["queue"] == "city"
