"""Agents' login, tokens, the console cookie and roles."""

from __future__ import annotations

from typing import Literal

import pytest
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher
from sqlalchemy import select

from hub.auth import Auth
from hub.core import Hub
from model.errors import HubError
from store.tables import AgentRow
from tests.conftest import DEMO_PASSWORD, citizen_says, login


async def test_wrong_password_is_refused(client: TestClient) -> None:
    response = await client.post("/api/v1/auth/login", json={"username": "kim", "password": "wrong-password"})
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "unauthorised"
    response = await client.post("/api/v1/auth/login", json={"username": "nobody", "password": DEMO_PASSWORD})
    assert response.status == 401
    response = await client.post("/api/v1/auth/login", json={"username": "kim"})
    assert response.status == 400


async def test_passwords_are_stored_as_argon2_hashes(client: TestClient, hub: Hub) -> None:
    async with hub.store.read() as session:
        hashes = list(await session.scalars(select(AgentRow.password_hash)))
    assert hashes and all(h.startswith("$argon2") and DEMO_PASSWORD not in h for h in hashes)


async def test_agent_endpoints_need_a_token(client: TestClient) -> None:
    for path in ("/api/v1/conversations", "/api/v1/me", "/api/v1/kb/search?q=여권", "/api/v1/queues"):
        response = await client.get(path)
        assert response.status == 401, path
    response = await client.get("/api/v1/me", headers={"Authorization": "Bearer forged"})
    assert response.status == 401


async def test_roles(client: TestClient) -> None:
    agent = await login(client, "kim", available=False)
    supervisor = await login(client, "jung", available=False)
    assert (await client.get("/api/v1/stats/summary", headers=agent)).status == 200  # their own figures
    assert (await client.get("/api/v1/supervisor/overview", headers=agent)).status == 403
    assert (await client.get("/api/v1/stats/summary", headers=supervisor)).status == 200
    assert (await client.get("/api/v1/agents", headers=supervisor)).status == 200
    assert (await client.patch("/api/v1/queues/transport", json={"sla_seconds": 30}, headers=supervisor)).status == 403


async def test_console_cookie_needs_the_csrf_header_for_changes(client: TestClient) -> None:
    response = await client.post("/api/v1/auth/login", json={"username": "kim", "password": DEMO_PASSWORD})
    assert "dasan_session" in response.cookies
    assert response.cookies["dasan_session"]["httponly"]
    # The test client keeps the cookie like a browser would.
    assert (await client.get("/api/v1/me")).status == 200
    forged = await client.post("/api/v1/me/state", json={"state": "available"})
    assert forged.status == 403
    allowed = await client.post(
        "/api/v1/me/state", json={"state": "available"}, headers={"X-Requested-With": "dasan-console"}
    )
    assert allowed.status == 200 and (await allowed.json())["state"] == "available"
    await client.post("/api/v1/auth/logout", headers={"X-Requested-With": "dasan-console"})
    assert (await client.get("/api/v1/me")).status == 401


async def test_presence_and_busy(client: TestClient) -> None:
    kim = await login(client, "kim")
    bad = await client.post("/api/v1/me/state", json={"state": "sleeping"}, headers=kim)
    assert bad.status == 400
    ids = [(await citizen_says(client, f"c{n}", "버스 상담사 연결해 주세요"))["conversation_id"] for n in range(3)]
    for conversation_id in ids:
        response = await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=kim)
        assert response.status == 200, await response.text()
    me = await (await client.get("/api/v1/me", headers=kim)).json()
    assert (me["state"], me["active_conversations"]) == ("busy", 3)
    fourth = await citizen_says(client, "c9", "버스 상담사 연결해 주세요")
    full = await client.post(f"/api/v1/conversations/{fourth['conversation_id']}/claim", headers=kim)
    assert full.status == 409


class CountingHasher(PasswordHasher):
    """Argon2 as the hub uses it, counting the passwords it checks."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024)
        self.checked = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.checked += 1
        return super().verify(hash, password)


async def test_an_unknown_username_costs_the_hashing_a_wrong_password_costs(hub: Hub) -> None:
    """Otherwise the response time tells an attacker which usernames exist."""
    hasher = CountingHasher()
    auth = Auth(hub.store, hasher)
    for username in ("kim", "nobody"):
        with pytest.raises(HubError) as refused:
            await auth.login(username, "wrong-password", "192.0.2.1")
        assert refused.value.status == 401 and refused.value.message == "Wrong username or password."
    assert hasher.checked == 2
    assert (await auth.login("kim", DEMO_PASSWORD, "192.0.2.1")).agent.username == "kim"
