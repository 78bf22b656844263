"""The dashboard's inline SVG chart and CSV neutralising (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime

from outreach.reports.table import neutralise
from outreach.web.dashboard.chart import cumulative, outcomes_svg


def test_cumulative():
    assert cumulative([1, 0, 2, 3]) == [1, 1, 3, 6]
    assert cumulative([]) == []


def test_svg_has_a_line_per_outcome_and_a_text_alternative():
    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    svg = str(outcomes_svg(start, 60, {"sent": [2, 3, 5], "bounced": [0, 1, 0],
                                       "deferred": [], "failed": [0, 0, 0]}))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'class="line-sent"' in svg and 'class="line-bounced"' in svg
    assert "line-deferred" not in svg
    assert "Outcomes over time: sent 10, bounced 1, failed 0" in svg
    assert "09:00:00" in svg and "09:03:00 UTC" in svg
    assert "<script" not in svg and "style=" not in svg  # CSP: no inline script or style


def test_svg_empty_before_any_outcome():
    assert "No outcomes yet" in outcomes_svg(None, 0, {"sent": []})
    start = datetime(2026, 11, 25, tzinfo=UTC)
    assert "No outcomes yet" in outcomes_svg(start, 1, {"sent": [0, 0]})


def test_neutralise_formula_cells():
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(bad) == "'" + bad
    assert neutralise("Daily Example") == "Daily Example"
    assert neutralise(3) == 3
