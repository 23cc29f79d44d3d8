"""The whole story in a real browser: a citizen in the web chat widget, an agent in the console.

The hub runs as it does in production (`dasan serve` in its own process, SQLite file, demo
data); Debian's Chromium is driven through Playwright with one browser context per person.
Screenshots of the end of the story go to $DASAN_BROWSER_SHOTS when set (else the test's tmp_path).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    Dialog,
    Locator,
    Page,
    async_playwright,
    expect,
)

pytestmark = pytest.mark.browser

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
SHOTS_ENV = "DASAN_BROWSER_SHOTS"  # a folder for the end-of-story screenshots; else the test's tmp_path
TIMEOUT_MS = 10_000

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'

expect.set_options(timeout=TIMEOUT_MS)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


@pytest.fixture
def hub_url(tmp_path: Path, repo_root: Path) -> Iterator[str]:
    """A real `dasan serve` on a free port and an empty SQLite file (demo data loads)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is not installed")
    port = _free_port()
    log = tmp_path / "hub.log"
    env = {**os.environ, "DASAN_OFFER_TIMEOUT_SECONDS": "600", "PYTHONUNBUFFERED": "1"}
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
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        # Shown by pytest only when the test fails.
        print(f"---- hub log ({log}) ----", file=sys.stderr)
        print(log.read_text(errors="replace")[-20_000:], file=sys.stderr)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            await chromium.close()


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


async def _person(browser: Browser, watch: PageWatch, who: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(
        locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 1400, "height": 900}
    )
    page = await context.new_page()
    return context, watch.watch(page, who)


async def _console_login(page: Page, url: str, username: str) -> None:
    await page.goto(f"{url}/console/")
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("agent-name")).to_contain_text(f"({username})")
    await expect(page.get_by_test_id("ws-status")).to_have_attribute("data-state", "connected")


async def _citizen_says(page: Page, text: str) -> None:
    await page.get_by_test_id("chat-input").fill(text)
    await page.get_by_test_id("chat-send").click()
    # The hub's echo replaces the pending bubble.
    await expect(_chat(page, "citizen", settled=True).filter(has_text=text).last).to_be_visible()


def _chat(page: Page, author: str, settled: bool = False) -> Locator:
    """Widget messages by author; `settled`: only those the hub has stored (not pending bubbles)."""
    stored = "[data-message-id]" if settled else ""
    return page.locator(f"[data-testid=chat-message][data-author={author}]{stored}")


def _console_messages(page: Page, author: str) -> Locator:
    return page.get_by_test_id("message-list").locator(f"[data-testid=message][data-author={author}]")


def _texts(url: str) -> dict[str, str]:
    """The widget's Korean texts as the hub serves them (they override the built-in ones)."""
    with urllib.request.urlopen(f"{url}/webchat/i18n/ko.json", timeout=5) as response:
        return json.load(response)


async def test_citizen_and_agent_story(hub_url: str, browser: Browser, tmp_path: Path) -> None:
    watch = PageWatch()
    shots = Path(os.environ.get(SHOTS_ENV) or tmp_path / "shots")
    texts = _texts(hub_url)
    queue_status = re.compile(re.escape(texts["widget.queue_position"]).replace(re.escape("{position}"), r"\d+"))

    # -- the agent logs in and becomes available -----------------------------------------
    agent_context, agent = await _person(browser, watch, "agent")
    await _console_login(agent, hub_url, "kim")
    await agent.get_by_test_id("presence-select").select_option("available")
    await expect(agent.get_by_test_id("presence-select")).to_have_attribute("data-state", "available")
    await expect(agent.get_by_test_id("my-list")).to_contain_text("배정된 상담이 없습니다")

    # -- the citizen opens the widget on the city page; the bot answers --------------------
    citizen_context, citizen = await _person(browser, watch, "citizen")
    await citizen.goto(f"{hub_url}/webchat/")
    await expect(citizen.get_by_test_id("chat-panel")).to_be_hidden()
    await citizen.get_by_test_id("chat-launcher").click()
    await expect(citizen.get_by_test_id("chat-panel")).to_be_visible()
    question = "따릉이 대여 방법 알려주세요"
    await _citizen_says(citizen, question)
    bot_answer = _chat(citizen, "bot").filter(has_text="따릉이")
    await expect(bot_answer).to_have_count(1)
    await expect(citizen.get_by_test_id("chat-status")).to_be_hidden()

    # -- the citizen taps "상담사 연결": queue position and a system notice -----------------
    quick_reply = bot_answer.get_by_test_id("chat-action")
    await expect(quick_reply).to_have_text("상담사 연결")
    await quick_reply.click()
    ask = "상담사 연결"
    await expect(_chat(citizen, "citizen", settled=True).filter(has_text=ask)).to_have_count(1)
    await expect(citizen.get_by_test_id("chat-status")).to_be_visible()
    await expect(citizen.get_by_test_id("chat-status")).to_have_text(queue_status)
    await expect(_chat(citizen, "system").filter(has_text="상담사 연결을 요청했습니다")).to_have_count(1)

    # -- the console is told over its WebSocket: the offer to kim, without a reload ------
    offer = agent.get_by_test_id("my-list").get_by_test_id("conversation-item")
    try:
        await expect(offer).to_have_count(1)
    except AssertionError as error:
        queued = await agent.get_by_test_id("queued-list").inner_text()
        hub_says = await (await agent.request.get(f"{hub_url}/api/v1/conversations?mine=1")).json()
        states = [(c["state"], c["assigned_agent"]) for c in hub_says["conversations"]]
        raise AssertionError(
            f"the offer never reached kim's list; the console's queued list shows {queued!r}, the hub says "
            f"kim has {states}. If the hub has offered it, a console snapshot was lost (hub/console/routes.py "
            "`_push` drops changes that arrive while a snapshot is being built)."
        ) from error
    await expect(offer).to_have_attribute("data-state", "offered")
    await expect(offer).to_contain_text("웹채팅")
    await offer.get_by_test_id("claim-button").click()
    await expect(agent.get_by_test_id("conversation-view")).to_be_visible()
    await expect(agent.get_by_test_id("conversation-state")).to_have_attribute("data-state", "assigned")
    await expect(offer).to_have_attribute("data-state", "assigned")
    await expect(_console_messages(agent, "citizen").filter(has_text=question)).to_have_count(1)
    await expect(_console_messages(agent, "citizen").filter(has_text=ask)).to_have_count(1)
    await expect(_console_messages(agent, "bot").filter(has_text="따릉이")).to_have_count(1)

    # -- the citizen is told an agent joined ---------------------------------------------
    await expect(citizen.get_by_test_id("chat-status")).to_have_text(texts["widget.agent_joined"])
    await expect(_chat(citizen, "system").filter(has_text="상담사가 연결되었습니다")).to_have_count(1)

    # -- the agent answers from the knowledge base, edits, sends --------------------------
    await agent.get_by_test_id("kb-search-input").fill("따릉이 대여")
    await agent.get_by_test_id("kb-search-button").click()
    results = agent.get_by_test_id("kb-result")
    await expect(results.first).to_be_visible()
    await expect(results.first).to_contain_text("따릉이")
    await agent.get_by_test_id("kb-insert-button").click()
    reply_input = agent.get_by_test_id("reply-input")
    await expect(reply_input).to_have_value(re.compile("따릉이"))
    article = (await reply_input.input_value()).strip()
    greeting = "안녕하세요, 상담사 김민지입니다. 문의하신 따릉이 대여 방법 안내드립니다."
    await reply_input.fill(f"{greeting}\n\n{article}")
    await agent.get_by_test_id("reply-send").click()
    await expect(reply_input).to_have_value("")
    sent = _console_messages(agent, "agent").filter(has_text=greeting)
    await expect(sent).to_have_count(1)

    # -- the citizen reads the agent's reply ----------------------------------------------
    agent_reply = _chat(citizen, "agent").filter(has_text=greeting)
    await expect(agent_reply).to_have_count(1)
    await expect(agent_reply).to_contain_text(article.splitlines()[-1])
    # The widget was open, so the console reports the reply delivered.
    await expect(sent).to_have_attribute("data-status", "delivered")

    # -- a citizen's markup stays text everywhere -----------------------------------------
    await _citizen_says(citizen, XSS)
    hostile = _console_messages(agent, "citizen").filter(has_text="<script>")
    await expect(hostile).to_have_count(1)
    await expect(hostile.locator(".message-text")).to_have_text(XSS)
    await expect(agent.get_by_test_id("message-list").locator("script, img")).to_have_count(0)
    await expect(citizen.get_by_test_id("chat-messages").locator("script, img")).to_have_count(0)
    await expect(_chat(citizen, "citizen").filter(has_text="<script>").locator(".bubble")).to_have_text(XSS)
    for page in (agent, citizen):
        assert await page.evaluate("typeof window.__xss") == "undefined"
    assert watch.problems == []

    # -- a reload restores the conversation in the widget --------------------------------
    await citizen.reload()
    if await citizen.get_by_test_id("chat-panel").is_hidden():
        await citizen.get_by_test_id("chat-launcher").click()
    await expect(citizen.get_by_test_id("chat-panel")).to_be_visible()
    for text in (question, ask, XSS):
        await expect(_chat(citizen, "citizen").filter(has_text=text)).to_have_count(1)
    await expect(_chat(citizen, "bot").filter(has_text="따릉이")).to_have_count(1)
    await expect(_chat(citizen, "agent").filter(has_text=greeting)).to_have_count(1)
    await expect(citizen.get_by_test_id("chat-status")).to_have_text(texts["widget.agent_joined"])
    assert await citizen.evaluate("typeof window.__xss") == "undefined"

    # -- the agent resolves; the citizen sees the close -----------------------------------
    await agent.get_by_test_id("disposition-select").select_option("resolved")
    await agent.get_by_test_id("resolve-button").click()
    await expect(agent.get_by_test_id("conversation-state")).to_have_attribute("data-state", "resolved")
    await expect(agent.get_by_test_id("my-list")).to_contain_text("배정된 상담이 없습니다")
    await expect(citizen.get_by_test_id("chat-status")).to_have_text(texts["widget.ended"])
    await expect(_chat(citizen, "system").last).to_contain_text("상담이 종료되었습니다")

    shots.mkdir(parents=True, exist_ok=True)
    await agent.screenshot(path=str(shots / "console.png"), full_page=True)
    await citizen.screenshot(path=str(shots / "widget.png"))

    # -- the supervisor sees today's first-contact resolution ----------------------------
    supervisor_context, supervisor = await _person(browser, watch, "supervisor")
    await _console_login(supervisor, hub_url, "jung")
    await expect(supervisor.get_by_test_id("supervisor-view")).to_be_visible()
    await expect(supervisor.get_by_test_id("sup-resolved")).to_have_text("1건")
    await expect(supervisor.get_by_test_id("sup-fcr")).to_have_text("100%")
    await supervisor.screenshot(path=str(shots / "supervisor.png"), full_page=True)

    for page in (agent, citizen, supervisor):
        assert await page.evaluate("typeof window.__xss") == "undefined"
    assert watch.problems == []
    for context in (agent_context, citizen_context, supervisor_context):
        await context.close()
