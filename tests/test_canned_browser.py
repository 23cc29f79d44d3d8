"""Canned replies in the console, in Chromium against a real `dasan serve`: an agent types
`/인사` in the reply box, picks the greeting, and finds it in the box with the citizen's name
and their own, ready to edit and send; then writes a reply of their own and uses it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from tests.browsers import API_CHANNEL_AUTH, PageWatch, StaffApi, console_login

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)

GREETING = "안녕하세요, 홍길동 님. 120다산콜재단 상담사 김민지입니다. 무엇을 도와드릴까요?"


async def _claimed_by_kim(url: str, database: Path) -> str:
    """A citizen named 홍길동 waiting for transport, taken by kim; returns the conversation's id."""
    async with aiohttp.ClientSession() as http:
        body = {"sender": "citizen-canned", "text": "버스 노선 문의 상담사 연결해 주세요", "message_id": "m-1"}
        async with http.post(f"{url}/api/v1/channels/api/messages", json=body, headers=API_CHANNEL_AUTH) as said:
            conversation_id = (await said.json())["conversation_id"]
        kim = await StaffApi.login(http, url, "kim")
        await kim.call("POST", f"/api/v1/conversations/{conversation_id}/claim")
    # The API channel carries no name; a messenger would have given one.
    with sqlite3.connect(database) as db:
        db.execute("UPDATE contacts SET display_name = '홍길동'")
    return str(conversation_id)


async def test_an_agent_inserts_the_greeting_by_its_code(
    browser: Browser, hub_url: str, shots: Path, tmp_path: Path
) -> None:
    conversation_id = await _claimed_by_kim(hub_url, tmp_path / "hub.db")
    watch = PageWatch()
    page = watch.watch(await browser.new_page(), "kim")
    await console_login(page, hub_url, "kim")
    await page.goto(f"{hub_url}/console/#conversation={conversation_id}")
    await expect(page.get_by_test_id("conversation-view")).to_have_attribute("data-conversation-id", conversation_id)
    # Loaded, not only opened: the replies are rendered for the conversation the console holds.
    await expect(page.get_by_test_id("message-list")).to_contain_text("버스 노선 문의")

    reply = page.get_by_test_id("reply-input")
    await reply.press_sequentially("/인사")
    menu = page.get_by_test_id("canned-menu")
    await expect(menu).to_be_visible()
    await expect(menu.get_by_test_id("canned-item").first).to_have_attribute("data-code", "인사")
    await expect(menu.get_by_test_id("canned-item").first).to_contain_text(GREETING)
    await page.screenshot(path=str(shots / "canned-menu.png"), full_page=True)

    await reply.press("Enter")  # chooses the reply; it does not send the "/인사" typed
    await expect(reply).to_have_value(GREETING)
    await expect(menu).to_be_hidden()
    await expect(page.get_by_test_id("message-list")).not_to_contain_text("/인사")
    await page.screenshot(path=str(shots / "canned-inserted.png"), full_page=True)

    await page.get_by_test_id("reply-send").click()
    await expect(page.get_by_test_id("message-list")).to_contain_text(GREETING)

    # The agent writes a reply of their own and uses it at once.
    manager = page.get_by_test_id("canned-manager")
    await manager.locator("summary").click()
    await manager.get_by_test_id("canned-code").fill("주차")
    await manager.get_by_test_id("canned-title").fill("거주자 우선주차")
    await manager.get_by_test_id("canned-text-ko").fill("{citizen_name}, 거주자 우선주차는 구청에 신청하시면 됩니다.")
    await manager.get_by_test_id("canned-save").click()
    await expect(manager.locator('[data-testid="canned-own-item"][data-code="주차"]')).to_be_visible()
    await page.screenshot(path=str(shots / "canned-manager.png"), full_page=True)
    await reply.press_sequentially("/주차")
    await expect(menu.get_by_test_id("canned-item").first).to_have_attribute("data-code", "주차")
    await reply.press("Tab")
    await expect(reply).to_have_value("홍길동 님, 거주자 우선주차는 구청에 신청하시면 됩니다.")
    assert watch.problems == []
