"""The Alert Center's pure parts: the SVG chart (parsed with xml.etree), the condition text, the YAML editor's
line placement, and the vendored htmx pinned by its SHA-256 (found through the installed package)."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest

from lakealerts.findings import Finding
from lakealerts.web import charts
from lakealerts.web.listing import condition
from lakealerts.web.yaml_text import excerpt, load_rule_text, placed
from tests.builders import make_rule

pytestmark = pytest.mark.unit
SVG = "{http://www.w3.org/2000/svg}"
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"  # htmx.org 2.0.11 dist/htmx.min.js
START = datetime(2025, 1, 1, tzinfo=UTC)


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _vertices(root: ET.Element) -> list[tuple[float, float]]:
    line = root.find(f".//{SVG}polyline[@class='value']")
    assert line is not None
    text = line.get("points", "").strip()
    return [tuple(map(float, pair.split(","))) for pair in text.split()] if text else []  # type: ignore[misc]


def _minutes(days: int) -> list[tuple[datetime, float]]:
    return [(START + timedelta(minutes=i), float(i % 100)) for i in range(days * 24 * 60)]


def test_thirty_days_of_minute_evaluations_draw_in_at_most_200_points() -> None:
    points = _minutes(30)
    svg = charts.chart_svg(
        points, 50.0, [(t, "OK") for t, _ in points], [], start=START, end=START + timedelta(days=30)
    )
    root = _parse(svg)
    assert len(points) == 43_200
    assert len(_vertices(root)) == 200
    assert "43200 evaluations in 200 points" in (root.findtext(f"{SVG}desc") or "")


def test_few_points_are_drawn_one_vertex_each_in_time_order() -> None:
    points = [(START + timedelta(hours=h), float(h)) for h in range(10)]
    root = _parse(charts.chart_svg(points, None, [], [], start=START, end=START + timedelta(hours=10)))
    xs = [x for x, _ in _vertices(root)]
    assert len(xs) == 10 and xs == sorted(xs)


def test_buckets_keep_min_max_and_last() -> None:
    points = [(START, 5.0), (START + timedelta(minutes=1), 1.0), (START + timedelta(minutes=2), 3.0)]
    cells = charts.bucket(points, [], START, START + timedelta(hours=1), 1)
    assert (cells[0].count, cells[0].low, cells[0].high, cells[0].last) == (3, 1.0, 5.0, 3.0)


def test_threshold_line_sits_at_its_value_between_the_axis_labels() -> None:
    points = [(START, 0.0), (START + timedelta(hours=1), 100.0)]
    root = _parse(charts.chart_svg(points, 50.0, [], [], start=START, end=START + timedelta(hours=2)))
    line = root.find(f".//{SVG}line[@class='threshold']")
    assert line is not None and line.get("data-value") == "50.0"
    ys = [y for _, y in _vertices(root)]
    low_y, high_y = max(ys), min(ys)  # SVG y grows downwards: value 0 is lowest on screen
    assert float(line.get("y1", "nan")) == pytest.approx((low_y + high_y) / 2, abs=0.02)
    assert "threshold 50" in (line.findtext(f"{SVG}title") or "")


def test_state_band_has_one_rect_per_run_in_the_state_colour_with_its_word() -> None:
    states = [(START + timedelta(hours=h), "TRIGGERED" if 3 <= h < 6 else "OK") for h in range(10)]
    points = [(t, 1.0) for t, _ in states]
    root = _parse(charts.chart_svg(points, 0.5, states, [], start=START, end=START + timedelta(hours=10), buckets=10))
    rects = root.findall(f".//{SVG}g[@class='state-band']/{SVG}rect")
    assert [r.get("data-state") for r in rects] == ["OK", "TRIGGERED", "OK"]
    assert [r.get("fill") for r in rects] == [charts.STATE_COLOURS[s] for s in ("OK", "TRIGGERED", "OK")]
    assert (rects[1].findtext(f"{SVG}title") or "").startswith("TRIGGERED")
    legend = [t.text for t in root.findall(f".//{SVG}g[@class='legend']/{SVG}text")]
    assert {"OK", "TRIGGERED", "ERROR", "UNKNOWN"} <= set(legend)


def test_notification_ticks_and_accessible_title() -> None:
    sent = [START + timedelta(hours=1), START + timedelta(hours=5), START + timedelta(days=3)]  # the last is outside
    root = _parse(charts.chart_svg([(START, 1.0)], 2.0, [], sent, start=START, end=START + timedelta(days=1),
                                   title="COST-001: daily_cost_usd > 5000"))  # fmt: skip
    assert len(root.findall(f".//{SVG}line[@class='notification']")) == 2
    assert root.get("role") == "img" and root.findtext(f"{SVG}title") == "COST-001: daily_cost_usd > 5000"


def test_text_values_are_not_plotted_and_an_empty_chart_still_parses() -> None:
    root = _parse(charts.chart_svg([(START, "late"), (START, True)], None, [], [], start=START,
                                   end=START + timedelta(hours=1)))  # fmt: skip
    assert _vertices(root) == []


def test_condition_reads_like_the_rule() -> None:
    rule = make_rule(threshold_column="daily_cost", threshold_operator=">", threshold_value_double=5000)
    assert condition(rule) == "daily_cost > 5000"
    average = make_rule(
        threshold_column="x", aggregation_type="AVG", threshold_operator=">=", threshold_value_double=0.9
    )
    assert condition(average) == "AVG(x) >= 0.9"


def test_yaml_syntax_error_is_a_finding_at_its_line() -> None:
    loaded = load_rule_text("alert_id: A\nalert_name: [unclosed\nseverity: INFO\n")
    assert loaded.document is None
    assert loaded.findings[0].code == "YAML_SYNTAX" and loaded.findings[0].line in (2, 3, 4)


def test_yaml_aliases_are_refused() -> None:
    assert load_rule_text("a: &x [1]\nb: *x\n").findings[0].code == "YAML_ALIAS"


def test_findings_are_placed_at_their_key_and_inside_the_sql() -> None:
    text = "alert_id: A\nalert_query_template: |\n  SELECT 1\n  FROM t\nthreshold_value_double: x\n"
    findings = [Finding("RULE_INVALID", "threshold_value_double", "not a number", "write a number"),
                Finding("SQL_PARSE", "alert_query_template", "bad", "fix", line=2, col=3)]  # fmt: skip
    assert [f.line for f in placed(text, findings)] == [5, 4]


def test_vendored_htmx_is_the_pinned_release_and_ships_in_the_package() -> None:
    script = resources.files("lakealerts.web") / "static" / "htmx.min.js"
    assert hashlib.sha256(script.read_bytes()).hexdigest() == HTMX_SHA256
    assert (resources.files("lakealerts.web") / "templates" / "base.html").is_file()


def test_the_editor_shows_the_lines_with_findings_and_their_context() -> None:
    text = "\n".join(f"key_{n}: {n}" for n in range(1, 21))
    lines = excerpt(text, [Finding("RULE_INVALID", "key_5", "bad", "fix", line=5),
                           Finding("RULE_INVALID", "key_15", "worse", "fix", line=15)], context=1)  # fmt: skip
    assert [line.number for line in lines] == [4, 5, 6, None, 14, 15, 16]
    assert lines[1].messages == ("key_5: bad",) and lines[0].messages == ()


def test_yaml_duplicate_keys_are_a_finding_at_the_second_key() -> None:
    text = "alert_id: A\nalert_name: first\nseverity: INFO\nalert_name: second\n"
    loaded = load_rule_text(text)
    assert loaded.document is None
    finding = loaded.findings[0]
    assert (finding.code, finding.field, finding.line) == ("YAML_DUPLICATE_KEY", "alert_name", 4)
    assert [f.line for f in placed(text, loaded.findings)] == [4]  # placing keeps the second key's line
    nested = load_rule_text("alert_id: A\nlabels:\n  a: 1\n  a: 2\n")
    assert nested.findings and nested.findings[0].code == "YAML_DUPLICATE_KEY" and nested.findings[0].line == 4


@pytest.mark.parametrize(
    "value",
    [
        "!!binary aGVsbG8=",
        "!!python/object:os.system x",
        "!custom x",
        "!!set {a, b}",
        "!!omap [a: 1]",
        "!<tag:yaml.org,2002:binary> aGVsbG8=",
    ],
)
def test_yaml_non_plain_tags_are_refused(value: str) -> None:
    loaded = load_rule_text(f"alert_id: A\nalert_name: {value}\n")
    assert loaded.document is None
    assert loaded.findings[0].code == "YAML_TAG" and loaded.findings[0].line == 2


def test_yaml_plain_documents_and_standard_tags_still_load() -> None:
    loaded = load_rule_text("alert_id: A\nalert_name: !!str 5\nthreshold_value_double: 1.5\nwhen: 2025-01-01\n")
    assert loaded.findings == []
    assert loaded.document is not None and loaded.document["alert_name"] == "5"


def test_a_hostile_chart_title_is_escaped_text() -> None:
    hostile = '<script>alert(1)</script>"onmouseover=x'
    svg = charts.chart_svg([(START, 1.0)], 2.0, [], [], start=START, end=START + timedelta(hours=1), title=hostile)
    assert "<script>" not in svg and _parse(svg).findtext(f"{SVG}title") == hostile


def test_the_state_band_leaves_previews_out_and_the_line_keeps_their_values() -> None:
    from lakealerts.app.alert_center import Series, SeriesPoint

    points = [SeriesPoint(START, 10.0, "TRIGGERED", True), SeriesPoint(START + timedelta(hours=1), 1.0, "OK", False,
                                                                        preview=True)]  # fmt: skip
    data = Series("COST-001", START, START + timedelta(hours=2), points)
    assert data.values() == [(START, 10.0), (START + timedelta(hours=1), 1.0)]
    assert data.states() == [(START, "TRIGGERED")]
    cells = charts.bucket(data.values(), data.states(), START, START + timedelta(hours=2), 2)
    assert [(c.count, c.state) for c in cells] == [(1, "TRIGGERED"), (1, None)]
