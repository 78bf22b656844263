"""Pure reach aggregation: rows from grouped counts, totals, filters, consistency."""

from __future__ import annotations

import pytest

from outreach.reports.rows import (
    ReachRow,
    check_consistent,
    filter_rows,
    row_from_mapping,
    sort_rows,
    summary,
    total,
)


def _row(key: str, targeted: int, country: str | None = None, **counts: int) -> ReachRow:
    return row_from_mapping(key, key, {"targeted": targeted, **counts}, country=country)


def test_row_from_mapping_puts_unknown_statuses_in_other():
    row = _row("outlet:1", 5, sent=2, bounced=1, reached_contacts=2)
    assert row.statuses["sent"] == 2 and row.statuses["bounced"] == 1
    assert row.statuses["other"] == 2
    check_consistent([row])


def test_reached_and_engaged_are_contact_counts():
    silent = _row("a", 2, sent=2, reached_contacts=2)
    answered = _row("b", 1, sent=1, reached_contacts=1, replied=1, engaged_contacts=1)
    bounced = _row("c", 1, bounced=1)
    assert silent.reached and not silent.engaged
    assert answered.reached and answered.engaged
    assert not bounced.reached and not bounced.engaged
    assert summary([silent, answered, bounced]) == {
        "groups": 3, "reached": 2, "not_reached": 1, "engaged": 1}


def test_total_adds_every_bucket_and_flag():
    rows = [_row("a", 3, sent=2, deferred=1, replied=1, reached_contacts=2, opened=2),
            _row("b", 2, failed=1, cancelled=1, unsubscribed=1)]
    t = total(rows)
    assert t.targeted == 5 == sum(t.statuses.values())
    assert (t.statuses["sent"], t.statuses["deferred"], t.statuses["failed"]) == (2, 1, 1)
    assert (t.replied, t.unsubscribed, t.opened, t.reached_contacts) == (1, 1, 2, 2)
    check_consistent([t])


def test_inconsistent_row_is_caught():
    row = _row("a", 1, sent=1)
    row.statuses["sent"] = 2
    with pytest.raises(AssertionError):
        check_consistent([row])


def test_filters_and_sorting():
    rows = [_row("small", 1, "GB", sent=1, reached_contacts=1),
            _row("big", 5, "DE", bounced=5),
            _row("mid", 3, "DE", sent=3, reached_contacts=3, engaged_contacts=1)]
    assert [r.key for r in sort_rows(rows)] == ["big", "mid", "small"]
    assert {r.key for r in filter_rows(rows, reach="reached")} == {"small", "mid"}
    assert {r.key for r in filter_rows(rows, reach="not_reached")} == {"big"}
    assert {r.key for r in filter_rows(rows, reach="engaged")} == {"mid"}
    assert {r.key for r in filter_rows(rows, country="de")} == {"big", "mid"}
    assert {r.key for r in filter_rows(rows, reach="reached", country="DE")} == {"mid"}
    assert len(filter_rows(rows, reach="bogus")) == 3


def test_to_json_hides_untracked_opens_and_clicks():
    row = _row("a", 1, sent=1, opened=1, clicked=1)
    data = row.to_json(opens=False, clicks=True)
    assert data["opened"] is None and data["clicked"] == 1
    assert data["sent"] == 1 and data["reached"] is False
