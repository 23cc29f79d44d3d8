"""Shared fixtures: the hub on a real SQLite file and on a real PostgreSQL database."""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web, web_app
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, async_playwright

from channels.api.inbound import ApiInbound
from hub.app import Resources, create_app
from hub.config import Settings
from hub.core import HUB, Hub
from model import Channel
from router.routing import RouterSettings
from store.db import Store
from tests.browsers import CHROMIUM, CHROMIUM_ARGS, SHOTS_ENV, serving

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
DEMO_PASSWORD = "dasan120"


@pytest.fixture(autouse=True)
def forget_finished_apps() -> Iterator[None]:
    """aiohttp caches each handler with its middlewares (up to 1024, keyed by the app), which
    keeps every finished test's hub alive; one app per process never notices, a test run
    that builds hundreds does (gigabytes)."""
    yield
    web_app._cached_build_middleware.cache_clear()


def _postgres_url(name: str) -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def _postgres(statement: str) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


async def _migrate(url: str) -> None:
    store = Store(url)
    try:
        await store.migrate()
    finally:
        await store.close()


class Templates:
    """A database of each engine migrated once for the whole run, made when first asked for:
    a test's database is a copy (migrating anew costs more than most tests, and on PostgreSQL
    a second or more)."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._sqlite: Path | None = None
        self.postgres: str | None = None

    async def sqlite_copy(self, path: Path) -> str:
        if self._sqlite is None:
            self._sqlite = self._folder / "hub.db"
            await _migrate(f"sqlite+aiosqlite:///{self._sqlite}")
        shutil.copyfile(self._sqlite, path)
        return f"sqlite+aiosqlite:///{path}"

    async def postgres_copy(self, name: str) -> str:
        if self.postgres is None:
            template = f"dasan_template_{uuid.uuid4().hex[:12]}"
            await _postgres(f'CREATE DATABASE "{template}"')
            await _migrate(_postgres_url(template))  # closed again: a template must have no connections
            self.postgres = template
        await _postgres(f'CREATE DATABASE "{name}" TEMPLATE "{self.postgres}"')
        return _postgres_url(name)


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    made = Templates(tmp_path_factory.mktemp("templates"))
    yield made
    if made.postgres is not None:
        asyncio.run(_postgres(f'DROP DATABASE IF EXISTS "{made.postgres}" WITH (FORCE)'))


ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path, templates: Templates) -> AsyncIterator[str]:
    """A fresh database on each engine the hub supports, migrated to the newest schema."""
    if request.param == "sqlite":
        yield await templates.sqlite_copy(tmp_path / "hub.db")
        return
    name = f"dasan_test_{uuid.uuid4().hex[:12]}"
    yield await templates.postgres_copy(name)
    await _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=ENGINES)
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database on each engine: for tests of the migrations themselves."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
        return
    name = f"dasan_test_{uuid.uuid4().hex[:12]}"
    await _postgres(f'CREATE DATABASE "{name}"')
    yield _postgres_url(name)
    await _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def hub_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for a hub under test: fast router clock, demo data loaded."""
    router = overrides.pop("router", RouterSettings(sweep_interval_seconds=0.1, offer_timeout_seconds=30))
    overrides.setdefault("argon2_memory_kib", 1024)
    overrides.setdefault("argon2_time_cost", 1)
    return Settings(database_url=database_url, router=router, **overrides)


@functools.cache
def resources() -> Resources:
    """Loaded once for the whole run, as one hub process loads them once."""
    return Resources.load()


def hub_app(settings: Settings) -> web.Application:
    """The hub app for `settings`, sharing the run's resources."""
    return create_app(settings, resources())


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """The store alone, migrated, on each engine: for tests below the HTTP API."""
    opened = Store(database_url)
    await opened.migrate()
    yield opened
    await opened.close()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return hub_settings(database_url)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[TestClient]:
    """An HTTP client on a running hub with the demo agents and knowledge base."""
    async with TestClient(TestServer(hub_app(settings))) as test_client:
        yield test_client


@pytest.fixture
async def sqlite_client(tmp_path: Path, templates: Templates) -> AsyncIterator[TestClient]:
    """A hub on SQLite alone: for what does not depend on the database engine."""
    url = await templates.sqlite_copy(tmp_path / "hub.db")
    async with TestClient(TestServer(hub_app(hub_settings(url)))) as test_client:
        yield test_client


@pytest.fixture
def hub(client: TestClient) -> Hub:
    return client.app[HUB]


async def login(client: TestClient, username: str, available: bool = True) -> dict[str, str]:
    """Bearer headers for a demo agent, optionally set available."""
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status == 200, await response.text()
    headers = {"Authorization": f"Bearer {(await response.json())['token']}"}
    if available:
        response = await client.post("/api/v1/me/state", json={"state": "available"}, headers=headers)
        assert response.status == 200
    return headers


def api_channel_headers(client: TestClient) -> dict[str, str]:
    """The API channel's key as its calls carry it (the key the running hub made or was given)."""
    inbound = client.app[HUB].channels[Channel.API].inbound
    assert isinstance(inbound, ApiInbound) and inbound.key
    return {"Authorization": f"Bearer {inbound.key}"}


async def citizen_says(
    client: TestClient, sender: str, text: str, message_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    """Post a citizen's message on the API channel and return the hub's answer."""
    body = {"sender": sender, "text": text, "message_id": message_id or uuid.uuid4().hex, **extra}
    response = await client.post("/api/v1/channels/api/messages", json=body, headers=api_channel_headers(client))
    assert response.status == 200, await response.text()
    return await response.json()


async def wait_for(
    predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.05, failure: str = "condition not reached"
) -> Any:
    """Poll `predicate` (plain or async) until it returns something truthy, and return that."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{failure} within {timeout:g} s")
        await asyncio.sleep(interval)


@pytest.fixture(scope="session")
def repo_root() -> Iterator[Path]:
    yield Path(__file__).resolve().parent.parent


@pytest.fixture
async def hub_url(tmp_path: Path, repo_root: Path) -> AsyncIterator[str]:
    """A real `dasan serve` on a free port and an empty SQLite file (demo data loads)."""
    async with serving(tmp_path, repo_root) as url:
        yield url


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where a browser test saves its end-of-story screenshots: $DASAN_BROWSER_SHOTS, else its tmp_path."""
    folder = Path(os.environ.get(SHOTS_ENV) or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            await chromium.close()
