"""The supervisor's 개인정보 열람·삭제 panel in the console, in Chromium against a real `dasan serve`:
the contact of the conversation in view is looked up, its data downloaded, and erased with the
reason and the id typed again; a citizen's markup in their name stays text."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from tests.browsers import API_CHANNEL_AUTH, PASSWORD, PageWatch, console_login

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)

SENDER = '<img src=x onerror="window.__xss=1">'
TEXT = "버스 분실물 상담사 연결해 주세요. 제 번호는 010-2468-1357입니다"


async def _served_and_resolved(url: str) -> tuple[str, str]:
    """A citizen served by kim and resolved; returns the conversation's and the contact's ids."""
    async with aiohttp.ClientSession(url) as http:
        said = await (await http.post("/api/v1/channels/api/messages", headers=API_CHANNEL_AUTH,
                                      json={"sender": SENDER, "text": TEXT, "message_id": "m-1"})).json()  # fmt: skip
        login = await (await http.post("/api/v1/auth/login", json={"username": "kim", "password": PASSWORD})).json()
        kim = {"Authorization": f"Bearer {login['token']}"}
        conversation = f"/api/v1/conversations/{said['conversation_id']}"
        assert (await http.post(f"{conversation}/claim", headers=kim)).status == 200
        resolved = await http.post(f"{conversation}/resolve", json={"disposition": "resolved"}, headers=kim)
        assert resolved.status == 200
        return said["conversation_id"], (await resolved.json())["contact"]["id"]


async def test_a_supervisor_exports_and_erases_a_citizens_data(
    browser: Browser, hub_url: str, shots: Path, tmp_path: Path
) -> None:
    conversation_id, contact_id = await _served_and_resolved(hub_url)
    watch = PageWatch()
    page = watch.watch(await browser.new_page(accept_downloads=True), "supervisor")
    await console_login(page, hub_url, "jung")
    panel = page.get_by_test_id("privacy-panel")
    await expect(panel).to_be_visible()
    await page.goto(f"{hub_url}/console/#conversation={conversation_id}")
    await expect(page.get_by_test_id("conversation-view")).to_have_attribute("data-conversation-id", conversation_id)

    await panel.get_by_test_id("privacy-from-conversation").click()
    await expect(panel.get_by_test_id("privacy-contact")).to_have_value(contact_id)
    await expect(panel.get_by_test_id("privacy-summary")).to_contain_text("상담 1건")
    async with page.expect_download() as waiting:
        await panel.get_by_test_id("privacy-export").click()
    exported = json.loads(Path(await (await waiting.value).path()).read_text(encoding="utf-8"))
    assert exported["contact"]["id"] == contact_id
    assert TEXT in [message["text"] for message in exported["conversations"][0]["messages"]]

    erase = panel.get_by_test_id("privacy-erase")
    await panel.get_by_test_id("privacy-erase-reason").fill("2026-12-01 전화로 삭제 요구")
    await panel.get_by_test_id("privacy-erase-confirm").fill(contact_id[:-1])
    await expect(erase).to_be_disabled()  # a slip erases nobody
    await panel.get_by_test_id("privacy-erase-confirm").fill(contact_id)
    await erase.click()
    await expect(panel.get_by_test_id("privacy-result")).to_contain_text("삭제했습니다")
    await expect(panel.get_by_test_id("privacy-result")).to_contain_text("상담 1")
    await page.screenshot(path=str(shots / "privacy-panel.png"), full_page=True)

    assert await page.evaluate("window.__xss") is None
    assert watch.problems == []
    async with aiohttp.ClientSession(hub_url) as http:
        login = await (await http.post("/api/v1/auth/login", json={"username": "jung", "password": PASSWORD})).json()
        again = await http.get(
            f"/api/v1/contacts/{contact_id}/data", headers={"Authorization": f"Bearer {login['token']}"}
        )
        assert TEXT not in await again.text()
