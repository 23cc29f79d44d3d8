"""The report's tables as files (HTML with charts, CSV, XLSX), their export endpoint, and the
console's 보고서 view in Chromium."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from openpyxl import load_workbook
from playwright.async_api import Browser, expect

from hub.reports.tables_export import render_csv, render_html, render_xlsx
from model.clock import utcnow
from tests.browsers import API_CHANNEL_KEY, PASSWORD, PageWatch, console_login
from tests.conftest import citizen_says, login

SHEETS = ["요약", "기간별", "채널", "분야", "처리유형", "상담사", "파트", "팀", "인입량", "악성민원"]
HEADINGS = [
    "채널별 상담 현황",
    "분야별 상담 현황",
    "1차 상담완료율 (시 소관 / 자치구 소관)",
    "처리 유형",
    "응답률 (목표 86.5 %)",
    "서비스 레벨",
    "대기시간",
    "처리시간",
    "시민 만족도 (목표 91.0점)",
    "상담사·파트·팀별 실적",
    "요일·시간대별 인입량",
    "악성민원 (월 상한 60건)",
]


def figures(contacts: int, answer_rate: float, fcr: float, satisfaction: float | None = 90.0) -> dict[str, Any]:
    """One FIGURES block: shares close to the foundation's 2018 report."""
    by_channel = {"sms": contacts // 2, "kakao": contacts - contacts // 2}
    return {
        "contacts": contacts,
        "by_channel": by_channel,
        "channel_share": {k: v / contacts for k, v in by_channel.items()},
        "by_category": {"district": int(contacts * 0.636), "water": int(contacts * 0.119)},
        "by_language": {"ko": contacts},
        "answer_rate": answer_rate,
        "abandonment_rate": round(1 - answer_rate, 4),
        "service_level": 0.71,
        "wait_seconds": {"p50": 12.0, "p90": 95.5},
        "handle_seconds": {"mean": 240.25, "p50": 200.0},
        "first_contact_resolution": fcr,
        "fcr_split": {"all": fcr, "city": 0.945, "district": 0.704},
        "dispositions": {"resolved": 788, "directory": 59, "connected": 135, "transferred": 17, "callback": 1},
        "disposition_share": {
            "resolved": 0.788,
            "directory": 0.059,
            "connected": 0.135,
            "transferred": 0.017,
            "callback": 0.001,
        },
        "repeat_contact_rate": 0.052,
        "satisfaction": satisfaction,
        "abuse_incidents": 3,
    }


def sample_tables() -> dict[str, Any]:
    """A hand-made `report_tables` answer for November and December 2026, by month."""
    week = [[(day + 1) * (hour % 5) for hour in range(24)] for day in range(7)]
    return {
        "from": "2026-11-01",
        "to": "2026-12-01",
        "period": "month",
        "filters": {"channel": None, "team": "1팀"},
        "targets": {
            "answer_rate": 0.865,
            "satisfaction": 91.0,
            "first_contact_resolution": 0.788,
            "abuse_incidents_per_month": 60,
        },
        "totals": figures(1000, 0.837, 0.788),
        "periods": [
            {"start": "2026-11-01", "label": "2026-11", **figures(600, 0.85, 0.79)},
            {"start": "2026-12-01", "label": "2026-12", **figures(400, 0.88, 0.78, satisfaction=None)},
        ],
        "by_agent": [
            {"agent": "kim", "name": "김민지", "team": "1팀", "part": "교통파트", **figures(300, 0.9, 0.81)},
            {"agent": "lee", "name": "이서준", "team": "1팀", "part": "수도파트", **figures(200, 0.8, 0.75)},
        ],
        "by_part": [
            {"team": "1팀", "part": "교통파트", **figures(300, 0.9, 0.81)},
            {"team": "1팀", "part": "수도파트", **figures(200, 0.8, 0.75)},
        ],
        "by_team": [{"team": "1팀", **figures(500, 0.86, 0.786)}],
        "by_category_month": {
            "2026-11": {"transport": 63, "water": 71, "city": 64, "district": 382, "other": 20},
            "2026-12": {"transport": 42, "water": 48, "city": 43, "district": 254, "other": 13},
        },
        "inbound_by_hour": {"transport": week, "water": week},
        "abuse_by_month": [
            {"month": "2026-11", "incidents": 61, "ceiling": 60},
            {"month": "2026-12", "incidents": 12, "ceiling": 60},
        ],
    }


class Outline(HTMLParser):
    """The page's h2 headings and how many <svg> charts it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.charts = 0
        self.scripts = 0
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_h2 = tag == "h2"
        if self._in_h2:
            self.headings.append("")
        self.charts += tag == "svg"
        self.scripts += tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.headings[-1] += data


def test_the_html_report_has_the_reports_headings_and_its_charts() -> None:
    page = render_html(sample_tables())
    outline = Outline()
    outline.feed(page)
    assert [h for h in outline.headings if h in HEADINGS] == HEADINGS
    # channels, two for categories, two for FCR, dispositions, answer rate, service level, waits,
    # handle time, satisfaction, two for performance, one heatmap per queue, abuse.
    assert outline.charts == 16
    assert outline.scripts == 0 and "http" not in page.split("<body>", 1)[1].replace('xmlns="http://www.w3.org', "")
    assert "@page { size: A4" in page
    assert "78.8 %" in page and "94.5 %" in page and "70.4 %" in page  # the FCR split, printed on the chart
    assert "김민지" in page and "교통파트" in page and "범위 팀: 1팀" in page


def test_the_html_escapes_what_it_is_given() -> None:
    tables = sample_tables()
    tables["by_agent"][0]["name"] = "<script>alert(1)</script>"
    page = render_html(tables)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_the_csv_has_one_section_per_table() -> None:
    data = render_csv(sample_tables())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    sections = [row[0] for row in rows if row and row[0].startswith("[")]
    assert [s.split("]")[0].strip("[") for s in sections] == SHEETS
    channel_at = next(i for i, row in enumerate(rows) if row and row[0].startswith("[채널]"))
    assert rows[channel_at + 1] == ["채널", "상담 건수", "비중"]
    assert rows[channel_at + 2] == ["문자", "500", "50.0%"]
    assert ["1차 상담완료", "788", "78.8%"] in rows


def test_the_xlsx_opens_with_a_sheet_per_table() -> None:
    workbook = load_workbook(io.BytesIO(render_xlsx(sample_tables())))
    assert workbook.sheetnames == SHEETS
    summary = {row[0].value: row for row in workbook["요약"].iter_rows(min_row=2)}
    answer = summary["응답률"]
    assert answer[1].value == 0.837 and answer[1].number_format == "0.0%"
    assert answer[2].value == 0.865
    assert all(cell.font.bold for cell in workbook["요약"][1])
    fcr = workbook["처리유형"]
    assert [c.value for c in fcr[2]] == ["1차 상담완료", 788, 0.788]
    agents = workbook["상담사"]
    header = [c.value for c in agents[1]]
    assert header[:4] == ["상담사", "아이디", "팀", "파트"] and "1차 상담완료율(자치구 소관)" in header
    assert [c.value for c in agents[2]][:4] == ["김민지", "kim", "1팀", "교통파트"]
    inbound = workbook["인입량"]
    assert inbound.max_row == 1 + 2 * 7 and inbound["A2"].value == "교통" and inbound["B2"].value == "월"
    abuse = [[c.value for c in row] for row in workbook["악성민원"].iter_rows(min_row=2)]
    assert abuse == [["2026-11", 61, 60, "초과"], ["2026-12", 12, 60, "-"]]
    periods = workbook["기간별"]
    assert [c.value for c in periods[3]][0] == "2026-12" and periods.max_row == 3


# ---------------------------------------------------------------- the export endpoint


async def _a_served_citizen(client: TestClient) -> str:
    """One citizen handed off, taken by kim and resolved `resolved` today; returns city today."""
    kim = await login(client, "kim", available=False)
    asked = await citizen_says(client, "export-citizen", "수도요금 상담사 연결해 주세요")
    conversation = f"/api/v1/conversations/{asked['conversation_id']}"
    assert (await client.post(f"{conversation}/claim", headers=kim)).status == 200
    resolved = await client.post(f"{conversation}/resolve", json={"disposition": "resolved"}, headers=kim)
    assert resolved.status == 200, await resolved.text()
    return utcnow().astimezone(ZoneInfo("Asia/Seoul")).date().isoformat()


async def test_the_export_endpoint_gives_each_format(client: TestClient) -> None:
    today = await _a_served_citizen(client)
    supervisor = await login(client, "jung", available=False)
    path = "/api/v1/reports/tables/export"
    query = {"from": today, "to": today, "period": "day"}

    workbook_response = await client.get(path, params={**query, "format": "xlsx"}, headers=supervisor)
    assert workbook_response.status == 200, await workbook_response.text()
    assert workbook_response.headers["Content-Disposition"] == f'attachment; filename="report-{today}_{today}.xlsx"'
    workbook = load_workbook(io.BytesIO(await workbook_response.read()))
    assert workbook.sheetnames == SHEETS
    summary = {row[0].value: row[1].value for row in workbook["요약"].iter_rows(min_row=2)}
    assert summary["상담 건수"] == 1 and summary["응답률"] == 1.0 and summary["1차 상담완료율"] == 1.0
    dispositions = {row[0].value: row[1].value for row in workbook["처리유형"].iter_rows(min_row=2)}
    assert dispositions["1차 상담완료"] == 1 and dispositions["재통화"] == 0

    page = await client.get(path, params=query, headers=supervisor)
    assert page.status == 200 and page.content_type == "text/html"
    outline = Outline()
    outline.feed(await page.text())
    assert "채널별 상담 현황" in outline.headings and outline.charts >= 12

    sheet = await client.get(path, params={**query, "format": "csv"}, headers=supervisor)
    assert sheet.status == 200 and sheet.content_type == "text/csv"
    assert (await sheet.read()).decode("utf-8-sig").count("[") >= len(SHEETS)


async def test_the_export_endpoint_refuses_what_it_cannot_serve(client: TestClient) -> None:
    path = "/api/v1/reports/tables/export"
    assert (await client.get(path)).status == 401
    agent = await login(client, "kim", available=False)
    assert (await client.get(path, params={"format": "csv"}, headers=agent)).status == 200  # their own figures
    refused = await client.get(path, params={"agent": "lee"}, headers=agent)
    assert refused.status == 403 and (await refused.json())["error"]["code"] == "forbidden"
    supervisor = await login(client, "jung", available=False)
    for params, named in (
        ({"format": "pdf"}, "'format'"),
        ({"period": "year"}, "'period'"),
        ({"from": "2026-13-01"}, "'from'"),
    ):
        response = await client.get(path, params=params, headers=supervisor)
        body = await response.json()
        assert response.status == 400 and named in body["error"]["message"], body


# ---------------------------------------------------------------- the console's 보고서 view in Chromium


async def _post(url: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    """A call on the hub under test, as an integration or an agent's console makes it."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as session, session.post(url, json=body, headers=headers) as response:
        assert response.status == 200, await response.text()
        return dict(await response.json())


@pytest.mark.browser
async def test_a_supervisor_reads_the_report_and_downloads_it(hub_url: str, browser: Browser, shots: Path) -> None:
    # A citizen served today, so that the report has something to draw.
    kim = (await _post(f"{hub_url}/api/v1/auth/login", {"username": "kim", "password": PASSWORD}))["token"]
    citizen = {"sender": "report-citizen", "text": "수도요금 상담사 연결해 주세요", "message_id": "report-1"}
    asked = await _post(f"{hub_url}/api/v1/channels/api/messages", citizen, API_CHANNEL_KEY)
    conversation = f"{hub_url}/api/v1/conversations/{asked['conversation_id']}"
    await _post(f"{conversation}/claim", {}, kim)
    await _post(f"{conversation}/resolve", {"disposition": "resolved"}, kim)

    watch = PageWatch()
    context = await browser.new_context(
        locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 1400, "height": 1000}, accept_downloads=True
    )
    page = watch.watch(await context.new_page(), "supervisor")
    await console_login(page, hub_url, "jung")
    await page.get_by_test_id("reports-tab").click()
    await expect(page.get_by_test_id("reports-workspace")).to_be_visible()
    await expect(page.get_by_test_id("conversation-view")).to_be_hidden()
    await expect(page.get_by_test_id("report-period")).to_have_value("day")
    await expect(page.get_by_test_id("report-team")).to_contain_text("전체")
    await expect(page.get_by_test_id("report-queue").locator("option[value=water]")).to_have_text("상수도")

    await page.get_by_test_id("report-category").select_option("water")
    await page.get_by_test_id("report-show").click()
    await expect(page.get_by_test_id("report-status")).to_contain_text("일별")
    report = page.frame_locator("[data-testid=report-frame]")
    await expect(report.locator("h2", has_text="채널별 상담 현황")).to_be_visible()
    await expect(report.locator("p.meta")).to_contain_text("분야: 상수도")
    charts = report.locator("svg")
    assert await charts.count() >= 12
    await expect(charts.first).to_be_visible()
    await expect(report.locator("svg", has_text="1차 상담완료율").first).to_contain_text("100.0 %")
    await page.screenshot(path=str(shots / "reports.png"))

    async with page.expect_download() as downloading:
        await page.get_by_test_id("report-download-xlsx").click()
    download = await downloading.value
    assert download.suggested_filename.startswith("report-") and download.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO((await download.path()).read_bytes()))
    assert workbook.sheetnames == SHEETS
    summary = {row[0].value: row[1].value for row in workbook["요약"].iter_rows(min_row=2)}
    assert summary["상담 건수"] == 1 and summary["1차 상담완료율"] == 1.0

    # The monthly VOC report: progress, then its files.
    await page.get_by_test_id("voc-month").fill(utcnow().astimezone(ZoneInfo("Asia/Seoul")).strftime("%Y-%m"))
    await page.get_by_test_id("voc-generate").click()
    await expect(page.get_by_test_id("voc-progress")).to_be_visible()
    await expect(page.get_by_test_id("voc-link-xlsx")).to_be_visible(timeout=30_000)
    await expect(page.get_by_test_id("voc-link-html")).to_have_attribute("href", re.compile(r"^/api/v1/reports/voc/"))
    await expect(page.get_by_test_id("voc-progress")).to_have_attribute("data-status", "done")
    await page.get_by_test_id("reports-workspace").screenshot(path=str(shots / "reports-voc.png"))

    # Back to the desk: the report is put away.
    await page.get_by_test_id("kb-editor-desk-tab").click()
    await expect(page.get_by_test_id("reports-workspace")).to_be_hidden()
    await expect(page.get_by_test_id("queue-list")).to_be_visible()
    assert watch.problems == []
