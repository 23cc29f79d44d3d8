"""The console's 운영 시간 panel in Chromium against a real `dasan serve`: an admin opens a queue
one day a week with the city queue taking over, sees it closed and who serves it, is told what
is wrong with overlapping ranges, and adds and removes a holiday."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, expect

from model.hours import WEEKDAYS
from tests.browsers import PageWatch, console_login

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)

SEOUL = ZoneInfo("Asia/Seoul")
KOREAN_DAYS = "월화수목금토일"


async def test_an_admin_sets_a_queues_hours_and_the_holidays(browser: Browser, hub_url: str, shots: Path) -> None:
    watch = PageWatch()
    page = watch.watch(await browser.new_page(), "admin")
    await console_login(page, hub_url, "admin")
    panel = page.get_by_test_id("hours-panel")
    await expect(panel.get_by_test_id("hours-queue")).to_have_value("transport")
    transport = panel.get_by_test_id("hours-status").locator("[data-queue=transport]")
    await expect(transport).to_have_attribute("data-open", "true")
    await expect(panel.get_by_test_id("hours-day-mon")).to_have_value("00:00-24:00")

    # Open one day a week, two days from now: closed now, and the city queue serves it meanwhile.
    day = (datetime.now(SEOUL) + timedelta(days=2)).weekday()
    for other in set(WEEKDAYS) - {WEEKDAYS[day]}:
        await panel.get_by_test_id(f"hours-day-{other}").fill("")
    await panel.get_by_test_id(f"hours-day-{WEEKDAYS[day]}").fill("09:00-18:00")
    await panel.get_by_test_id("hours-on-holidays").fill("")
    await panel.get_by_test_id("hours-after-hours-queue").select_option("city")
    await panel.get_by_test_id("hours-save").click()
    await expect(panel.get_by_test_id("hours-result")).to_contain_text("저장했습니다")
    await expect(transport).to_have_attribute("data-open", "false")
    await expect(transport).to_contain_text(f"({KOREAN_DAYS[day]}) 오전 09:00 개시 · 시정 대기열이 응대")

    await panel.get_by_test_id("hours-day-tue").fill("09:00-13:00, 12:00-14:00")
    await panel.get_by_test_id("hours-save").click()
    await expect(panel.get_by_test_id("hours-result")).to_contain_text("weekly.tue: 09:00–13:00 overlaps 12:00–14:00")

    await panel.get_by_test_id("holiday-year").fill("2031")
    await panel.get_by_test_id("holiday-year").dispatch_event("change")
    await panel.get_by_test_id("holiday-date").fill("2031-12-31")
    await panel.get_by_test_id("holiday-name").fill("종무일")
    await panel.get_by_test_id("holiday-add").click()
    added = panel.get_by_test_id("holiday-list").locator("[data-date='2031-12-31']")
    await expect(added).to_contain_text("종무일")
    await page.screenshot(path=str(shots / "hours-panel.png"), full_page=True)
    await added.get_by_test_id("holiday-remove").click()
    await expect(added).to_have_count(0)
    assert watch.problems == []
