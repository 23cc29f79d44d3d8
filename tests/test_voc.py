"""The monthly VOC report: a November and an October of known questions played through the
hub, then the figures, the files (HTML in Chromium, XLSX, CSV), the API job and the CLI."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from openpyxl import load_workbook
from playwright.async_api import Browser

from hub.core import Hub
from hub.reports import voc_render
from hub.reports.voc import KeywordFinder, Month, VocGenerator, VocReport
from model.clock import utcnow
from store.simulation import Moment, Timeline, backdate
from tests.conftest import citizen_says, login, wait_for

SEOUL = ZoneInfo("Asia/Seoul")
NOVEMBER = Month(2026, 11)
BIKE = "따릉이 대여 방법"
WATER = "상수도 (분야 일반)"
RESIDENT_NUMBER = "900101-1234567"
PHONE = "010-2345-6789"
PRIVATE = f"제 주민번호는 {RESIDENT_NUMBER} 이고 연락처는 {PHONE} 입니다. 수도요금 납부 방법 알려주세요"

OCTOBER_QUESTIONS = [
    ("oct-1", 2, "따릉이 대여 방법 알려주세요"),
    ("oct-2", 5, "수도요금 납부 방법이 궁금해요"),
    ("oct-3", 8, "수도요금 납부 방법 알려주세요"),
    ("oct-4", 12, "수도요금 납부는 어떻게 하나요"),
]
NOVEMBER_QUESTIONS = [
    ("nov-1", 3, "따릉이 대여 방법 알려주세요"),
    ("nov-2", 4, "따릉이 대여는 어떻게 하나요?"),
    ("nov-3", 6, "따릉이 대여 방법이 궁금해요"),
    ("nov-4", 8, "따릉이 대여 방법 좀 알려주세요"),
    ("nov-repeat", 10, "따릉이 대여 방법 알려주세요"),
    ("nov-repeat", 13, "따릉이 대여 방법 다시 알려주세요"),
    ("nov-private", 15, PRIVATE),
]
"""Six 따릉이 contacts (one citizen twice within three days) and one water question holding
personal data; October had one 따릉이 and three water questions."""


async def ask(client: TestClient, hub: Hub, sender: str, text: str, at: datetime) -> str:
    """A citizen asks, leaves, and the conversation is moved to `at`."""
    before = utcnow()
    answer = await citizen_says(client, sender, text)
    await hub.desk.citizen_left(answer["conversation_id"])
    async with hub.store.write() as session:
        await backdate(session, answer["conversation_id"], Timeline([Moment(before, at)]))
    return answer["conversation_id"]


@pytest.fixture
async def two_months(client: TestClient, hub: Hub) -> Hub:
    for month, questions in ((10, OCTOBER_QUESTIONS), (11, NOVEMBER_QUESTIONS)):
        for sender, day, text in questions:
            await ask(client, hub, sender, text, datetime(2026, month, day, 10, tzinfo=SEOUL))
    return hub


async def november(hub: Hub, **options: int) -> VocReport:
    return await VocGenerator(hub.store, hub.knowledge, SEOUL).report(NOVEMBER, **options)


@pytest.mark.parametrize(
    ("text", "keywords"),
    [
        ("따릉이 대여는 어디서 하나요?", ("따릉이", "대여")),
        ("휴가 때 따릉이가 고장났어요", ("휴가", "따릉이")),
        ("수도요금을 내는 방법이 궁금해요", ("수도요금",)),
        ("주민등록등본 발급 어떻게 해요", ("주민등록등본", "발급")),
        ("서울시청에서 여권을 받나요", ("서울시청", "여권")),
        ("안녕하세요 감사합니다", ()),
    ],
)
def test_keywords_are_the_nouns_and_compounds_citizens_wrote(text: str, keywords: tuple[str, ...]) -> None:
    assert KeywordFinder(known=["따릉이"]).keywords(text) == keywords


async def test_topics_keywords_rising_and_repeats(two_months: Hub) -> None:
    told: list[tuple[int, int, str]] = []
    report = await november(two_months, rising_min_count=2, progress=lambda *step: told.append(step))

    assert (report.contacts, report.previous_contacts) == (7, 4)
    assert [(t.topic.label, t.count) for t in report.topics] == [(BIKE, 6), (WATER, 1)]
    assert report.topics[0].share == pytest.approx(6 / 7)
    assert report.by_channel == {"api": 7}

    keywords = {k.keyword: k.count for k in report.keywords}
    assert keywords["따릉이"] == 6 and keywords["대여"] == 6 and keywords["수도요금"] == 1
    assert not {"방법", "알려", "어떻게", "주민번호는"} & keywords.keys()

    # 따릉이 went from 1 of 4 to 6 of 7 contacts; water fell from 3 to 1.
    [rising] = report.rising
    assert (rising.topic.label, rising.previous, rising.current, rising.growth) == (BIKE, 1, 6, 5)
    assert rising.share_points == pytest.approx((6 / 7 - 1 / 4) * 100)
    # With the default minimum count (10) a topic of six contacts is not news.
    assert (await november(two_months)).rising == []

    repeated = report.repeated
    assert (repeated.repeats, repeated.contacts, repeated.days) == (1, 1, 7)
    assert [(t.topic.label, t.count) for t in repeated.topics] == [(BIKE, 1)]
    # Within two days the second 따릉이 question (three days later) is no repeat.
    assert (await november(two_months, repeat_days=2)).repeated.repeats == 0

    [water_example] = report.examples["category:water"]
    assert RESIDENT_NUMBER not in water_example and "1234567" not in water_example
    assert PHONE not in water_example and "900101-1******" in water_example
    assert len(report.examples["article:transport-001"]) == 3

    assert told[0] == (0, 0, "reading")
    assert told[-1] == (11, 11, "figures")
    assert [done for done, _, _ in told] == sorted(done for done, _, _ in told)


@pytest.mark.browser
async def test_html_report_prints_with_its_charts(two_months: Hub, browser: Browser, shots: Path) -> None:
    report = await november(two_months, rising_min_count=2)
    made = voc_render.files(report)
    assert made["html"].name == "voc-2026-11.html"
    page_html = made["html"].body.decode("utf-8")
    assert "http://" not in page_html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert RESIDENT_NUMBER not in page_html and PHONE not in page_html
    page = await browser.new_page(viewport={"width": 900, "height": 1200})
    await page.set_content(page_html)
    assert await page.title() == "120 다산콜 시민의 소리 (VOC) 월간 보고 — 2026년 11월"
    assert await page.locator("h1").inner_text() == "120 다산콜 시민의 소리 (VOC) 월간 보고 — 2026년 11월"
    topics_chart = page.locator('svg[aria-label="문의 주제 상위 10"]')
    await topics_chart.scroll_into_view_if_needed()
    assert await topics_chart.is_visible()
    box = await topics_chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 60
    chart_texts = await topics_chart.locator("text").all_text_contents()
    assert {BIKE, WATER, "6 건", "1 건"} <= set(chart_texts)
    assert await page.locator('svg[aria-label="채널별 상담 건수"] text', has_text="연계(API)").count() == 1
    rising = page.locator('svg[aria-label^="급증 주제: 2026년 10월 대비"]')
    assert await rising.locator("text", has_text=BIKE).count() == 1
    assert await page.locator("#examples li", has_text="900101-1******").count() == 1
    await page.screenshot(path=str(shots / "voc-report.png"), full_page=True)
    pdf = await page.pdf(format="A4", print_background=True)
    (shots / "voc-report.pdf").write_bytes(pdf)
    # Each section starts a page: the summary's page plus seven more.
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 8


async def test_xlsx_and_csv_hold_the_tables(two_months: Hub) -> None:
    report = await november(two_months, rising_min_count=2)
    made = voc_render.files(report)
    workbook = load_workbook(io.BytesIO(made["xlsx"].body))
    assert workbook.sheetnames == ["요약", "주제", "키워드", "급증 주제", "반복 문의", "사례"]
    topics = workbook["주제"]
    assert [c.value for c in topics[1]] == ["순위", "주제", "분야", "건수", "비율"]
    assert all(c.font.bold for c in topics[1])
    assert [c.value for c in topics[2]][:4] == [1, BIKE, "교통", 6]
    assert topics.column_dimensions["B"].width >= len(BIKE) * 2
    summary = [[c.value for c in row if c.value is not None] for row in workbook["요약"].iter_rows()]
    assert ["상담 건수", 7] in summary and ["연계(API)", 7, 1] in summary
    assert [c.value for c in workbook["급증 주제"][2]][:6] == [1, BIKE, "교통", 1, 6, 5]
    assert [c.value for c in workbook["반복 문의"][2]][:4] == [1, BIKE, "교통", 1]
    examples = [row[3].value for row in workbook["사례"].iter_rows(min_row=2)]
    assert len(examples) == 4 and not any(RESIDENT_NUMBER in e or PHONE in e for e in examples)

    assert made["csv"].body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(made["csv"].body.decode("utf-8-sig"))))
    assert rows[0][:6] == ["구분", "순위", "항목", "분야", "건수", "비율(%)"]
    assert ["주제", "1", BIKE, "교통", "6", "85.7"] in [row[:6] for row in rows]
    assert {row[0] for row in rows[1:]} >= {"요약", "채널별 상담", "주제", "키워드", "급증 주제", "반복 문의", "사례"}
    assert RESIDENT_NUMBER not in made["csv"].body.decode("utf-8-sig")


async def test_the_api_job_runs_and_serves_the_files(client: TestClient, two_months: Hub) -> None:
    supervisor = await login(client, "jung", available=False)
    started = await client.post("/api/v1/reports/voc", json={"month": "2026-11"}, headers=supervisor)
    assert started.status == 202, await started.text()
    job = await started.json()
    assert job["status"] == "running" and {"id", "done", "total", "stage"} <= job.keys()

    async def finished() -> dict | None:
        response = await client.get(f"/api/v1/reports/voc/{job['id']}", headers=supervisor)
        body = await response.json()
        return body if body["status"] != "running" else None

    done = await wait_for(finished, timeout=60, interval=0.2, failure="the VOC job did not finish")
    assert done["status"] == "done" and done["done"] == done["total"] == 11
    assert done["files"] == {kind: f"/api/v1/reports/voc/{job['id']}/voc.{kind}" for kind in ("html", "csv", "xlsx")}
    expected = {
        "html": ("text/html", "voc-2026-11.html"),
        "csv": ("text/csv", "voc-2026-11.csv"),
        "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "voc-2026-11.xlsx"),
    }
    for kind, (content_type, name) in expected.items():
        response = await client.get(done["files"][kind], headers=supervisor)
        assert response.status == 200
        assert response.content_type == content_type
        assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
        body = await response.read()
        assert len(body) > 500
    assert BIKE in (await (await client.get(done["files"]["html"], headers=supervisor)).text())


async def test_the_api_refuses_bad_months_unknown_jobs_and_agents(client: TestClient) -> None:
    supervisor = await login(client, "jung", available=False)
    for month in ("2026-13", "november", "2026-1"):
        response = await client.post("/api/v1/reports/voc", json={"month": month}, headers=supervisor)
        assert response.status == 400
        error = (await response.json())["error"]
        assert error["code"] == "invalid_month" and month in error["message"]
    missing = await client.post("/api/v1/reports/voc", json={}, headers=supervisor)
    assert missing.status in (400, 422)
    unknown = await client.get("/api/v1/reports/voc/nope", headers=supervisor)
    assert unknown.status == 404 and (await unknown.json())["error"]["code"] == "not_found"
    assert (await client.get("/api/v1/reports/voc/nope/voc.html", headers=supervisor)).status == 404
    agent = await login(client, "kim", available=False)
    refused = await client.post("/api/v1/reports/voc", json={"month": "2026-11"}, headers=agent)
    assert refused.status == 403
    client.session.cookie_jar.clear()
    assert (await client.post("/api/v1/reports/voc", json={"month": "2026-11"})).status == 401


async def test_the_cli_writes_the_files_and_prints_progress(two_months: Hub, database_url: str, tmp_path: Path) -> None:
    out = tmp_path / "voc"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "--database", database_url, "report", "voc", "--month", "2026-11",
        "--out", str(out),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, stderr.decode()
    assert "VOC 2026-11: month 11/11" in stderr.decode()
    written = sorted(path.name for path in out.iterdir())
    assert written == ["voc-2026-11.csv", "voc-2026-11.html", "voc-2026-11.xlsx"]
    assert stdout.decode().split() == [
        str(out / name) for name in ("voc-2026-11.html", "voc-2026-11.csv", "voc-2026-11.xlsx")
    ]
    assert BIKE in (out / "voc-2026-11.html").read_text(encoding="utf-8")

    bad = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "--database", database_url, "report", "voc", "--month", "2026-13",
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await bad.communicate()
    assert bad.returncode == 2 and "2026-13" in stderr.decode()
