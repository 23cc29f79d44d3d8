"""The report's tables (`report_tables`) as files: an HTML page with charts that prints on A4,
a CSV with one section per table, and an XLSX with one sheet per table.

The three read the same `Table`s, so a figure shows the same in each; the HTML adds the
charts of `hub.reports.charts` (the console shows this very page). Headings use the names of
the foundation's own report (채널별 상담 현황, 1차 상담완료율 …).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from hub.reports import charts
from hub.reports.documents import (
    CATEGORY_LABELS,
    Cell,
    Percent,
    Table,
    category_label,
    cell_text,
    channel_label,
    csv_with_bom,
    figure,
    html_table,
    label,
    language_label,
    percent_text,
    queue_label,
    xlsx_bytes,
)
from model import Disposition

DISPOSITION_LABELS = {
    Disposition.RESOLVED.value: "1차 상담완료",
    Disposition.DIRECTORY.value: "전화번호 안내",
    Disposition.CONNECTED.value: "담당자 연결",
    Disposition.TRANSFERRED.value: "부서이관",
    Disposition.CALLBACK.value: "재통화",
}
FILTER_LABELS = {
    "channel": "채널",
    "language": "언어",
    "category": "분야",
    "queue": "대기열",
    "agent": "상담사",
    "team": "팀",
}
PERIOD_LABELS = {"day": "일별", "week": "주별", "month": "월별"}
WEEKDAYS = ("월", "화", "수", "목", "금", "토", "일")
HOURS = tuple(str(hour) for hour in range(24))


# ---------------------------------------------------------------- targets


def headings(tables: Mapping[str, Any]) -> dict[str, str]:
    """The report's headings, its targets written in."""
    targets = tables.get("targets") or {}
    answer = targets.get("answer_rate")
    satisfaction = targets.get("satisfaction")
    ceiling = targets.get("abuse_incidents_per_month")
    return {
        "channels": "채널별 상담 현황",
        "categories": "분야별 상담 현황",
        "fcr": "1차 상담완료율 (시 소관 / 자치구 소관)",
        "dispositions": "처리 유형",
        "answer_rate": f"응답률 (목표 {percent_text(answer)})" if answer is not None else "응답률",
        "service_level": "서비스 레벨",
        "wait": "대기시간",
        "handle": "처리시간",
        "satisfaction": f"시민 만족도 (목표 {satisfaction:.1f}점)" if satisfaction is not None else "시민 만족도",
        "performance": "상담사·파트·팀별 실적",
        "inbound": "요일·시간대별 인입량",
        "abuse": f"악성민원 (월 상한 {ceiling}건)" if ceiling is not None else "악성민원",
    }


# ---------------------------------------------------------------- the tables


FIGURE_COLUMNS: tuple[tuple[str, Callable[[Mapping[str, Any]], Cell]], ...] = (
    ("상담 건수", lambda f: f.get("contacts", 0)),
    ("응답률", lambda f: Percent(f.get("answer_rate", 0.0))),
    ("포기율", lambda f: Percent(f.get("abandonment_rate", 0.0))),
    ("서비스 레벨", lambda f: Percent(f.get("service_level", 0.0))),
    ("대기시간 중앙값(초)", lambda f: f.get("wait_seconds", {}).get("p50", 0.0)),
    ("대기시간 p90(초)", lambda f: f.get("wait_seconds", {}).get("p90", 0.0)),
    ("처리시간 평균(초)", lambda f: f.get("handle_seconds", {}).get("mean", 0.0)),
    ("처리시간 중앙값(초)", lambda f: f.get("handle_seconds", {}).get("p50", 0.0)),
    ("1차 상담완료율", lambda f: Percent(f.get("first_contact_resolution", 0.0))),
    ("1차 상담완료율(시 소관)", lambda f: Percent(f.get("fcr_split", {}).get("city", 0.0))),
    ("1차 상담완료율(자치구 소관)", lambda f: Percent(f.get("fcr_split", {}).get("district", 0.0))),
    ("재문의율", lambda f: Percent(f.get("repeat_contact_rate", 0.0))),
    ("시민 만족도(점)", lambda f: f.get("satisfaction")),
    ("악성민원(건)", lambda f: f.get("abuse_incidents", 0)),
)
COMPACT_FIGURES = ("상담 건수", "응답률", "서비스 레벨", "1차 상담완료율", "처리시간 평균(초)", "시민 만족도(점)")
"""The performance tables on paper: the columns that fit A4 beside the names."""


def _figure_columns(compact: bool) -> tuple[tuple[str, Callable[[Mapping[str, Any]], Cell]], ...]:
    return tuple(c for c in FIGURE_COLUMNS if not compact or c[0] in COMPACT_FIGURES)


def _figures_table(
    sheet: str, title: str, leading: Sequence[tuple[str, str]], rows: Sequence[Mapping[str, Any]], compact: bool
) -> Table:
    """Rows that each carry the FIGURES (periods, agents, parts, teams) after a few naming columns."""
    figures = _figure_columns(compact)
    return Table(
        sheet,
        title,
        (*(name for name, _ in leading), *(name for name, _ in figures)),
        [[row.get(key) for _, key in leading] + [read(row) for _, read in figures] for row in rows],
    )


def summary_table(tables: Mapping[str, Any]) -> Table:
    """The period's figures one per line, beside their targets."""
    totals = tables.get("totals") or {}
    targets = tables.get("targets") or {}
    abuse_months = tables.get("abuse_by_month") or []
    ceiling = targets.get("abuse_incidents_per_month")
    rows: list[list[Cell]] = [[name, read(totals), None] for name, read in FIGURE_COLUMNS if name != "악성민원(건)"]
    target_of = {
        "응답률": Percent(targets["answer_rate"]) if "answer_rate" in targets else None,
        "1차 상담완료율": Percent(targets["first_contact_resolution"])
        if "first_contact_resolution" in targets
        else None,
        "시민 만족도(점)": targets.get("satisfaction"),
    }
    for row in rows:
        row[2] = target_of.get(str(row[0]))
    rows.append(["악성민원(건)", totals.get("abuse_incidents", 0), f"월 {ceiling}건 이하" if ceiling else None])
    if abuse_months:
        rows.append(["악성민원 상한 초과 월", sum(m["incidents"] > m["ceiling"] for m in abuse_months), 0])
    return Table("요약", "요약", ("지표", "값", "목표"), rows)


def report_tables(tables: Mapping[str, Any], *, compact: bool = False) -> dict[str, Table]:
    """Every table of the report by its sheet name, in the report's order. `compact`: the
    performance tables keep only the columns that fit on paper."""
    totals = tables.get("totals") or {}
    by_channel = totals.get("by_channel") or {}
    channel_share = totals.get("channel_share") or {}
    months = sorted((tables.get("by_category_month") or {}).items())
    categories = [c for c in CATEGORY_LABELS if any(c in counts for _, counts in months)] or list(CATEGORY_LABELS)
    extra = sorted({c for _, counts in months for c in counts} - set(categories))
    dispositions = totals.get("dispositions") or {}
    disposition_share = totals.get("disposition_share") or {}
    inbound = tables.get("inbound_by_hour") or {}
    found = [
        summary_table(tables),
        _figures_table(
            "기간별",
            f"{PERIOD_LABELS.get(tables.get('period', ''), '기간별')} 실적",
            [("기간", "label")],
            tables.get("periods") or [],
            compact,
        ),
        Table(
            "채널",
            "채널별 상담 현황",
            ("채널", "상담 건수", "비중"),
            [
                [channel_label(c), n, Percent(channel_share.get(c, 0.0))]
                for c, n in sorted(by_channel.items(), key=lambda item: -item[1])
            ],
        ),
        Table(
            "분야",
            "분야별 상담 현황",
            ("월", *(category_label(c) for c in [*categories, *extra]), "합계"),
            [
                [month, *(counts.get(c, 0) for c in [*categories, *extra]), sum(counts.values())]
                for month, counts in months
            ],
        ),
        Table(
            "처리유형",
            "처리 유형",
            ("처리 유형", "건수", "비중"),
            [
                [label(DISPOSITION_LABELS, d), dispositions.get(d, 0), Percent(disposition_share.get(d, 0.0))]
                for d in [*DISPOSITION_LABELS, *sorted(set(dispositions) - set(DISPOSITION_LABELS))]
            ],
        ),
        _figures_table(
            "상담사",
            "상담사별 실적",
            [("상담사", "name"), ("아이디", "agent"), ("팀", "team"), ("파트", "part")],
            tables.get("by_agent") or [],
            compact,
        ),
        _figures_table("파트", "파트별 실적", [("팀", "team"), ("파트", "part")], tables.get("by_part") or [], compact),
        _figures_table("팀", "팀별 실적", [("팀", "team")], tables.get("by_team") or [], compact),
        Table(
            "인입량",
            "요일·시간대별 인입량",
            ("대기열", "요일", *(f"{hour}시" for hour in HOURS), "합계"),
            [
                [queue_label(queue), WEEKDAYS[day], *counts, sum(counts)]
                for queue, week in sorted(inbound.items())
                for day, counts in enumerate(week[: len(WEEKDAYS)])
            ],
        ),
        Table(
            "악성민원",
            "악성민원",
            ("월", "건수", "월 상한", "상한 초과"),
            [
                [m["month"], m["incidents"], m["ceiling"], "초과" if m["incidents"] > m["ceiling"] else "-"]
                for m in tables.get("abuse_by_month") or []
            ],
        ),
    ]
    return {table.sheet: table for table in found}


# ---------------------------------------------------------------- CSV and XLSX


def render_csv(tables: Mapping[str, Any]) -> bytes:
    """UTF-8 with a byte-order mark (Excel in Korea opens it as such), one section per table:
    its name on a line, the header, the rows, a blank line."""
    rows: list[Sequence[object]] = [
        ["기간", tables.get("from", ""), tables.get("to", ""), PERIOD_LABELS.get(tables.get("period", ""), "")],
        [],
    ]
    for table in report_tables(tables).values():
        rows += [[f"[{table.sheet}] {table.title}"], table.columns]
        rows += [[cell_text(cell) for cell in row] for row in table.rows]
        rows.append([])
    return csv_with_bom(rows)


def render_xlsx(tables: Mapping[str, Any]) -> bytes:
    """A workbook with one sheet per table (요약, 기간별, 채널 …): bold headers, shares as percentages."""
    return xlsx_bytes({table.sheet: [table] for table in report_tables(tables).values()})


# ---------------------------------------------------------------- HTML with charts

STYLE = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 190mm; padding: 16px; color: #000; background: #fff;
  font: 13px/1.5 'Noto Sans CJK KR', 'Noto Sans KR', 'Malgun Gothic', sans-serif; word-break: keep-all; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 22px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #1f4e79; }
h3 { font-size: 14px; margin: 14px 0 6px; }
.meta { color: #333; margin: 0 0 12px; }
section { break-inside: avoid; page-break-inside: avoid; }
section.long { break-inside: auto; page-break-inside: auto; }
figure { margin: 8px 0; }
figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 12px; }
th, td { border: 1px solid #999; padding: 3px 6px; }
th { background: #e8eef5; text-align: center; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr { break-inside: avoid; page-break-inside: avoid; }
.over { color: #c00000; font-weight: 700; }
@media print { body { padding: 0; max-width: none; } h2 { break-after: avoid; page-break-after: avoid; } }
"""


def _sheet_table(table: Table) -> str:
    return html_table(table.columns, table.rows)


def _section(heading: str, *parts: str, long: bool = False) -> str:
    return f"<section{' class=long' if long else ''}><h2>{escape(heading)}</h2>{''.join(parts)}</section>"


def _series(periods: Sequence[Mapping[str, Any]], read: Callable[[Mapping[str, Any]], float]) -> list[float]:
    return [float(read(p)) for p in periods]


def render_html(tables: Mapping[str, Any]) -> str:
    """The report as one self-contained page (inline CSS and SVG, no script, no request):
    headings as the foundation writes them, a chart and its table per section, A4 when printed."""
    names = headings(tables)
    targets = tables.get("targets") or {}
    totals = tables.get("totals") or {}
    periods = tables.get("periods") or []
    labels = [str(p.get("label", p.get("start", ""))) for p in periods]
    sheets = report_tables(tables, compact=True)
    months = sorted((tables.get("by_category_month") or {}).items())
    categories = list(CATEGORY_LABELS) + sorted({c for _, n in months for c in n} - set(CATEGORY_LABELS))
    fcr = totals.get("fcr_split") or {}
    channels = sorted((totals.get("by_channel") or {}).items(), key=lambda item: -item[1])
    rated = [
        (label, p["satisfaction"])
        for label, p in zip(labels, periods, strict=True)
        if p.get("satisfaction") is not None
    ]
    abuse = tables.get("abuse_by_month") or []
    filters = {k: v for k, v in (tables.get("filters") or {}).items() if v}

    sections = [
        _section("요약", _sheet_table(sheets["요약"])),
        _section(
            names["channels"],
            figure(charts.bar_chart("채널별 상담 건수", {channel_label(c): n for c, n in channels}, unit="건")),
            _sheet_table(sheets["채널"]),
        ),
        _section(
            names["categories"],
            figure(
                charts.column_chart(
                    "월별 분야별 상담 건수",
                    [month for month, _ in months],
                    {category_label(c): [counts.get(c, 0) for _, counts in months] for c in categories},
                    stacked=True,
                )
            ),
            figure(
                charts.bar_chart(
                    "분야별 비중",
                    {
                        category_label(c): share
                        for c, share in sorted(_shares(totals.get("by_category") or {}).items(), key=lambda i: -i[1])
                    },
                    percent=True,
                )
            ),
            _sheet_table(sheets["분야"]),
        ),
        _section(
            names["fcr"],
            figure(
                charts.bar_chart(
                    "1차 상담완료율",
                    {
                        "전체": fcr.get("all", 0.0),
                        "시 소관": fcr.get("city", 0.0),
                        "자치구 소관": fcr.get("district", 0.0),
                    },
                    percent=True,
                    target=targets.get("first_contact_resolution"),
                )
            ),
            figure(
                charts.line_chart(
                    f"{PERIOD_LABELS.get(tables.get('period', ''), '기간별')} 1차 상담완료율",
                    labels,
                    {
                        "전체": _series(periods, lambda p: p.get("first_contact_resolution", 0.0)),
                        "시 소관": _series(periods, lambda p: p.get("fcr_split", {}).get("city", 0.0)),
                        "자치구 소관": _series(periods, lambda p: p.get("fcr_split", {}).get("district", 0.0)),
                    },
                    percent=True,
                    target=targets.get("first_contact_resolution"),
                )
            ),
        ),
        _section(
            names["dispositions"],
            figure(
                charts.bar_chart(
                    "처리 유형별 비중",
                    {
                        label(DISPOSITION_LABELS, d): s
                        for d, s in sorted((totals.get("disposition_share") or {}).items(), key=lambda i: -i[1])
                    },
                    percent=True,
                )
            ),
            _sheet_table(sheets["처리유형"]),
        ),
        _section(
            names["answer_rate"],
            figure(
                charts.line_chart(
                    "기간별 응답률",
                    labels,
                    {"응답률": _series(periods, lambda p: p.get("answer_rate", 0.0))},
                    percent=True,
                    target=targets.get("answer_rate"),
                )
            ),
        ),
        _section(
            names["service_level"],
            figure(
                charts.line_chart(
                    "기간별 서비스 레벨",
                    labels,
                    {"서비스 레벨": _series(periods, lambda p: p.get("service_level", 0.0))},
                    percent=True,
                )
            ),
        ),
        _section(
            names["wait"],
            figure(
                charts.column_chart(
                    "기간별 대기시간 (초)",
                    labels,
                    {
                        "중앙값": _series(periods, lambda p: p.get("wait_seconds", {}).get("p50", 0.0)),
                        "90번째 백분위": _series(periods, lambda p: p.get("wait_seconds", {}).get("p90", 0.0)),
                    },
                )
            ),
        ),
        _section(
            names["handle"],
            figure(
                charts.column_chart(
                    "기간별 처리시간 (초)",
                    labels,
                    {
                        "평균": _series(periods, lambda p: p.get("handle_seconds", {}).get("mean", 0.0)),
                        "중앙값": _series(periods, lambda p: p.get("handle_seconds", {}).get("p50", 0.0)),
                    },
                )
            ),
        ),
        _section(
            names["satisfaction"],
            figure(
                charts.line_chart(
                    "기간별 시민 만족도 (점)",
                    [label for label, _ in rated],
                    {"만족도": [float(points) for _, points in rated]},
                    target=targets.get("satisfaction"),
                )
            ),
        ),
        _section(
            names["performance"],
            figure(
                charts.bar_chart(
                    "팀별 상담 건수",
                    {str(t.get("team")): t.get("contacts", 0) for t in tables.get("by_team") or []},
                    unit="건",
                )
            ),
            figure(
                charts.bar_chart(
                    "상담사별 1차 상담완료율",
                    {
                        str(a.get("name") or a.get("agent")): a.get("first_contact_resolution", 0.0)
                        for a in tables.get("by_agent") or []
                    },
                    percent=True,
                    target=targets.get("first_contact_resolution"),
                )
            ),
            "<h3>팀</h3>",
            _sheet_table(sheets["팀"]),
            "<h3>파트</h3>",
            _sheet_table(sheets["파트"]),
            "<h3>상담사</h3>",
            _sheet_table(sheets["상담사"]),
            long=True,
        ),
        _section(
            names["inbound"],
            *(
                figure(charts.heatmap(f"{queue_label(queue)} 대기열 인입량", WEEKDAYS, HOURS, week, width=720))
                for queue, week in sorted((tables.get("inbound_by_hour") or {}).items())
            ),
            long=True,
        ),
        _section(
            names["abuse"],
            figure(
                charts.column_chart(
                    "월별 악성민원 건수",
                    [m["month"] for m in abuse],
                    {"악성민원": [float(m["incidents"]) for m in abuse]},
                    target=targets.get("abuse_incidents_per_month"),
                )
            ),
            _sheet_table(sheets["악성민원"]),
        ),
        _section(
            f"{PERIOD_LABELS.get(tables.get('period', ''), '기간별')} 실적", _sheet_table(sheets["기간별"]), long=True
        ),
    ]
    scope = " · ".join(f"{FILTER_LABELS.get(k, k)}: {_filter_value(k, v)}" for k, v in filters.items()) or "전체"
    period = PERIOD_LABELS.get(str(tables.get("period", "")), "")
    return (
        "<!doctype html><html lang=ko><head><meta charset=utf-8>"
        f"<title>상담 실적 보고서 {escape(str(tables.get('from', '')))} ~ {escape(str(tables.get('to', '')))}</title>"
        f"<style>{STYLE}</style></head><body>"
        "<h1>상담 실적 보고서</h1>"
        f"<p class=meta>기간 {escape(str(tables.get('from', '')))} ~ {escape(str(tables.get('to', '')))}"
        f" ({escape(period)}) · 범위 {escape(scope)}</p>"
        f"{''.join(sections)}</body></html>"
    )


def _shares(counts: Mapping[str, int]) -> dict[str, float]:
    whole = sum(counts.values())
    return {key: count / whole if whole else 0.0 for key, count in counts.items()}


def _filter_value(name: str, value: object) -> str:
    code = str(value)
    if name == "channel":
        return channel_label(code)
    if name == "category":
        return category_label(code)
    if name == "queue":
        return queue_label(code)
    if name == "language":
        return language_label(code)
    return code
