"""The administrator's 관리 panel in the console, in Chromium against a real `dasan serve`: an
admin deactivates an agent, who is then out (their token refused) and shown inactive; the panel
is not there for a supervisor."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, Dialog, expect

from tests.browsers import PASSWORD, PageWatch, console_login

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)


async def test_an_admin_deactivates_an_agent_on_the_screen(browser: Browser, hub_url: str, shots: Path) -> None:
    async with aiohttp.ClientSession(hub_url) as http:
        login = await (await http.post("/api/v1/auth/login", json={"username": "lee", "password": PASSWORD})).json()
        lee = {"Authorization": f"Bearer {login['token']}"}

        page = await browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await console_login(page, hub_url, "admin")
        panel = page.get_by_test_id("admin-panel")
        await expect(panel).to_be_visible()
        row = panel.locator('[data-testid="admin-agent-row"][data-username="lee"]')
        await expect(row).to_have_attribute("data-active", "true")

        questions: list[str] = []

        async def accept(dialog: Dialog) -> None:
            questions.append(dialog.message)
            await dialog.accept()

        page.on("dialog", accept)  # the console asks before deactivating
        await row.get_by_test_id("admin-deactivate").click()
        await expect(panel.get_by_test_id("admin-result")).to_contain_text("lee: 비활성화했습니다")
        await expect(row).to_have_attribute("data-active", "false")
        await expect(row.get_by_test_id("admin-agent-details")).to_contain_text("비활성")
        await page.screenshot(path=str(shots / "admin-panel.png"), full_page=True)
        assert questions and "대기열" in questions[0]
        assert (await http.get("/api/v1/me", headers=lee)).status == 401
        assert errors == []

        watch = PageWatch()
        supervisor = watch.watch(await browser.new_page(), "supervisor")
        await console_login(supervisor, hub_url, "jung")
        await expect(supervisor.get_by_test_id("supervisor-view")).to_be_visible()
        await expect(supervisor.get_by_test_id("admin-panel")).to_be_hidden()
        assert watch.problems == []
