"""The outbox through a real provider client: outages and hub restarts lose and repeat nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from channels.registry import configured
from channels.telegram.settings import Settings as TelegramSettings
from hub.delivery import OutboxSettings
from model import Channel
from tests.conftest import hub_app, hub_settings, login, wait_for
from tests.standins.telegram import SECRET, TOKEN, TelegramStandIn, post_update

FAST_RETRIES = OutboxSettings(first_retry_seconds=0.2, max_retry_seconds=1.0, sweep_seconds=0.1, max_attempts=50)


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramStandIn]:
    async with TelegramStandIn() as stand_in:
        yield stand_in


@asynccontextmanager
async def running_hub(database_url: str, telegram: TelegramStandIn) -> AsyncIterator[TestClient]:
    settings = TelegramSettings(
        token=TOKEN, secret=SECRET, mode="webhook", api_base_url=telegram.base_url,
        public_url="https://hub.example.test",
    )  # fmt: skip
    app = hub_app(
        hub_settings(
            database_url,
            outbox=FAST_RETRIES,
            load_demo=True,
            channels=tuple(configured({}, settings.public_url, given={Channel.TELEGRAM: settings})),
        )
    )
    async with TestClient(TestServer(app)) as client:
        yield client


async def _assigned_conversation(client: TestClient, telegram: TelegramStandIn, chat: int) -> tuple[str, dict]:
    """A Telegram citizen who asked for a person, taken by kim; returns its id and kim's headers."""
    response = await post_update(client, telegram.text_update(chat, "상담사 연결해 주세요"))
    assert response.status == 200
    kim = await login(client, "kim", available=False)
    listed = await client.get("/api/v1/conversations", params={"state": "queued"}, headers=kim)
    conversation_id = (await listed.json())["conversations"][0]["id"]
    claimed = await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=kim)
    assert claimed.status == 200
    return conversation_id, kim


def _texts_to(telegram: TelegramStandIn, chat: int) -> list[str]:
    return [message["text"] for message in telegram.sent if message["chat"]["id"] == chat]


async def _statuses(client: TestClient, headers: dict, conversation_id: str) -> dict[str, str]:
    response = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=headers)
    return {m["text"]: m["status"] for m in (await response.json())["messages"] if m["author"] == "agent"}


async def test_replies_survive_a_provider_outage_once_and_in_order(
    database_url: str, telegram: TelegramStandIn
) -> None:
    chat = 7_000_001
    async with running_hub(database_url, telegram) as client:
        conversation_id, kim = await _assigned_conversation(client, telegram, chat)
        await telegram.wait_sent(2)  # the queue notice and "counsellor joined" went out
        replies = [f"답변 {n}: 확인해 드리겠습니다." for n in range(1, 7)]
        for text in replies[:2]:
            await client.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": text}, headers=kim)
        await wait_for(lambda: replies[1] in _texts_to(telegram, chat))
        await telegram.stop()  # the provider goes away mid-conversation
        for text in replies[2:]:
            await client.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": text}, headers=kim)

        async def retrying() -> bool:
            statuses = await _statuses(client, kim, conversation_id)
            return all(statuses[text] == "queued" for text in replies[2:])

        await wait_for(retrying)
        await asyncio.sleep(0.5)  # several retries fail meanwhile
        await telegram.start()

        async def all_sent() -> bool:
            return all(status == "sent" for status in (await _statuses(client, kim, conversation_id)).values())

        await wait_for(all_sent, timeout=15)
        assert [text for text in _texts_to(telegram, chat) if text.startswith("답변")] == replies


async def test_pending_replies_go_out_after_the_hub_restarts(database_url: str, telegram: TelegramStandIn) -> None:
    chat = 7_000_002
    async with running_hub(database_url, telegram) as client:
        conversation_id, kim = await _assigned_conversation(client, telegram, chat)
        await telegram.wait_sent(2)
        await telegram.stop()
        for n in (1, 2, 3):
            await client.post(
                f"/api/v1/conversations/{conversation_id}/messages", json={"text": f"재시작 전 답변 {n}"}, headers=kim
            )

        async def tried() -> Any:
            response = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=kim)
            messages = (await response.json())["messages"]
            return any(m["error"] for m in messages if m["author"] == "agent")

        await wait_for(tried)  # the outbox tried and recorded why it failed
    # The hub is down; the provider comes back; the hub starts again on the same database.
    await telegram.start()
    async with running_hub(database_url, telegram) as client:
        kim = await login(client, "kim", available=False)

        async def delivered() -> bool:
            statuses = await _statuses(client, kim, conversation_id)
            return len(statuses) == 3 and all(status == "sent" for status in statuses.values())

        await wait_for(delivered, timeout=15)
        assert [t for t in _texts_to(telegram, chat) if t.startswith("재시작")] == [
            "재시작 전 답변 1",
            "재시작 전 답변 2",
            "재시작 전 답변 3",
        ]
