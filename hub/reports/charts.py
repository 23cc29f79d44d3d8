"""Server-side SVG charts for the console and the printed reports.

Every chart is one self-contained ``<svg>`` string: no script, no external resource, black
text on solid fills, and every value printed beside its mark so that paper and a wall screen
show everything a pointer would (nothing is hover-only). Korean labels use the CJK font the
hub's pages and PDF exports are set in. All caller text is escaped.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

FONT_FAMILY = "'Noto Sans CJK KR', 'Noto Sans KR', sans-serif"
NO_DATA = "자료 없음"
TEXT_COLOUR = "#000000"
AXIS_COLOUR = "#444444"
GRID_COLOUR = "#d9d9d9"
TARGET_COLOUR = "#c00000"
# Solid fills that stay distinct when printed in greyscale (dark, light, mid, …).
PALETTE = ("#1f4e79", "#9dc3e6", "#c55a11", "#548235", "#7f7f7f", "#ffc000", "#7030a0", "#2e75b6")
# Dash patterns for line series so that a black-and-white print still tells the lines apart.
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")

TITLE_SIZE = 15
LABEL_SIZE = 12
VALUE_SIZE = 11
TITLE_HEIGHT = 34


def text_width(text: str, size: float) -> float:
    """Rough rendered width of text: full-width (Hangul, Hanzi, kana) glyphs are about one em,
    others about six tenths of one."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def format_value(value: float, *, percent: bool = False, unit: str = "") -> str:
    """A value as printed on a chart: ``0.788`` → ``78.8 %`` when percent, ``12345`` → ``12,345``,
    ``3.14`` → ``3.1``, followed by the unit when one is given."""
    if percent:
        return f"{value * 100:.1f} %"
    if math.isfinite(value) and float(value).is_integer():
        text = f"{int(value):,}"
    else:
        text = f"{value:,.1f}"
    return f"{text} {unit}" if unit else text


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round axis ticks covering low..high (1, 2, 2.5 or 5 times a power of ten apart)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = []
    tick = start
    while tick < high + step * 0.5:
        ticks.append(round(tick, 10))
        if tick >= high:
            break
        tick += step
    return ticks


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: float = LABEL_SIZE,
    anchor: str = "start",
    weight: str = "normal",
    fill: str = TEXT_COLOUR,
    rotate: float | None = None,
    baseline: str = "auto",
) -> str:
    transform = f' transform="rotate({rotate:g} {x:.1f} {y:.1f})"' if rotate is not None else ""
    weight_attr = f' font-weight="{weight}"' if weight != "normal" else ""
    baseline_attr = f' dominant-baseline="{baseline}"' if baseline != "auto" else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}" fill="{fill}"'
        f"{weight_attr}{baseline_attr}{transform}>{escape(content)}</text>"
    )


def _svg(title: str, width: int, height: float, body: Sequence[str]) -> str:
    """The chart's root element: accessible name, a <title>, the title printed at the top."""
    height = math.ceil(height)
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}"'
            f' height="{height}" role="img" aria-label={quoteattr(title)}'
            f' font-family="{FONT_FAMILY}" style="max-width:100%;height:auto">',
            f"<title>{escape(title)}</title>",
            f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
            _text(8, 22, title, size=TITLE_SIZE, weight="bold"),
            *body,
            "</svg>",
        ]
    )


def _no_data(title: str, width: int) -> str:
    return _svg(title, width, 90, [_text(width / 2, 64, NO_DATA, size=14, anchor="middle", fill=AXIS_COLOUR)])


def _legend(names: Sequence[str], x: float, y: float, width: int, *, lines: bool = False) -> tuple[list[str], float]:
    """Legend entries flowing left to right, wrapping at the chart's width; returns the
    elements and the height used."""
    parts: list[str] = []
    cursor_x, cursor_y = x, y
    for index, name in enumerate(names):
        entry_width = 22 + text_width(name, LABEL_SIZE) + 16
        if cursor_x + entry_width > width - 8 and cursor_x > x:
            cursor_x, cursor_y = x, cursor_y + 20
        colour = PALETTE[index % len(PALETTE)]
        if lines:
            dash = DASHES[index % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<line x1="{cursor_x:.1f}" y1="{cursor_y - 4:.1f}" x2="{cursor_x + 16:.1f}" y2="{cursor_y - 4:.1f}"'
                f' stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
            )
        else:
            parts.append(
                f'<rect x="{cursor_x:.1f}" y="{cursor_y - 10:.1f}" width="12" height="12" fill="{colour}"'
                f' stroke="{AXIS_COLOUR}" stroke-width="0.5"/>'
            )
        parts.append(_text(cursor_x + 20, cursor_y, name))
        cursor_x += entry_width
    return parts, cursor_y - y + 20


def _target_label(target: float, percent: bool, unit: str = "") -> str:
    return f"목표 {format_value(target, percent=percent, unit=unit)}"


def bar_chart(
    title: str,
    values: Mapping[str, float],
    *,
    percent: bool = False,
    unit: str = "",
    target: float | None = None,
    width: int = 640,
) -> str:
    """Horizontal bars in the order given (callers pass the largest first), each value printed
    at the end of its bar; ``target`` draws a labelled dashed vertical line."""
    if not values:
        return _no_data(title, width)
    labels = list(values)
    numbers = [float(values[label]) for label in labels]
    shown = [format_value(n, percent=percent, unit=unit) for n in numbers]
    label_width = min(max(text_width(label, LABEL_SIZE) for label in labels) + 12, width * 0.4)
    value_width = max(text_width(s, VALUE_SIZE) for s in shown) + 10
    left, right = 8 + label_width, width - 8 - value_width
    low = min(0.0, *numbers)
    high = max(0.0, *numbers, target if target is not None else 0.0)
    if high == low:
        high = low + 1

    def x_of(value: float) -> float:
        return left + (value - low) / (high - low) * (right - left)

    row, top = 26, TITLE_HEIGHT + (18 if target is not None else 4)
    body: list[str] = []
    zero = x_of(0.0)
    for index, (label, number, text) in enumerate(zip(labels, numbers, shown, strict=True)):
        y = top + index * row
        start, end = sorted((zero, x_of(number)))
        body.append(_text(left - 8, y + row / 2 + 4, _clip(label, label_width - 12), anchor="end"))
        body.append(
            f'<rect x="{start:.1f}" y="{y + 4:.1f}" width="{max(end - start, 0.0):.1f}" height="{row - 8}"'
            f' fill="{PALETTE[0]}"/>'
        )
        value_x = end + 4 if number >= 0 else start - 4
        body.append(_text(value_x, y + row / 2 + 4, text, size=VALUE_SIZE, anchor="start" if number >= 0 else "end"))
    bottom = top + len(labels) * row
    body.append(
        f'<line x1="{zero:.1f}" y1="{top:.1f}" x2="{zero:.1f}" y2="{bottom:.1f}" stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    )
    if target is not None:
        tx = x_of(target)
        body.append(
            f'<line x1="{tx:.1f}" y1="{top - 4:.1f}" x2="{tx:.1f}" y2="{bottom:.1f}" stroke="{TARGET_COLOUR}"'
            f' stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
        body.append(_text(tx, top - 7, _target_label(target, percent, unit), size=VALUE_SIZE, anchor="middle"))
    return _svg(title, width, bottom + 10, body)


def _clip(label: str, room: float) -> str:
    """The label shortened with an ellipsis to fit room pixels at the label size (half a
    pixel to spare: a room measured from the label itself must not clip it by rounding)."""
    room += 0.5
    if text_width(label, LABEL_SIZE) <= room:
        return label
    while label and text_width(label + "…", LABEL_SIZE) > room:
        label = label[:-1]
    return label + "…"


def _series_lists(labels: Sequence[str], series: Mapping[str, Sequence[float]]) -> dict[str, list[float]]:
    """Each series as floats, one per label (missing points read as 0)."""
    return {
        name: [float(points[i]) if i < len(points) else 0.0 for i in range(len(labels))]
        for name, points in series.items()
    }


class _Plot:
    """The plotting frame shared by column and line charts: a value axis on the left, the
    category labels below, a legend under those."""

    def __init__(
        self, width: int, labels: Sequence[str], names: Sequence[str], low: float, high: float, percent: bool
    ) -> None:
        self.ticks = nice_ticks(low, high)
        self.low, self.high = self.ticks[0], self.ticks[-1]
        self.percent = percent
        tick_texts = [format_value(t, percent=percent) for t in self.ticks]
        self.left = 12 + max(text_width(t, VALUE_SIZE) for t in tick_texts)
        self.right = width - 12
        self.top = TITLE_HEIGHT + 22
        self.plot_height = 240.0
        self.bottom = self.top + self.plot_height
        self.slot = (self.right - self.left) / max(len(labels), 1)
        widest = max((text_width(label, LABEL_SIZE) for label in labels), default=0)
        # Labels wider than their slot are set at an angle so that they never overlap.
        self.rotate_labels = widest > self.slot - 4
        self.label_height = (widest * 0.72 + 16) if self.rotate_labels else 20
        self.labels = labels
        self.names = names
        self.width = width

    def y_of(self, value: float) -> float:
        return self.bottom - (value - self.low) / (self.high - self.low) * self.plot_height

    def centre(self, index: int) -> float:
        return self.left + self.slot * (index + 0.5)

    def frame(self) -> list[str]:
        parts: list[str] = []
        for tick in self.ticks:
            y = self.y_of(tick)
            colour = AXIS_COLOUR if tick == 0 else GRID_COLOUR
            parts.append(
                f'<line x1="{self.left:.1f}" y1="{y:.1f}" x2="{self.right:.1f}" y2="{y:.1f}" stroke="{colour}"'
                ' stroke-width="1"/>'
            )
            parts.append(
                _text(self.left - 6, y + 4, format_value(tick, percent=self.percent), size=VALUE_SIZE, anchor="end")
            )
        for index, label in enumerate(self.labels):
            x = self.centre(index)
            if self.rotate_labels:
                parts.append(_text(x, self.bottom + 14, label, anchor="end", rotate=-45))
            else:
                parts.append(_text(x, self.bottom + 16, label, anchor="middle"))
        return parts

    def target(self, target: float) -> list[str]:
        y = self.y_of(target)
        return [
            f'<line x1="{self.left:.1f}" y1="{y:.1f}" x2="{self.right:.1f}" y2="{y:.1f}" stroke="{TARGET_COLOUR}"'
            ' stroke-width="1.5" stroke-dasharray="5 3"/>',
            _text(self.right, y - 4, _target_label(target, self.percent), size=VALUE_SIZE, anchor="end"),
        ]

    def finish(self, title: str, body: list[str], *, lines: bool) -> str:
        legend_top = self.bottom + self.label_height + 16
        legend_height = 0.0
        if len(self.names) > 1 or (self.names and self.names[0]):
            legend, legend_height = _legend(self.names, self.left, legend_top, self.width, lines=lines)
            body.extend(legend)
        return _svg(title, self.width, legend_top + legend_height, body)


def _value_label(x: float, y: float, text: str, room: float) -> str:
    """A value above its mark: upright when it fits the column, turned upwards when not."""
    if text_width(text, VALUE_SIZE) <= room:
        return _text(x, y - 4, text, size=VALUE_SIZE, anchor="middle")
    return _text(x + 4, y - 4, text, size=VALUE_SIZE, anchor="start", rotate=-90)


def column_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    percent: bool = False,
    stacked: bool = False,
    target: float | None = None,
    width: int = 720,
) -> str:
    """Vertical columns, one group (or one stack) per label and one colour per series, every
    value printed on its column; stacks also print their total on top."""
    data = _series_lists(labels, series)
    if not labels or not data:
        return _no_data(title, width)
    names = list(data)
    if stacked:
        totals = [sum(max(points[i], 0.0) for points in data.values()) for i in range(len(labels))]
        low, high = 0.0, max(totals)
    else:
        everything = [v for points in data.values() for v in points]
        low, high = min(0.0, *everything), max(0.0, *everything)
    if target is not None:
        high = max(high, target)
    plot = _Plot(width, labels, names, low, high * 1.08 if high > 0 else high, percent)
    body = plot.frame()
    zero = plot.y_of(0.0)
    if stacked:
        bar_width = min(plot.slot * 0.6, 60)
        for index in range(len(labels)):
            x = plot.centre(index) - bar_width / 2
            base = 0.0
            for s, name in enumerate(names):
                value = max(data[name][index], 0.0)
                if value == 0:
                    continue
                y_top, y_bottom = plot.y_of(base + value), plot.y_of(base)
                colour = PALETTE[s % len(PALETTE)]
                body.append(
                    f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{bar_width:.1f}" height="{y_bottom - y_top:.1f}"'
                    f' fill="{colour}" stroke="#ffffff" stroke-width="0.5"/>'
                )
                text = format_value(value, percent=percent)
                if y_bottom - y_top >= VALUE_SIZE + 3 and text_width(text, VALUE_SIZE) <= bar_width:
                    ink = "#ffffff" if s % len(PALETTE) in (0, 2, 3, 6) else TEXT_COLOUR
                    body.append(
                        _text(
                            x + bar_width / 2,
                            (y_top + y_bottom) / 2 + 4,
                            text,
                            size=VALUE_SIZE,
                            anchor="middle",
                            fill=ink,
                        )
                    )
                base += value
            body.append(
                _value_label(plot.centre(index), plot.y_of(base), format_value(base, percent=percent), plot.slot)
            )
    else:
        group = min(plot.slot * 0.8, 44 * len(names))
        bar_width = group / len(names)
        for index in range(len(labels)):
            start = plot.centre(index) - group / 2
            for s, name in enumerate(names):
                value = data[name][index]
                x = start + s * bar_width
                y_value = plot.y_of(value)
                top, height = min(zero, y_value), abs(zero - y_value)
                body.append(
                    f'<rect x="{x + 1:.1f}" y="{top:.1f}" width="{max(bar_width - 2, 1):.1f}" height="{height:.1f}"'
                    f' fill="{PALETTE[s % len(PALETTE)]}"/>'
                )
                body.append(_value_label(x + bar_width / 2, top, format_value(value, percent=percent), bar_width))
    if target is not None:
        body.extend(plot.target(target))
    return plot.finish(title, body, lines=False)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    percent: bool = False,
    target: float | None = None,
    width: int = 720,
) -> str:
    """One line per series over the labels, a marker and the value at every point; each
    series has its own colour and dash pattern so the lines stay apart in print."""
    data = _series_lists(labels, series)
    if not labels or not data:
        return _no_data(title, width)
    names = list(data)
    everything = [v for points in data.values() for v in points]
    low, high = min(0.0, *everything), max(0.0, *everything)
    if target is not None:
        high = max(high, target)
    plot = _Plot(width, labels, names, low, high * 1.08 if high > 0 else high, percent)
    body = plot.frame()
    if target is not None:
        body.extend(plot.target(target))

    def points_at(index: int) -> list[float]:
        return [data[other][index] for other in names]

    for s, name in enumerate(names):
        colour = PALETTE[s % len(PALETTE)] if s % len(PALETTE) != 1 else PALETTE[7]
        dash = DASHES[s % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        points = [(plot.centre(i), plot.y_of(v)) for i, v in enumerate(data[name])]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
        for index, ((x, y), value) in enumerate(zip(points, data[name], strict=True)):
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>')
            # The highest series at a point prints above it, the others below, so that close lines stay legible.
            highest = max(points_at(index))
            offset = -8 if value >= highest else 16
            body.append(_text(x, y + offset, format_value(value, percent=percent), size=VALUE_SIZE, anchor="middle"))
    return plot.finish(title, body, lines=True)


def heatmap(
    title: str, rows: Sequence[str], columns: Sequence[str], values: Sequence[Sequence[float]], *, width: int = 720
) -> str:
    """A grid of rows × columns shaded from white (zero) to dark blue (the largest value), the
    value printed in every cell and a scale underneath."""
    if not rows or not columns:
        return _no_data(title, width)
    grid = [[float(row[c]) if c < len(row) else 0.0 for c in range(len(columns))] for row in values]
    grid += [[0.0] * len(columns) for _ in range(len(rows) - len(grid))]
    largest = max((v for row in grid for v in row), default=0.0)
    row_label_width = min(max(text_width(r, LABEL_SIZE) for r in rows) + 14, width * 0.3)
    left, right = 8 + row_label_width, width - 8
    cell_width = (right - left) / len(columns)
    cell_height = 24
    widest_column = max(text_width(c, LABEL_SIZE) for c in columns)
    turn_columns = widest_column > cell_width - 2
    header = (widest_column * 0.72 + 12) if turn_columns else 20
    top = TITLE_HEIGHT + header + 4
    body: list[str] = []
    for c, column in enumerate(columns):
        x = left + cell_width * (c + 0.5)
        if turn_columns:
            body.append(_text(x, top - 6, column, anchor="start", rotate=-45))
        else:
            body.append(_text(x, top - 6, column, anchor="middle"))
    for r, row_label in enumerate(rows):
        y = top + r * cell_height
        body.append(_text(left - 8, y + cell_height / 2 + 4, _clip(row_label, row_label_width - 14), anchor="end"))
        for c in range(len(columns)):
            value = grid[r][c]
            strength = value / largest if largest > 0 else 0.0
            x = left + c * cell_width
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell_width:.1f}" height="{cell_height}"'
                f' fill="{_shade(strength)}" stroke="#ffffff" stroke-width="1"/>'
            )
            text = format_value(value)
            if text_width(text, VALUE_SIZE - 1) <= cell_width - 2:
                ink = "#ffffff" if strength > 0.55 else TEXT_COLOUR
                body.append(
                    _text(
                        x + cell_width / 2,
                        y + cell_height / 2 + 4,
                        text,
                        size=VALUE_SIZE - 1,
                        anchor="middle",
                        fill=ink,
                    )
                )
    bottom = top + len(rows) * cell_height + 14
    # The scale: white to the darkest shade, with both ends named.
    steps = 10
    for i in range(steps):
        body.append(
            f'<rect x="{left + i * 16:.1f}" y="{bottom:.1f}" width="16" height="10" fill="{_shade(i / (steps - 1))}"'
            f' stroke="{GRID_COLOUR}" stroke-width="0.5"/>'
        )
    body.append(_text(left - 4, bottom + 9, "0", size=VALUE_SIZE, anchor="end"))
    body.append(_text(left + steps * 16 + 4, bottom + 9, format_value(largest), size=VALUE_SIZE))
    return _svg(title, width, bottom + 22, body)


def _shade(strength: float) -> str:
    """White at 0 to the palette's dark blue (#1f4e79) at 1."""
    strength = min(max(strength, 0.0), 1.0)
    dark = (0x1F, 0x4E, 0x79)
    red, green, blue = (round(255 + (d - 255) * strength) for d in dark)
    return f"#{red:02x}{green:02x}{blue:02x}"
