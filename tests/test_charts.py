"""The report charts: well-formed SVG, every label and value printed, caller text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from hub.reports.charts import bar_chart, column_chart, format_value, heatmap, line_chart, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox", "").startswith("0 0 ")
    return root


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def test_bar_chart_prints_every_label_and_value_in_the_given_order() -> None:
    root = parse(bar_chart("주제별 문의", {"따릉이 대여": 120, "수도요금": 45.5, "여권 발급": 3}, unit="건"))
    assert root.get("aria-label") == "주제별 문의"
    assert root.find(f"{SVG}title").text == "주제별 문의"
    printed = texts(root)
    assert printed[0] == "주제별 문의"
    assert printed.index("따릉이 대여") < printed.index("수도요금") < printed.index("여권 발급")
    assert {"120 건", "45.5 건", "3 건"} <= set(printed)
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("fill") != "#ffffff"]
    widths = [float(r.get("width")) for r in bars]
    assert widths[0] > widths[1] > widths[2] > 0


def test_percent_values_and_the_target_line() -> None:
    root = parse(bar_chart("1차 상담완료율", {"시정": 0.945, "자치구": 0.704}, percent=True, target=0.788))
    printed = texts(root)
    assert {"94.5 %", "70.4 %", "목표 78.8 %"} <= set(printed)
    dashed = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(dashed) == 1


def test_column_chart_groups_stacks_and_legend() -> None:
    labels = ["10월", "11월"]
    series = {"교통": [10, 30], "상수도": [5, 7]}
    grouped = parse(column_chart("분야별 문의", labels, series, target=25))
    printed = texts(grouped)
    assert {"10월", "11월", "교통", "상수도", "10", "30", "5", "7", "목표 25"} <= set(printed)
    stacked = parse(column_chart("분야별 문의", labels, series, stacked=True))
    printed = texts(stacked)
    # Stacks print their totals; segments tall enough print their own value.
    assert {"15", "37", "30"} <= set(printed)


def test_line_chart_marks_every_point_with_its_value() -> None:
    root = parse(line_chart("응답률", ["1일", "2일", "3일"], {"응답률": [0.8, 0.85, 0.9]}, percent=True, target=0.865))
    printed = texts(root)
    assert {"80.0 %", "85.0 %", "90.0 %", "목표 86.5 %", "1일", "3일"} <= set(printed)
    assert len(list(root.iter(f"{SVG}circle"))) == 3
    assert len(list(root.iter(f"{SVG}polyline"))) == 1


def test_heatmap_prints_cells_and_shades_the_largest_darkest() -> None:
    root = parse(heatmap("요일·시간대별 인입", ["월", "화"], ["09시", "10시"], [[1, 20], [5, 0]]))
    printed = texts(root)
    assert {"월", "화", "09시", "10시", "1", "20", "5", "0"} <= set(printed)
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert "#1f4e79" in fills  # the largest cell


@pytest.mark.parametrize(
    "svg",
    [
        bar_chart("빈 차트", {}),
        column_chart("빈 차트", [], {}),
        column_chart("빈 차트", ["1월"], {}),
        line_chart("빈 차트", [], {"a": []}),
        heatmap("빈 차트", [], [], []),
    ],
)
def test_empty_data_says_so(svg: str) -> None:
    root = parse(svg)
    assert "자료 없음" in texts(root)


def test_caller_text_is_escaped_everywhere() -> None:
    nasty = "A<b>&\"c'"
    for svg in (
        bar_chart(nasty, {nasty: 1}),
        column_chart(nasty, [nasty], {nasty: [1]}),
        line_chart(nasty, [nasty], {nasty: [1], "x": [2]}),
        heatmap(nasty, [nasty], [nasty], [[1]]),
    ):
        root = parse(svg)
        assert root.get("aria-label") == nasty
        assert root.find(f"{SVG}title").text == nasty
        assert texts(root).count(nasty) >= 2
        assert "<b>" not in svg


def test_korean_font_and_no_script() -> None:
    svg = bar_chart("시민의 소리", {"주차": 1})
    assert "Noto Sans CJK KR" in parse(svg).get("font-family")
    assert "<script" not in svg and "href" not in svg


def test_value_formatting() -> None:
    assert format_value(0.788, percent=True) == "78.8 %"
    assert format_value(12345) == "12,345"
    assert format_value(3.25, unit="건") == "3.2 건"
    assert nice_ticks(0, 0.95) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]


@pytest.mark.parametrize("label", ["API", "sms", "webchat", "카카오톡"])
def test_a_bar_label_alone_is_never_clipped(label: str) -> None:
    assert label in texts(parse(bar_chart("채널별 상담 건수", {label: 1})))
