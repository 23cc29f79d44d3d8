"""Login throttling and lockout, counted in the database so that every hub process sees them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select, update

from hub.auth import AuthSettings
from hub.core import HUB
from hub.limits import LimitSettings
from hub.security import parse_networks
from model.audit import AuditAction
from model.clock import utcnow
from store import audit
from store.tables import LoginFailureRow
from tests.conftest import DEMO_PASSWORD, hub_app, hub_settings

LOGIN = "/api/v1/auth/login"
RULES = AuthSettings(max_failures=3, max_failures_per_address=7)


@pytest.fixture
async def hubs(database_url: str) -> AsyncIterator[tuple[TestClient, TestClient]]:
    """Two hubs on one database, as two processes behind a balancer, with a low threshold."""
    async with (
        TestClient(TestServer(hub_app(hub_settings(database_url, auth=RULES)))) as first,
        TestClient(TestServer(hub_app(hub_settings(database_url, auth=RULES, load_demo=False)))) as second,
    ):
        yield first, second


async def _login(client: TestClient, username: str, password: str) -> tuple[int, dict[str, Any], str | None]:
    response = await client.post(LOGIN, json={"username": username, "password": password})
    return response.status, await response.json(), response.headers.get("Retry-After")


async def _fail(client: TestClient, username: str, times: int) -> None:
    for _ in range(times):
        assert (await _login(client, username, "wrong-password"))[0] == 401


async def test_a_username_is_locked_after_repeated_failures_whatever_the_password(
    hubs: tuple[TestClient, TestClient],
) -> None:
    client, _ = hubs
    await _fail(client, "kim", 3)
    status, body, retry_after = await _login(client, "kim", DEMO_PASSWORD)
    assert status == 429 and body["error"]["code"] == "too_many_requests"
    assert retry_after is not None and 1 <= int(retry_after) <= 15 * 60
    # The same answer for a wrong password, and for a username nobody has.
    assert (await _login(client, "kim", "wrong-again"))[:2] == (status, body)
    await _fail(client, "ghost", 3)
    ghost = await _login(client, "ghost", "anything")
    assert ghost[:2] == (status, body) and ghost[2] is not None
    # Another agent is not locked.
    assert (await _login(client, "lee", DEMO_PASSWORD))[0] == 200
    async with client.app[HUB].store.read() as session:
        locked = await audit.entries(session, action=AuditAction.LOCKED_OUT)
    assert sorted(entry.target for entry in locked) == ["agent:ghost", "agent:kim"]
    assert all(entry.detail["address"] == "127.0.0.1" and "until" in entry.detail for entry in locked)


async def test_a_lockout_is_seen_by_every_hub_process(hubs: tuple[TestClient, TestClient]) -> None:
    first, second = hubs
    await _fail(first, "kim", 2)
    await _fail(second, "kim", 1)
    assert (await _login(first, "kim", DEMO_PASSWORD))[0] == 429
    assert (await _login(second, "kim", DEMO_PASSWORD))[0] == 429


async def test_a_success_clears_the_usernames_failures(hubs: tuple[TestClient, TestClient]) -> None:
    client, _ = hubs
    await _fail(client, "kim", 2)
    assert (await _login(client, "kim", DEMO_PASSWORD))[0] == 200
    await _fail(client, "kim", 2)
    assert (await _login(client, "kim", DEMO_PASSWORD))[0] == 200


async def _failures_ago(client: TestClient, minutes: int) -> None:
    """Move every failure back in time."""
    async with client.app[HUB].store.write() as session:
        await session.execute(update(LoginFailureRow).values(at=utcnow() - timedelta(minutes=minutes)))


async def test_the_lockout_ends_and_old_failures_are_pruned(hubs: tuple[TestClient, TestClient]) -> None:
    client, _ = hubs
    await _fail(client, "kim", 3)
    assert (await _login(client, "kim", DEMO_PASSWORD))[0] == 429
    await _failures_ago(client, 16)  # the lockout (15 minutes) is over
    assert (await _login(client, "kim", DEMO_PASSWORD))[0] == 200
    # Failures older than a window and a lockout no longer count: the next failure prunes them.
    await _fail(client, "ghost", 3)
    await _failures_ago(client, 31)
    await _fail(client, "lee", 1)
    async with client.app[HUB].store.read() as session:
        assert list(await session.scalars(select(LoginFailureRow.username))) == ["lee"]


async def test_one_address_is_locked_after_failures_across_usernames(hubs: tuple[TestClient, TestClient]) -> None:
    client, _ = hubs
    for username in ("a1", "a2", "a3"):
        await _fail(client, username, 2)
    await _fail(client, "a4", 1)
    status, body, retry_after = await _login(client, "kim", DEMO_PASSWORD)
    assert status == 429 and retry_after is not None
    async with client.app[HUB].store.read() as session:
        counted = await session.scalar(select(func.count()).select_from(LoginFailureRow))
    assert counted == 7  # refused while locked: not counted again, the password not even checked
    async with client.app[HUB].store.read() as session:
        locked = await audit.entries(session, action=AuditAction.LOCKED_OUT)
    assert [(entry.target, entry.detail["username"]) for entry in locked] == [("address:127.0.0.1", "a4")]


async def test_the_address_behind_a_trusted_proxy_is_the_forwarded_one(database_url: str) -> None:
    limits = LimitSettings(trusted_proxies=parse_networks("127.0.0.1"))
    settings = hub_settings(database_url, auth=RULES, limits=limits)
    async with TestClient(TestServer(hub_app(settings))) as client:
        for _ in range(3):
            forwarded = {"X-Forwarded-For": "198.51.100.7"}
            response = await client.post(LOGIN, json={"username": "x", "password": "y"}, headers=forwarded)
            assert response.status == 401
        async with client.app[HUB].store.read() as session:
            addresses = set(await session.scalars(select(LoginFailureRow.address)))
        assert addresses == {"198.51.100.7"}
