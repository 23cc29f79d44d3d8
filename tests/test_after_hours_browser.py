"""After hours, in Chromium against a real `dasan serve`: an admin closes the transport queue
until a weekday that then becomes a holiday; a citizen in the web chat widget who asks for a
person is told when it opens and asks to be called back; when the callback comes due, kim is
offered the conversation as a 재통화, takes it with its history and records on it that the
citizen was reached."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from model.hours import WEEKDAYS
from tests.browsers import PageWatch, StaffApi, console_login

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)

SEOUL = ZoneInfo("Asia/Seoul")
KOREAN_DAYS = "월화수목금토일"
QUESTION = "버스 노선 문의 상담사 연결해 주세요"


async def _person(browser: Browser, watch: PageWatch, who: str) -> tuple[BrowserContext, Page]:
    """A browser context of one's own, in Seoul, whose page errors and console errors (a CSP
    violation is one) the watch reports."""
    context = await browser.new_context(
        locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 1400, "height": 900}
    )
    page = watch.watch(await context.new_page(), who)

    def on_console(message: ConsoleMessage) -> None:
        # An HTTP error status is logged too ("Failed to load resource"): the console's session
        # check before login answers 401 by design; a script error or a CSP refusal is what counts.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            watch.problems.append(f"{who}: console error: {message.text}")

    page.on("console", on_console)
    return context, page


async def _holiday_and_opening(url: str) -> tuple[date, date]:
    """The day to open transport on and make a holiday (two days from now, or the first day after
    that the calendar has no holiday on) and the day it then opens: a week later, or as many weeks
    as the centre's holidays already there push it."""
    today = datetime.now(SEOUL).date()
    async with aiohttp.ClientSession() as http:
        admin = await StaffApi.login(http, url, "admin")
        listed = {
            date.fromisoformat(holiday["date"])
            for year in (today.year, today.year + 1)
            for holiday in (await admin.call("GET", f"/api/v1/holidays?year={year}"))["holidays"]
        }
    holiday = next(day for day in (today + timedelta(days=n) for n in range(2, 7)) if day not in listed)
    opens = next(day for day in (holiday + timedelta(weeks=n) for n in range(1, 10)) if day not in listed)
    return holiday, opens


async def _close_transport_but_one_day(admin: Page, opening_day: date) -> None:
    """In the 운영 시간 panel: transport open only on `opening_day`'s weekday, 09:00-18:00, with
    no queue taking over; then `opening_day` made a holiday, so it opens a week (or more) later."""
    panel = admin.get_by_test_id("hours-panel")
    await expect(panel.get_by_test_id("hours-queue")).to_have_value("transport")
    await expect(panel.get_by_test_id("hours-day-mon")).to_have_value("00:00-24:00")
    weekday = WEEKDAYS[opening_day.weekday()]
    for other in set(WEEKDAYS) - {weekday}:
        await panel.get_by_test_id(f"hours-day-{other}").fill("")
    await panel.get_by_test_id(f"hours-day-{weekday}").fill("09:00-18:00")
    await panel.get_by_test_id("hours-on-holidays").fill("")
    await panel.get_by_test_id("hours-after-hours-queue").select_option("")
    await panel.get_by_test_id("hours-save").click()
    await expect(panel.get_by_test_id("hours-result")).to_contain_text("저장했습니다")

    await panel.get_by_test_id("holiday-date").fill(opening_day.isoformat())
    await panel.get_by_test_id("holiday-name").fill("창립기념일")
    await panel.get_by_test_id("holiday-add").click()
    added = panel.get_by_test_id("holiday-list").locator(f"[data-date='{opening_day.isoformat()}']")
    await expect(added).to_contain_text("창립기념일")


async def test_a_citizen_after_hours_is_called_back_when_the_queue_opens(
    browser: Browser, hub_url: str, shots: Path, tmp_path: Path
) -> None:
    watch = PageWatch()
    holiday, opens = await _holiday_and_opening(hub_url)

    # -- the admin closes transport; the panel shows it closed until the later opening -------
    admin_context, admin = await _person(browser, watch, "admin")
    await console_login(admin, hub_url, "admin")
    await _close_transport_but_one_day(admin, holiday)
    transport = admin.get_by_test_id("hours-status").locator("[data-queue=transport]")
    await expect(transport).to_have_attribute("data-open", "false")
    await expect(transport).to_contain_text(
        f"마감 · {opens.month}. {opens.day}. ({KOREAN_DAYS[opens.weekday()]}) 오전 09:00 개시"
    )
    await expect(transport).not_to_contain_text("대기열이 응대")
    await admin_context.close()

    # -- kim is at the console and available, with nothing to do yet ---------------------
    agent_context, agent = await _person(browser, watch, "kim")
    await console_login(agent, hub_url, "kim")
    await agent.get_by_test_id("presence-select").select_option("available")
    await expect(agent.get_by_test_id("presence-select")).to_have_attribute("data-state", "available")
    await expect(agent.get_by_test_id("my-list")).to_contain_text("배정된 상담이 없습니다")

    # -- the citizen asks for a person, is told when transport opens, and asks for a callback --
    citizen_context, citizen = await _person(browser, watch, "citizen")
    await citizen.goto(f"{hub_url}/webchat/")
    await citizen.get_by_test_id("chat-launcher").click()
    await citizen.get_by_test_id("chat-input").fill(QUESTION)
    await citizen.get_by_test_id("chat-send").click()
    when = f"{opens.month}월 {opens.day}일 09:00"
    bot = citizen.locator("[data-testid=chat-message][data-author=bot]")
    offer = bot.filter(has_text="지금은 상담 시간이 아니어서")
    await expect(offer).to_contain_text(f"상담은 {when}에 다시 시작합니다")
    button = offer.get_by_test_id("chat-action")
    await expect(button).to_have_text("재통화 요청")
    await button.click()
    await expect(bot.filter(has_text="재통화 요청이 접수되었습니다")).to_contain_text(
        f"{when}에 상담사가 이 대화로 연락드리겠습니다"
    )

    # -- the callback comes due -------------------------------------------------------------
    # The opening is days away and time cannot pass in a test: the task is made due now instead.
    with sqlite3.connect(tmp_path / "hub.db") as db:
        moved = db.execute(
            "UPDATE callback_tasks SET due_at = ? WHERE state = 'pending'",
            ((datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S.%f"),),
        ).rowcount
    assert moved == 1
    await expect(
        citizen.locator("[data-testid=chat-message][data-author=system]").filter(has_text="요청하신 재통화")
    ).to_have_count(1)

    # -- kim is offered it as a callback, with what the citizen needs, and takes it --------
    item = agent.get_by_test_id("my-list").get_by_test_id("conversation-item")
    await expect(item).to_have_count(1)
    await expect(item).to_have_attribute("data-state", "offered")
    await expect(item.get_by_test_id("callback-badge")).to_have_text("재통화")
    await expect(item.get_by_test_id("callback-need")).to_have_text(f"재통화 요청: {QUESTION}")
    await agent.screenshot(path=str(shots / "after-hours-callback-offer.png"), full_page=True)
    await item.get_by_test_id("claim-button").click()
    await expect(agent.get_by_test_id("conversation-state")).to_have_attribute("data-state", "assigned")
    history = agent.get_by_test_id("message-list")
    await expect(history.locator("[data-testid=message][data-author=citizen]").filter(has_text=QUESTION)).to_have_count(
        1
    )
    await expect(
        history.locator("[data-testid=message][data-author=bot]").filter(has_text="재통화 요청이 접수")
    ).to_have_count(1)
    await expect(citizen.get_by_test_id("chat-status")).to_have_text("상담사와 연결되었습니다")

    # -- kim reaches the citizen and records it on the conversation's item ----------------------
    await expect(item.get_by_test_id("callback-outcome")).to_have_value("reached")
    await item.get_by_test_id("callback-record").click()
    await expect(item.get_by_test_id("callback-badge")).to_have_count(0)  # done: no longer offered or in progress
    async with aiohttp.ClientSession() as http:
        kim = await StaffApi.login(http, hub_url, "kim")
        done = (await kim.call("GET", "/api/v1/callbacks?state=done"))["callbacks"]
        assert [(task["queue"], task["need"], task["agent"], task["outcome"]) for task in done] == [
            ("transport", QUESTION, "kim", "reached")
        ]

    await citizen.get_by_test_id("chat-panel").screenshot(path=str(shots / "after-hours-widget.png"))
    await agent.screenshot(path=str(shots / "after-hours-callback-console.png"), full_page=True)
    assert watch.problems == [], "\n".join(watch.problems)
    for context in (agent_context, citizen_context):
        await context.close()
