"""Rate limits: per sender, per conversation and per client address, with clear 429s and
Retry-After; the client address behind the operator's proxies only."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from channels.registry import configured
from hub.core import HUB
from hub.limits import LimitSettings, Rate, TokenBuckets
from hub.security import parse_networks
from model import Channel
from model.errors import TooManyRequests
from store.tables import MessageRow
from tests.conftest import api_channel_headers, citizen_says, hub_app, hub_settings, login, wait_for
from tests.sockets import receive_until
from tests.standins.telegram import TelegramStandIn
from tests.test_telegram import CHAT, PUBLIC_URL, channel_settings

MESSAGES = "/api/v1/channels/api/messages"
PLENTY = Rate(6000, 1000)


def _client(database_url: str, **limits: Any) -> TestClient:
    settings = hub_settings(
        database_url,
        limits=LimitSettings(**{"per_address": PLENTY, "per_sender": PLENTY, "per_conversation": PLENTY, **limits}),
    )
    return TestClient(TestServer(hub_app(settings)))


async def _post(client: TestClient, sender: str, headers: dict[str, str] | None = None) -> Any:
    body = {"sender": sender, "text": "상담사 연결해 주세요", "message_id": uuid.uuid4().hex}
    return await client.post(MESSAGES, json=body, headers={**api_channel_headers(client), **(headers or {})})


async def _stored(client: TestClient) -> int:
    async with client.app[HUB].store.read() as session:
        return int(await session.scalar(select(func.count()).select_from(MessageRow)) or 0)


async def test_a_sender_sending_too_fast_gets_429_and_nothing_is_stored(database_url: str) -> None:
    async with _client(database_url, per_sender=Rate(60, 3)) as client:
        for _ in range(3):
            assert (await _post(client, "hasty")).status == 200
        stored = await _stored(client)
        refused = await _post(client, "hasty")
        assert refused.status == 429
        assert (await refused.json())["error"]["code"] == "too_many_requests"
        assert 1 <= int(refused.headers["Retry-After"]) <= 2  # one message a second refills
        assert await _stored(client) == stored
        assert (await _post(client, "patient")).status == 200  # another citizen is not held back


async def test_a_conversation_is_limited_but_not_the_agents_replies(database_url: str) -> None:
    async with _client(database_url, per_conversation=Rate(1, 2)) as client:
        first = await citizen_says(client, "busy", "상담사 연결해 주세요")
        await citizen_says(client, "busy", "빨리요")
        refused = await _post(client, "busy")
        assert refused.status == 429 and int(refused.headers["Retry-After"]) >= 30
        kim = await login(client, "kim")
        path = f"/api/v1/conversations/{first['conversation_id']}"
        assert (await client.post(f"{path}/claim", headers=kim)).status == 200
        for number in range(5):
            reply = await client.post(f"{path}/messages", json={"text": f"답변 {number}"}, headers=kim)
            assert reply.status == 201


async def test_one_address_is_limited_at_the_citizens_doors_and_the_login(database_url: str) -> None:
    async with _client(database_url, per_address=Rate(60, 4)) as client:
        for number in range(3):
            assert (await _post(client, f"citizen-{number}")).status == 200
        login_body = {"username": "kim", "password": "wrong"}
        assert (await client.post("/api/v1/auth/login", json=login_body)).status == 401
        refused = await _post(client, "citizen-9")
        assert refused.status == 429 and refused.headers["Retry-After"] == "1"
        assert (await client.post("/api/v1/auth/login", json=login_body)).status == 429
        # The agents' own API is not one of the citizens' doors.
        assert (await client.get("/api/v1/kb/search", params={"q": "여권"})).status == 401


async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(database_url: str) -> None:
    # No trusted proxy: the header is the client's own words, and every request is the peer's.
    async with _client(database_url, per_address=Rate(60, 2)) as client:
        for number in range(2):
            assert (await _post(client, f"c{number}", {"X-Forwarded-For": f"203.0.113.{number}"})).status == 200
        assert (await _post(client, "c9", {"X-Forwarded-For": "203.0.113.9"})).status == 429
    # Behind the named proxy, each forwarded client has its own count; the right-most address
    # not a proxy's is the client (whatever it wrote on the left).
    proxies = parse_networks("127.0.0.0/8, 10.0.0.0/8")
    async with _client(database_url, per_address=Rate(60, 2), trusted_proxies=proxies) as client:
        for number in range(2):
            forwarded = {"X-Forwarded-For": f"198.51.100.1, 203.0.113.{number}, 10.0.0.5"}
            assert (await _post(client, f"c{number}", forwarded)).status == 200
        spoofed = {"X-Forwarded-For": "1.2.3.4, 203.0.113.1, 10.0.0.5"}
        assert (await _post(client, "c5", spoofed)).status == 200
        assert (await _post(client, "c6", spoofed)).status == 429
        assert (await _post(client, "c7", {"X-Forwarded-For": "203.0.113.7"})).status == 200


async def test_the_web_chat_tells_a_hasty_citizen_to_wait(database_url: str) -> None:
    async with _client(database_url, per_sender=Rate(60, 2)) as client:
        socket = await client.ws_connect("/webchat/ws")
        await socket.send_json({"type": "hello", "session": None, "language": "ko"})
        await receive_until(socket, lambda f: f["type"] == "welcome")
        for number in range(3):
            await socket.send_json({"type": "message", "text": f"질문 {number}", "client_id": f"client-{number:04d}"})
        error, seen = await receive_until(socket, lambda f: f["type"] == "error")
        assert error["error"]["code"] == "too_many_requests"
        stored = [f["message"]["client_id"] for f in seen if f["type"] == "message" and "client_id" in f["message"]]
        assert "client-0002" not in stored
        await socket.close()
        async with client.app[HUB].store.read() as session:
            texts = set(await session.scalars(select(MessageRow.text)))
        assert {"질문 0", "질문 1"} <= texts and "질문 2" not in texts


async def test_a_telegram_update_refused_for_its_rate_is_taken_again_not_lost(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Polling confirms an update by asking past it: one refused for its rate is not confirmed."""
    async with TelegramStandIn() as telegram:
        channels = tuple(configured({}, PUBLIC_URL, given={Channel.TELEGRAM: channel_settings(telegram, "polling")}))
        limits = LimitSettings(per_address=PLENTY, per_sender=Rate(60, 1), per_conversation=PLENTY)
        app = hub_app(hub_settings(database_url, channels=channels, limits=limits))
        async with TestClient(TestServer(app)) as client:
            telegram.queue_update(telegram.text_update(CHAT, "첫 번째 질문"))
            telegram.queue_update(telegram.text_update(CHAT, "두 번째 질문"))

            async def both_stored() -> list[str] | None:
                async with client.app[HUB].store.read() as session:
                    texts = list(await session.scalars(select(MessageRow.text).where(MessageRow.direction == "in")))
                return texts if len(texts) >= 2 else None

            texts = await wait_for(both_stored, timeout=10, failure="the refused update did not come again")
            assert sorted(texts) == ["두 번째 질문", "첫 번째 질문"]
        assert any("waits" in record.getMessage() for record in caplog.records), "the second update was not refused"


def test_idle_buckets_are_forgotten_and_memory_stays_bounded() -> None:
    now = [0.0]
    buckets = TokenBuckets(Rate(60, 1), max_buckets=2, clock=lambda: now[0])
    assert buckets.take("a") is None and buckets.take("b") is None
    assert buckets.take("a") == 1.0  # empty: a second until the next token
    assert buckets.take("c") is None  # a third key: the least recently used ("b") goes
    assert len(buckets) == 2
    now[0] = 5.0  # every bucket full again: all forgotten at the next take
    assert buckets.take("d") is None and len(buckets) == 1


def test_retry_after_is_whole_seconds_and_at_least_one() -> None:
    assert TooManyRequests("wait", 0.2).retry_after == 1
    assert TooManyRequests("wait", 2.1).retry_after == 3
