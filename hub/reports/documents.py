"""What the report files have in common: the Korean names of channels, categories, languages and
queues, percentages as text, an HTML table and a figure, and the writing of tables as an XLSX
workbook or a CSV that Excel opens as it is.

The report's tables (`tables_export`) and the monthly VOC report (`voc_render`) both write with
these, so that a channel, a share or a header reads the same in every file the hub hands out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from channels.registry import all_channels
from hub.config import CHANNELS_ELSEWHERE
from model import Category
from store.queues import DEFAULT_QUEUES

UNKNOWN = "미분류"
CATEGORY_LABELS = {
    Category.TRANSPORT.value: "교통",
    Category.WATER.value: "상수도",
    Category.CITY.value: "시정 일반",
    Category.DISTRICT.value: "자치구",
    Category.OTHER.value: "기타",
}
LANGUAGE_LABELS = {"ko": "한국어", "en": "영어", "zh": "중국어", "ja": "일본어", "vi": "베트남어", "mn": "몽골어"}
SPELLED_OUT_CHANNELS = {"sms": "문자(SMS)", "webchat": "웹 채팅", "api": "연계(API)"}
"""Channels whose console label is too short for a reader outside the call centre (the VOC report
goes to the city's departments); the other channels read the same either way."""

WRAPPED_TEXT = 60
"""A cell longer than this (a citizen's question) wraps rather than widening its column."""
WIDEST_COLUMN = 80
MIN_COLUMN = 10


@dataclass(frozen=True)
class Percent:
    """A share (0.0–1.0) that every format shows as a percentage."""

    value: float


Cell = str | int | float | Percent | None


@dataclass(frozen=True)
class Table:
    """One table of a report: its sheet name, its heading, its columns and rows."""

    sheet: str
    title: str
    columns: tuple[str, ...]
    rows: Sequence[Sequence[Cell]]


# ---------------------------------------------------------------- names


def label(labels: Mapping[str, str], code: str) -> str:
    """`code`'s name in `labels`; a code the data could not place reads 미분류, any other the code itself."""
    return labels.get(code, UNKNOWN if code in ("", "unknown") else code)


@cache
def _channel_labels() -> dict[str, str]:
    return {info.channel.value: info.label for info in all_channels(CHANNELS_ELSEWHERE)}


def channel_label(code: str, *, spelled_out: bool = False) -> str:
    """The channel's name as the console shows it, or `spelled_out` for readers outside the call centre."""
    if spelled_out and code in SPELLED_OUT_CHANNELS:
        return SPELLED_OUT_CHANNELS[code]
    return _channel_labels().get(code, code)


def category_label(code: str) -> str:
    """The category's name in the foundation's report (교통, 상수도 …)."""
    return label(CATEGORY_LABELS, code)


def language_label(code: str) -> str:
    """The language's name in Korean (한국어, 영어 …)."""
    return label(LANGUAGE_LABELS, code)


def queue_label(code: str) -> str:
    """The queue's name as configured, or its code for a queue the defaults do not know."""
    return DEFAULT_QUEUES[code][0] if code in DEFAULT_QUEUES else code


# ---------------------------------------------------------------- text and HTML


def percent_text(share: float) -> str:
    """0.865 → "86.5 %", as the reports write a share in their prose and headings."""
    return f"{share * 100:.1f} %"


def cell_text(cell: Cell) -> str:
    """A table cell as text (CSV, HTML): shares as "86.5%", decimals to one place, nothing for None."""
    if cell is None:
        return ""
    if isinstance(cell, Percent):
        return f"{cell.value * 100:.1f}%"
    if isinstance(cell, float):
        return f"{cell:.1f}"
    return str(cell)


def figure(svg: str) -> str:
    """A chart's SVG as an HTML figure (the pages' CSS sizes figures to the paper)."""
    return f"<figure>{svg}</figure>"


def html_table(columns: Sequence[str], rows: Iterable[Sequence[Cell]], numeric: Collection[int] = ()) -> str:
    """An HTML table; numbers and the `numeric` columns (figures already written as text) align right,
    so that digits line up. A table without rows says so rather than showing a bare header."""
    head = "".join(f"<th scope=col>{escape(name)}</th>" for name in columns)
    body = []
    for row in rows:
        cells = []
        for index, cell in enumerate(row):
            number = isinstance(cell, (int, float, Percent)) and not isinstance(cell, bool)
            opening = "<td class=n>" if number or index in numeric else "<td>"
            cells.append(f"{opening}{escape(cell_text(cell))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    if not body:
        body.append(f"<tr><td colspan={len(columns)}>자료 없음</td></tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# ---------------------------------------------------------------- CSV and XLSX


def csv_with_bom(rows: Iterable[Sequence[object]]) -> bytes:
    """Rows as CSV in UTF-8 with a byte-order mark, without which Excel in Korea misreads the Hangul."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheets: Mapping[str, Sequence[Table]], headings: Mapping[str, str] | None = None) -> bytes:
    """A workbook with a sheet per entry of `sheets`, its tables one below the other: bold headers,
    shares as percentages, counts with thousands separators, columns as wide as their text.
    A sheet in `headings` opens with that heading in large type above its tables."""
    headings = headings or {}
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, tables in sheets.items():
        worksheet = workbook.create_sheet(name)
        row = 1
        if name in headings:
            worksheet.cell(row=1, column=1, value=headings[name]).font = Font(bold=True, size=14)
            row = 3
        widths: dict[int, float] = {}
        for table in tables:
            for column, header in enumerate(table.columns, 1):
                worksheet.cell(row=row, column=column, value=header).font = Font(bold=True)
                widths[column] = max(widths.get(column, MIN_COLUMN), _display_width(header))
            for values in table.rows:
                row += 1
                for column, value in enumerate(values, 1):
                    cell = worksheet.cell(row=row, column=column, value=_xlsx_value(value))
                    if isinstance(value, Percent):
                        cell.number_format = "0.0%"
                    elif isinstance(value, float):
                        cell.number_format = "0.0"
                    elif isinstance(value, int) and not isinstance(value, bool):
                        cell.number_format = "#,##0"
                    if isinstance(value, str) and len(value) > WRAPPED_TEXT:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
                    text = cell_text(value)
                    widths[column] = max(widths.get(column, MIN_COLUMN), min(_display_width(text), WIDEST_COLUMN))
            row += 2
        for column, width in widths.items():
            worksheet.column_dimensions[get_column_letter(column)].width = width + 2
        # Only a sheet of one table keeps its header in view: below a heading or between stacked
        # tables, row 1 is not a header.
        if name not in headings and len(tables) == 1:
            worksheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_value(cell: Cell) -> str | int | float | None:
    return cell.value if isinstance(cell, Percent) else cell


def _display_width(text: str) -> float:
    """Excel column units: a Hangul syllable is about two."""
    return sum(2 if "\u1100" <= ch <= "\uffdc" else 1 for ch in text)
