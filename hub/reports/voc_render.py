"""The monthly VOC report as files for the city's departments: one self-contained HTML page
that prints on A4 (charts inline as SVG), one CSV Excel opens as it is (UTF-8 with a byte
order mark, a 구분 column naming each row's table so that a filter shows one table), and an
XLSX workbook with one sheet per table."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from zoneinfo import ZoneInfo

from chatbot.knowledge.base import KnowledgeBase
from hub.reports.charts import bar_chart, column_chart
from hub.reports.documents import (
    Cell,
    Percent,
    Table,
    category_label,
    channel_label,
    csv_with_bom,
    figure,
    html_table,
    language_label,
    percent_text,
    xlsx_bytes,
)
from hub.reports.voc import Month, Progress, TopicCount, VocGenerator, VocReport
from store.db import Store

TITLE = "120 다산콜 시민의 소리 (VOC) 월간 보고"
STAGE_WRITING = "writing"

CHART_TOPICS = 10
CHART_KEYWORDS = 15


@dataclass(frozen=True)
class VocFile:
    """One generated file: its name for downloads, its media type and its bytes."""

    name: str
    content_type: str
    body: bytes


def title(report: VocReport) -> str:
    """The report's heading: `… — 2026년 11월`."""
    return f"{TITLE} — {report.month.korean}"


def channel_name(channel: str) -> str:
    """The channel spelled out for the departments that read the report (연계(API), not API)."""
    return channel_label(channel, spelled_out=True)


def _signed(value: float, unit: str = "") -> str:
    return f"{value:+,.1f}{unit}" if isinstance(value, float) else f"{value:+,}{unit}"


# -- HTML ------------------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK KR", "Noto Sans KR", sans-serif; color: #000; background: #fff;
       margin: 0 auto; max-width: 190mm; padding: 8mm 0; font-size: 10.5pt; line-height: 1.45; }
h1 { font-size: 18pt; margin: 0 0 4mm; border-bottom: 2px solid #1f4e79; padding-bottom: 2mm; }
h2 { font-size: 14pt; margin: 0 0 3mm; color: #000; border-left: 5px solid #1f4e79; padding-left: 3mm;
     break-after: avoid; }
h3 { font-size: 11.5pt; margin: 4mm 0 2mm; break-after: avoid; }
section { margin-top: 10mm; }
section.new-page { break-before: page; }
p.meta { margin: 0 0 4mm; }
figure { margin: 2mm 0 4mm; break-inside: avoid; }
figure svg { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; font-size: 9.5pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 1px solid #808080; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }
th { background: #d9e2f3; font-weight: bold; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.figures { display: grid; grid-template-columns: repeat(3, 1fr); gap: 3mm; margin: 3mm 0; }
.figure { border: 1px solid #808080; padding: 2mm 3mm; break-inside: avoid; }
.figure b { display: block; font-size: 15pt; }
ul.examples { margin: 0 0 3mm; padding-left: 5mm; }
ul.examples li { margin-bottom: 1mm; }
.topic-examples { break-inside: avoid; }
.note { font-size: 9pt; color: #000; }
@media print { body { padding: 0; max-width: none; } }
"""


def _counts_table(label: str, counts: dict[str, int], total: int, name: Callable[[str], str]) -> str:
    rows = [(name(key), f"{count:,}", percent_text(count / total if total else 0.0)) for key, count in counts.items()]
    return html_table((label, "건수", "비율"), rows, numeric=(1, 2))


def _topic_rows(topics: Sequence[TopicCount]) -> list[tuple[Cell, ...]]:
    return [
        (rank, t.topic.label, category_label(t.topic.category), f"{t.count:,}", percent_text(t.share))
        for rank, t in enumerate(topics, 1)
    ]


def html(report: VocReport) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, nothing fetched)."""
    heading = title(report)
    change = report.contacts - report.previous_contacts
    repeated = report.repeated
    summary = [
        ("상담 건수", f"{report.contacts:,}건", f"전월 {report.previous_contacts:,}건, {_signed(change)}건"),
        ("1위 주제", report.topics[0].topic.label if report.topics else "자료 없음", ""),
        (
            f"반복 문의 ({repeated.days}일 이내)",
            f"{repeated.repeats:,}건",
            f"전체의 {percent_text(repeated.share)}, 시민 {repeated.contacts:,}명",
        ),
    ]
    cards = "".join(
        f'<div class="figure">{escape(name)}<b>{escape(value)}</b>{escape(detail)}</div>'
        for name, value, detail in summary
    )
    parts = [
        f"<h1>{escape(heading)}</h1>",
        f'<p class="meta">대상 기간: {escape(report.month.korean)} 1일 – 말일 · 생성: '
        f"{escape(report.generated_at.strftime('%Y-%m-%d %H:%M'))} · 다산콜재단 시민 상담 허브</p>",
        '<section id="summary"><h2>1. 요약</h2>',
        f'<div class="figures">{cards}</div>',
        figure(
            bar_chart(
                "급증 주제 (전월 대비 비중 증가, %p)",
                {r.topic.label: round(r.share_points, 1) for r in report.rising[:5]},
                unit="%p",
            )
        ),
        "</section>",
        '<section id="channels" class="new-page"><h2>2. 채널·분야별 상담</h2>',
        figure(bar_chart("채널별 상담 건수", {channel_name(k): v for k, v in report.by_channel.items()}, unit="건")),
        _counts_table("채널", report.by_channel, report.contacts, channel_name),
        figure(bar_chart("분야별 상담 건수", {category_label(k): v for k, v in report.by_category.items()}, unit="건")),
        _counts_table("분야", report.by_category, report.contacts, category_label),
        "<h3>언어별 상담</h3>",
        _counts_table("언어", report.by_language, report.contacts, language_label),
        "</section>",
        '<section id="topics" class="new-page"><h2>3. 주요 문의 주제</h2>',
        figure(
            bar_chart(
                f"문의 주제 상위 {CHART_TOPICS}",
                {t.topic.label: t.count for t in report.topics[:CHART_TOPICS]},
                unit="건",
            )
        ),
        html_table(("순위", "주제", "분야", "건수", "비율"), _topic_rows(report.top), numeric=(0, 3, 4)),
        "</section>",
        '<section id="keywords" class="new-page"><h2>4. 주요 키워드</h2>',
        figure(
            bar_chart(
                f"키워드 상위 {CHART_KEYWORDS} (언급한 상담 건수)",
                {k.keyword: k.count for k in report.keywords[:CHART_KEYWORDS]},
                unit="건",
            )
        ),
        html_table(
            ("순위", "키워드", "상담 건수", "비율"),
            [(rank, k.keyword, f"{k.count:,}", percent_text(k.share)) for rank, k in enumerate(report.keywords, 1)],
            numeric=(0, 2, 3),
        ),
        "</section>",
        '<section id="rising" class="new-page"><h2>5. 급증 주제 (전월 대비)</h2>',
        figure(
            column_chart(
                f"급증 주제: {report.month.previous.korean} 대비 {report.month.korean}",
                [r.topic.label for r in report.rising[:6]],
                {
                    report.month.previous.korean: [r.previous for r in report.rising[:6]],
                    report.month.korean: [r.current for r in report.rising[:6]],
                },
            )
            if report.rising
            else bar_chart("급증 주제", {})
        ),
        html_table(
            ("순위", "주제", "전월 건수", "이번 달 건수", "증감", "증가율", "전월 비중", "이번 달 비중", "비중 증감"),
            [
                (
                    rank,
                    r.topic.label,
                    f"{r.previous:,}",
                    f"{r.current:,}",
                    _signed(r.growth),
                    "신규" if r.growth_rate is None else percent_text(r.growth_rate),
                    percent_text(r.previous_share),
                    percent_text(r.current_share),
                    _signed(r.share_points, " %p"),
                )
                for rank, r in enumerate(report.rising, 1)
            ],
            numeric=(0, 2, 3, 4, 5, 6, 7, 8),
        ),
        f'<p class="note">이번 달 {report.rising_min_count}건 이상인 주제 중 건수와 비중이 모두 늘어난 주제를 '
        "비중 증가폭 순으로 보였습니다.</p>",
        "</section>",
        f'<section id="repeated" class="new-page"><h2>6. 반복 문의 ({repeated.days}일 이내 같은 시민·같은 주제)</h2>',
        f"<p>반복 문의 {repeated.repeats:,}건 (이번 달 상담의 {percent_text(repeated.share)}), "
        f"반복한 시민 {repeated.contacts:,}명.</p>",
        figure(bar_chart("반복 문의가 많은 주제", {t.topic.label: t.count for t in repeated.topics}, unit="건")),
        html_table(
            ("순위", "주제", "분야", "반복 건수", "반복 중 비율"), _topic_rows(repeated.topics), numeric=(0, 3, 4)
        ),
        "</section>",
        '<section id="examples" class="new-page"><h2>7. 주제별 시민 문의 사례</h2>',
        '<p class="note">개인정보(주민등록번호, 카드번호, 전화번호)는 가려서 실었습니다.</p>',
    ]
    for rank, t in enumerate(report.top, 1):
        examples = report.examples.get(t.topic.key, [])
        items = "".join(f"<li>{escape(example)}</li>" for example in examples) or "<li>사례 없음</li>"
        parts.append(
            f'<div class="topic-examples"><h3>{rank}. {escape(t.topic.label)} ({t.count:,}건)</h3>'
            f'<ul class="examples">{items}</ul></div>'
        )
    parts += [
        "</section>",
        '<section id="method" class="new-page"><h2>8. 산출 기준</h2>',
        "<ul>",
        "<li>상담 1건: 대화가 시작되거나 종료 후 다시 열린 때부터의 한 번의 상담.</li>",
        "<li>주제: 챗봇이 답한 표준상담DB 항목, 없으면 시민의 첫 질문과 가장 잘 맞는 항목, "
        "잘 맞는 항목이 없으면 상담 분야(“분야 일반”).</li>",
        f"<li>주제 판정: 챗봇 답변 {report.matched_by_bot:,}건, 검색 {report.matched_by_search:,}건, "
        f"분야 {report.matched_by_category:,}건 (전월 포함).</li>",
        "<li>키워드: 시민이 쓴 메시지의 명사·복합명사 (형태소 분석, 불용어 제외), 상담마다 한 번씩 셈. "
        f"분석한 메시지 {report.analysed_messages:,}건; 외국어 메시지는 한국어 번역으로 분석하고, "
        f"번역이 없는 {report.skipped_messages:,}건은 제외.</li>",
        f"<li>반복 문의: 같은 시민이 {repeated.days}일 이내에 같은 주제로 다시 문의한 상담 (전월 상담 포함).</li>",
        "</ul>",
        "</section>",
    ]
    return (
        '<!doctype html><html lang="ko"><head><meta charset="utf-8">'
        f"<title>{escape(heading)}</title><style>{_CSS}</style></head><body>{''.join(parts)}</body></html>"
    )


# -- tables for CSV and XLSX -------------------------------------------------------------


def sheets(report: VocReport) -> list[Table]:
    """The report's tables, in the order of the workbook's sheets; shares as `Percent`."""
    repeated = report.repeated
    summary = Table(
        "요약",
        "요약",
        ("항목", "값"),
        [
            ("보고 월", str(report.month)),
            ("상담 건수", report.contacts),
            ("전월 상담 건수", report.previous_contacts),
            ("전월 대비 증감", report.contacts - report.previous_contacts),
            (f"반복 문의 건수 ({repeated.days}일 이내)", repeated.repeats),
            ("반복 문의한 시민 수", repeated.contacts),
            ("분석한 메시지 수", report.analysed_messages),
            ("번역이 없어 제외한 외국어 메시지 수", report.skipped_messages),
        ],
    )

    def counts(name: str, label: str, values: dict[str, int], named: Callable[[str], str]) -> Table:
        total = report.contacts
        rows: list[tuple[Cell, ...]] = [(named(k), v, Percent(v / total if total else 0.0)) for k, v in values.items()]
        return Table(name, f"{label}별 상담", (label, "건수", "비율"), rows)

    return [
        summary,
        counts("채널별", "채널", report.by_channel, channel_name),
        counts("분야별", "분야", report.by_category, category_label),
        counts("언어별", "언어", report.by_language, language_label),
        Table(
            "주제",
            "주요 문의 주제",
            ("순위", "주제", "분야", "건수", "비율"),
            [
                (rank, t.topic.label, category_label(t.topic.category), t.count, Percent(t.share))
                for rank, t in enumerate(report.topics, 1)
            ],
        ),
        Table(
            "키워드",
            "주요 키워드",
            ("순위", "키워드", "상담 건수", "비율"),
            [(rank, k.keyword, k.count, Percent(k.share)) for rank, k in enumerate(report.keywords, 1)],
        ),
        Table(
            "급증 주제",
            "급증 주제 (전월 대비)",
            ("순위", "주제", "분야", "전월 건수", "이번 달 건수", "증감", "전월 비중", "이번 달 비중", "비중 증감(%p)"),
            [
                (
                    rank,
                    r.topic.label,
                    category_label(r.topic.category),
                    r.previous,
                    r.current,
                    r.growth,
                    Percent(r.previous_share),
                    Percent(r.current_share),
                    round(r.share_points, 2),
                )
                for rank, r in enumerate(report.rising, 1)
            ],
        ),
        Table(
            "반복 문의",
            f"반복 문의 ({repeated.days}일 이내)",
            ("순위", "주제", "분야", "반복 건수", "반복 중 비율"),
            [
                (rank, t.topic.label, category_label(t.topic.category), t.count, Percent(t.share))
                for rank, t in enumerate(repeated.topics, 1)
            ],
        ),
        Table(
            "사례",
            "주제별 시민 문의 사례",
            ("순위", "주제", "분야", "사례 (개인정보 가림)"),
            [
                (rank, t.topic.label, category_label(t.topic.category), example)
                for rank, t in enumerate(report.top, 1)
                for example in report.examples.get(t.topic.key, [])
            ],
        ),
    ]


WORKBOOK_SHEETS = ("요약", "주제", "키워드", "급증 주제", "반복 문의", "사례")
"""The workbook's sheets; the contacts by channel, category and language sit under the summary."""


def xlsx(report: VocReport) -> bytes:
    """The report as an XLSX workbook: bold headers, set widths, shares formatted as percent."""
    tables = {table.sheet: table for table in sheets(report)}
    stacked = {name: [tables[name]] for name in WORKBOOK_SHEETS}
    stacked["요약"] += [tables["채널별"], tables["분야별"], tables["언어별"]]
    return xlsx_bytes(stacked, headings={"요약": title(report)})


CSV_HEADERS = ("구분", "순위", "항목", "분야", "건수", "비율(%)", "전월 건수", "전월 비율(%)", "증감", "비고")


def csv_bytes(report: VocReport) -> bytes:
    """Every table in one CSV, a 구분 column naming each row's table (Excel: filter on it).
    UTF-8 with a byte order mark, so that Excel reads the Korean."""

    def pct(share: float) -> float:
        return round(share * 100, 1)

    rows: list[Sequence[object]] = [CSV_HEADERS]
    for label, value in sheets(report)[0].rows:
        rows.append(("요약", "", label, "", value if isinstance(value, int) else "", "", "", "", "", value))
    for section, values, named in (
        ("채널별 상담", report.by_channel, channel_name),
        ("분야별 상담", report.by_category, category_label),
        ("언어별 상담", report.by_language, language_label),
    ):
        for rank, (key, count) in enumerate(values.items(), 1):
            share = count / report.contacts if report.contacts else 0.0
            rows.append((section, rank, named(key), "", count, pct(share), "", "", "", ""))
    for rank, t in enumerate(report.topics, 1):
        rows.append(("주제", rank, t.topic.label, category_label(t.topic.category), t.count, pct(t.share)))
    for rank, k in enumerate(report.keywords, 1):
        rows.append(("키워드", rank, k.keyword, "", k.count, pct(k.share)))
    for rank, r in enumerate(report.rising, 1):
        rows.append(
            (
                "급증 주제",
                rank,
                r.topic.label,
                category_label(r.topic.category),
                r.current,
                pct(r.current_share),
                r.previous,
                pct(r.previous_share),
                r.growth,
                f"비중 {r.share_points:+.1f} %p",
            )
        )
    for rank, t in enumerate(report.repeated.topics, 1):
        rows.append(
            (
                "반복 문의",
                rank,
                t.topic.label,
                category_label(t.topic.category),
                t.count,
                pct(t.share),
                "",
                "",
                "",
                f"{report.repeated.days}일 이내",
            )
        )
    for rank, t in enumerate(report.top, 1):
        for example in report.examples.get(t.topic.key, []):
            rows.append(("사례", rank, t.topic.label, category_label(t.topic.category), "", "", "", "", "", example))
    return csv_with_bom(rows)


def files(report: VocReport) -> dict[str, VocFile]:
    """The report's three files by kind (`html`, `csv`, `xlsx`), named `voc-2026-11.<kind>`."""
    stem = f"voc-{report.month}"
    return {
        "html": VocFile(f"{stem}.html", "text/html; charset=utf-8", html(report).encode("utf-8")),
        "csv": VocFile(f"{stem}.csv", "text/csv; charset=utf-8", csv_bytes(report)),
        "xlsx": VocFile(
            f"{stem}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            xlsx(report),
        ),
    }


async def generate(
    store: Store, knowledge: KnowledgeBase, timezone: ZoneInfo, month: Month, progress: Progress | None = None
) -> tuple[VocReport, dict[str, VocFile]]:
    """The month's report and its files, telling `progress` (done, total, stage) throughout."""
    report = await VocGenerator(store, knowledge, timezone).report(month, progress=progress)
    if progress is not None:
        total = report.contacts + report.previous_contacts
        progress(total, total, STAGE_WRITING)
    # Writing the workbook takes a while for a large month: off the event loop.
    return report, await asyncio.to_thread(files, report)
