"""The hub's doors: the API channel's key, sessions (lifetime, idle timeout, revocation) and
the headers every response carries, with a browser check that no page breaks its policy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select, update

from channels.registry import configured
from hub.auth import REVOKED_CLOSE_CODE, AuthSettings
from hub.config import CHANNELS_ELSEWHERE, DEFAULT_PUBLIC_URL, Settings
from hub.core import HUB
from hub.security import API_KEY_SECRET
from model.audit import AuditAction
from model.clock import utcnow
from store import audit
from store.tables import AuthTokenRow, SecretRow
from tests.browsers import PageWatch, console_login
from tests.conftest import api_channel_headers, citizen_says, hub_app, hub_settings, login, wait_for
from tests.sockets import TIMEOUT

MESSAGES = "/api/v1/channels/api/messages"


@pytest.fixture
async def hub_pair(database_url: str) -> AsyncIterator[tuple[TestClient, TestClient]]:
    """Two hubs on one database, as two processes behind a balancer."""
    async with (
        TestClient(TestServer(hub_app(hub_settings(database_url)))) as first,
        TestClient(TestServer(hub_app(hub_settings(database_url, load_demo=False)))) as second,
    ):
        yield first, second


# -- the API channel's key ---------------------------------------------------------------


async def test_the_api_channel_refuses_calls_without_its_key(client: TestClient) -> None:
    body = {"sender": "intruder", "text": "안녕하세요", "message_id": "x-1"}
    for headers in ({}, {"Authorization": "Bearer wrong-key"}, {"Authorization": "Basic Zm9vOmJhcg=="}):
        posted = await client.post(MESSAGES, json=body, headers=headers)
        assert posted.status == 401, headers
        assert (await posted.json())["error"]["code"] == "unauthorised"
        read = await client.get(MESSAGES, params={"sender": "citizen-42"}, headers=headers)
        assert read.status == 401
    # Authenticated before the body is read: a malformed body without the key is a 401, not a 400.
    malformed = await client.post(MESSAGES, data=b"{not json", headers={"Content-Type": "application/json"})
    assert malformed.status == 401
    # Nothing was stored for the intruder.
    read = await client.get(MESSAGES, params={"sender": "intruder"}, headers=api_channel_headers(client))
    assert (await read.json())["conversation_id"] is None
    assert (await citizen_says(client, "citizen-42", "따릉이 대여 방법 알려주세요"))["replies"]


async def test_the_hub_makes_one_key_shared_by_its_processes_and_restarts(
    hub_pair: tuple[TestClient, TestClient], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = hub_pair
    key = api_channel_headers(first)
    assert key == api_channel_headers(second)
    posted = await second.post(MESSAGES, json={"sender": "s", "text": "여권", "message_id": "m-1"}, headers=key)
    assert posted.status == 200
    async with TestClient(TestServer(hub_app(hub_settings(database_url, load_demo=False)))) as restarted:
        assert api_channel_headers(restarted) == key
    hub = first.app[HUB]
    async with hub.store.read() as session:
        made = await audit.entries(session, action=AuditAction.API_KEY_MADE)
        stored = list(await session.scalars(select(SecretRow.name)))
    assert len(made) == 1 and made[0].target == "channel:api"
    secret = key["Authorization"].removeprefix("Bearer ")
    assert secret not in str(made[0].to_json())
    assert stored == [API_KEY_SECRET]
    printed = capsys.readouterr().out
    assert f"the API channel's key is {secret}; set DASAN_API_CHANNEL_KEY to choose your own" in printed


async def test_the_configured_key_always_wins(database_url: str) -> None:
    async with TestClient(TestServer(hub_app(hub_settings(database_url)))) as made:
        made_key = api_channel_headers(made)
    channels = tuple(configured({"DASAN_API_CHANNEL_KEY": "operator-chosen-key"}, DEFAULT_PUBLIC_URL))
    async with TestClient(TestServer(hub_app(hub_settings(database_url, channels=channels)))) as client:
        body = {"sender": "s", "text": "여권 재발급", "message_id": "m-1"}
        assert (await client.post(MESSAGES, json=body, headers=made_key)).status == 401
        chosen = {"Authorization": "Bearer operator-chosen-key"}
        assert (await client.post(MESSAGES, json=body, headers=chosen)).status == 200


# -- sessions ----------------------------------------------------------------------------


async def _age_tokens(client: TestClient, **values: object) -> None:
    async with client.app[HUB].store.write() as session:
        await session.execute(update(AuthTokenRow).values(**values))


async def test_a_session_ends_after_its_lifetime(database_url: str) -> None:
    auth = AuthSettings(session_lifetime=timedelta(hours=2))
    async with TestClient(TestServer(hub_app(hub_settings(database_url, auth=auth)))) as client:
        kim = await login(client, "kim", available=False)
        async with client.app[HUB].store.read() as session:
            token = (await session.scalars(select(AuthTokenRow))).one()
        assert token.expires_at - token.created_at == timedelta(hours=2)
        assert (await client.get("/api/v1/me", headers=kim)).status == 200
        await _age_tokens(client, expires_at=utcnow() - timedelta(seconds=1))
        expired = await client.get("/api/v1/me", headers=kim)
        assert expired.status == 401 and "expired" in (await expired.json())["error"]["message"]


async def test_an_idle_session_ends_and_use_keeps_it_alive(client: TestClient) -> None:
    kim = await login(client, "kim", available=False)
    # Used 29 minutes ago: still open, and this request counts as its latest use.
    await _age_tokens(client, last_used_at=utcnow() - timedelta(minutes=29))
    assert (await client.get("/api/v1/me", headers=kim)).status == 200
    async with client.app[HUB].store.read() as session:
        used = (await session.scalars(select(AuthTokenRow.last_used_at))).one()
    assert used is not None and utcnow() - used < timedelta(minutes=1)
    # Another request within the minute writes nothing (the hot path only reads).
    assert (await client.get("/api/v1/me", headers=kim)).status == 200
    async with client.app[HUB].store.read() as session:
        assert (await session.scalars(select(AuthTokenRow.last_used_at))).one() == used
    # 31 minutes without a request: refused.
    await _age_tokens(client, last_used_at=utcnow() - timedelta(minutes=31))
    assert (await client.get("/api/v1/me", headers=kim)).status == 401


async def test_logout_everywhere_ends_every_session_of_the_agent(client: TestClient) -> None:
    phone, desk = await login(client, "kim", available=False), await login(client, "kim", available=False)
    lee = await login(client, "lee", available=False)
    response = await client.post("/api/v1/auth/logout-everywhere", headers=phone)
    assert response.status == 200 and (await response.json()) == {"revoked": 2}
    for headers in (phone, desk):
        assert (await client.get("/api/v1/me", headers=headers)).status == 401
    assert (await client.get("/api/v1/me", headers=lee)).status == 200


async def test_an_admin_revokes_an_agents_sessions_and_their_console_closes(database_url: str) -> None:
    auth = AuthSettings(session_recheck=timedelta(seconds=0.1))
    async with TestClient(TestServer(hub_app(hub_settings(database_url, auth=auth)))) as client:
        kim, admin = await login(client, "kim"), await login(client, "admin", available=False)
        jung = await login(client, "jung", available=False)
        path = "/api/v1/agents/kim/sessions/revoke"
        assert (await client.post(path, headers=jung)).status == 403
        assert (await client.post("/api/v1/agents/nobody/sessions/revoke", headers=admin)).status == 404
        async with client.ws_connect("/api/v1/console/ws", headers=kim) as socket:
            assert (await socket.receive_json(timeout=TIMEOUT))["type"] == "snapshot"
            response = await client.post(path, headers=admin)
            assert response.status == 200 and (await response.json()) == {"revoked": 1}
            while (frame := await socket.receive(timeout=TIMEOUT)).type is WSMsgType.TEXT:
                pass  # snapshots pushed before the recheck
            assert frame.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
            assert socket.close_code == REVOKED_CLOSE_CODE
        assert (await client.get("/api/v1/me", headers=kim)).status == 401
        assert (await client.get("/api/v1/me", headers=admin)).status == 200
        async with client.app[HUB].store.read() as session:
            revoked = await audit.entries(session, action=AuditAction.SESSIONS_REVOKED)
        assert [(e.actor, e.target, e.detail) for e in revoked] == [("agent:admin", "agent:kim", {"sessions": 1})]


async def test_the_token_is_never_taken_from_the_address(client: TestClient) -> None:
    kim = await login(client, "kim", available=False)
    token = kim["Authorization"].removeprefix("Bearer ")
    client.session.cookie_jar.clear()  # the login's session cookie would open the door by itself
    assert (await client.get("/api/v1/me", params={"token": token})).status == 401


# -- headers -----------------------------------------------------------------------------

PAGES = ["/console/", "/console/wallboard/", "/kb/", "/kb/ko/district-002", "/video/", "/webchat/"]


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Every channel that needs no configuration, the sign-language video page's included."""
    return hub_settings(database_url, channels=tuple(configured({}, DEFAULT_PUBLIC_URL, extra=CHANNELS_ELSEWHERE)))


async def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for path in [*PAGES, "/api/v1/me", "/healthz", "/webchat/widget.js", "/console/static/console.js"]:
        response = await client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "same-origin", path
        assert response.headers["X-Frame-Options"] == "DENY", path
    for path in PAGES:
        response = await client.get(path)
        assert response.status == 200 and response.content_type == "text/html", path
        policy = dict(
            (directive.split(" ", 1) + [""])[:2]
            for directive in response.headers["Content-Security-Policy"].split("; ")
        )
        assert policy["default-src"] == "'self'"
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
        assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
        assert policy["frame-ancestors"] == "'none'"
        assert (
            policy["connect-src"].startswith("'self'") and f"ws://{client.host}:{client.port}" in policy["connect-src"]
        )


_COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


async def _violations(page: Page) -> list[str]:
    return list(await page.evaluate("window.__cspViolations || []"))


@pytest.mark.browser
async def test_no_page_breaks_the_content_security_policy(hub_url: str, browser: Browser, shots: Path) -> None:
    watch = PageWatch()
    context = await browser.new_context(locale="ko-KR", viewport={"width": 1400, "height": 1000})
    await context.add_init_script(_COLLECT_VIOLATIONS)
    console_errors: list[str] = []
    try:
        page = watch.watch(await context.new_page(), "pages")
        page.on("console", lambda m: console_errors.append(m.text) if "Content Security Policy" in m.text else None)
        for path in ("/kb/", "/kb/ko/district-002", "/video/", "/webchat/"):
            await page.goto(f"{hub_url}{path}")
            await page.wait_for_load_state("networkidle")
            assert await _violations(page) == [], path
        # The web chat widget opens and talks over its socket.
        await page.get_by_test_id("chat-launcher").click()
        await expect(page.get_by_test_id("chat-input")).to_be_visible()
        # The knowledge pages' language picker submits its form from its one allowed handler.
        await page.goto(f"{hub_url}/kb/")
        await page.get_by_test_id("kb-language").select_option("en")
        await expect(page).to_have_url(f"{hub_url}/kb/?lang=en")
        assert await _violations(page) == []

        # The console, its socket, and the reports tab with the exported report in its frame.
        await console_login(page, hub_url, "jung")
        await page.get_by_test_id("reports-tab").click()
        await expect(page.get_by_test_id("reports-workspace")).to_be_visible()
        await page.wait_for_load_state("networkidle")
        assert await _violations(page) == []
        await page.goto(f"{hub_url}/console/wallboard/")
        await page.wait_for_load_state("networkidle")
        assert await _violations(page) == []
        await page.screenshot(path=str(shots / "csp-wallboard.png"))
    finally:
        await context.close()
    assert console_errors == []
    assert watch.problems == []


async def test_an_open_console_keeps_its_session_from_going_idle(database_url: str) -> None:
    auth = AuthSettings(session_recheck=timedelta(seconds=0.1))
    async with TestClient(TestServer(hub_app(hub_settings(database_url, auth=auth)))) as client:
        kim = await login(client, "kim")
        async with client.ws_connect("/api/v1/console/ws", headers=kim) as socket:
            assert (await socket.receive_json(timeout=TIMEOUT))["type"] == "snapshot"
            await _age_tokens(client, last_used_at=utcnow() - timedelta(minutes=29))

            async def used_lately() -> bool:
                async with client.app[HUB].store.read() as session:
                    used = (await session.scalars(select(AuthTokenRow.last_used_at))).one()
                return used is not None and utcnow() - used < timedelta(minutes=1)

            await wait_for(used_lately, failure="the open console did not count as use")
            assert not socket.closed
