"""What the browser tests share: Debian's Chromium, a real `dasan serve` on a free port,
a watch for page errors, the console's login, and axe-core's serious findings."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import aiohttp
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Dialog, Page, expect

from tests.services import free_port
from tests.standins.telegram import SECRET as TELEGRAM_SECRET
from tests.standins.telegram import TelegramStandIn
from tests.standins.twilio import TwilioStandIn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "dasan120"
API_CHANNEL_KEY = "browser-tests-api-channel-key"
"""The API channel's key every `dasan serve` under test is given (DASAN_API_CHANNEL_KEY)."""
API_CHANNEL_AUTH = {"Authorization": f"Bearer {API_CHANNEL_KEY}"}
SHOTS_ENV = "DASAN_BROWSER_SHOTS"  # a folder for the end-of-story screenshots; else the test's tmp_path


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the hub exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the hub did not answer /healthz in {timeout} s:\n{log.read_text(errors='replace')}")


def need_chromium() -> None:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is not installed")


@asynccontextmanager
async def serving(tmp_path: Path, repo_root: Path, extra_env: dict[str, str] | None = None) -> AsyncIterator[str]:
    """A real `dasan serve` on a free port, healthy, until the block ends; yields its URL.
    Waits and stops in a thread: the hub may call stand-ins that run in this event loop."""
    need_chromium()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process, log = _start_hub(tmp_path, repo_root, port, {"DASAN_PUBLIC_URL": url, **(extra_env or {})})
    try:
        await asyncio.to_thread(_wait_healthy, url, process, log)
        yield url
    finally:
        await asyncio.to_thread(_stop_hub, process, log)


def _start_hub(
    tmp_path: Path, repo_root: Path, port: int, extra_env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], Path]:
    """`dasan serve` on `port` with an empty SQLite file (demo data loads); its output goes to a log."""
    log = tmp_path / "hub.log"
    env = {
        **os.environ,
        "DASAN_OFFER_TIMEOUT_SECONDS": "600",
        "PYTHONUNBUFFERED": "1",
        "DASAN_API_CHANNEL_KEY": API_CHANNEL_KEY,
        **extra_env,
    }
    env.pop("DASAN_DATABASE_URL", None)
    dasan = Path(sys.executable).with_name("dasan")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(dasan),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--database",
                f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
            ],
            cwd=repo_root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, log


def _stop_hub(process: subprocess.Popen[bytes], log: Path) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    # Shown by pytest only when the test fails.
    print(f"---- hub log ({log}) ----", file=sys.stderr)
    print(log.read_text(errors="replace")[-20_000:], file=sys.stderr)


class PageWatch:
    """Fails the test on any dialog (alert from injected script) or uncaught page error."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def watch(self, page: Page, who: str) -> Page:
        async def on_dialog(dialog: Dialog) -> None:
            self.problems.append(f"{who}: unexpected {dialog.type} dialog: {dialog.message!r}")
            await dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: self.problems.append(f"{who}: page error: {error}"))
        return page


async def console_login(page: Page, url: str, username: str) -> None:
    await page.goto(f"{url}/console/")
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("agent-name")).to_contain_text(f"({username})")
    await expect(page.get_by_test_id("ws-status")).to_have_attribute("data-state", "connected")


async def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page, one line each (rule, impact,
    where, why): what the citizens' pages must not have."""
    results = await Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}) at {node['target']}: {node['failureSummary']}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
        for node in violation["nodes"]
    ]


class StaffApi:
    """A member of staff's own REST session (a bearer token), beside the console's cookie session."""

    def __init__(self, http: aiohttp.ClientSession, url: str, token: str) -> None:
        self._http = http
        self._url = url
        self._headers = {"Authorization": f"Bearer {token}"}

    @classmethod
    async def login(cls, http: aiohttp.ClientSession, url: str, username: str) -> Self:
        body = {"username": username, "password": PASSWORD}
        async with http.post(f"{url}/api/v1/auth/login", json=body) as response:
            assert response.status == 200, await response.text()
            return cls(http, url, (await response.json())["token"])

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The JSON answer of a call that must succeed."""
        async with self._http.request(method, self._url + path, json=body, headers=self._headers) as response:
            answer = await response.json()
            assert response.status < 300, (method, path, response.status, answer)
            return answer


HUB_NUMBER = "+8215880120"
"""The hub's SMS number in the provider-backed hub."""
KAKAO_SKILL_TOKEN = "kakao-skill-browser-7Qm2v9LpR4tZ8wK3"
KAKAO_BOT_ID = "dasan-bot-0001"


@dataclass
class ProviderHub:
    """A real `dasan serve` with its SMS, Telegram and KakaoTalk channels on, and the stand-ins
    for Twilio and Telegram it talks to (they run in the test's event loop; Kakao needs none:
    the hub only answers Kakao's skill requests)."""

    url: str
    twilio: TwilioStandIn
    telegram: TelegramStandIn


@asynccontextmanager
async def serving_with_providers(tmp_path: Path, repo_root: Path) -> AsyncIterator[ProviderHub]:
    """`serving` with every citizen channel on, once the hub has set its Telegram webhook."""
    async with TwilioStandIn() as twilio, TelegramStandIn() as telegram:
        env = {
            "DASAN_TWILIO_ACCOUNT_SID": twilio.account_sid,
            "DASAN_TWILIO_AUTH_TOKEN": twilio.auth_token,
            "DASAN_TWILIO_FROM": HUB_NUMBER,
            "DASAN_TWILIO_API_BASE_URL": twilio.base_url,
            "DASAN_TWILIO_SENDS_PER_SECOND": "50",  # a long code's 1 a second would only slow the test
            "DASAN_TELEGRAM_TOKEN": telegram.token,
            "DASAN_TELEGRAM_SECRET": TELEGRAM_SECRET,
            "DASAN_TELEGRAM_API_BASE_URL": telegram.base_url,
            "DASAN_KAKAO_SKILL_TOKEN": KAKAO_SKILL_TOKEN,
            "DASAN_KAKAO_BOT_ID": KAKAO_BOT_ID,
        }
        async with serving(tmp_path, repo_root, env) as url:
            deadline = time.monotonic() + 10
            while not telegram.webhook:
                if time.monotonic() > deadline:
                    raise RuntimeError("the hub never set its Telegram webhook")
                await asyncio.sleep(0.05)
            yield ProviderHub(url, twilio, telegram)
