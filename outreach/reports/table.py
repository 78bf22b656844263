"""The reach table as rows of cells: shared by `outreach report --csv` and the console's
CSV download, so both files have the same columns."""

from __future__ import annotations

import csv
from typing import Any, TextIO

from outreach.contacts.export import neutralise as neutralise_text
from outreach.reports.reach import ReachReport
from outreach.reports.rows import STATUSES, ReachRow, summary


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe
    (the contacts export's rule, shared); numbers pass through."""
    return neutralise_text(value) if isinstance(value, str) else value


def columns(report: ReachReport) -> list[str]:
    """Every column for CSV; `country` only where it is not the grouping itself."""
    cols = ["label", *(["country"] if report.by == "outlet" else []), "targeted",
            *(s for s in STATUSES if s != "other"),
            "replied", "auto_replied", "unsubscribed", "complained"]
    if report.alert.track_opens:
        cols.append("opened")
    if report.alert.track_clicks:
        cols.append("clicked")
    if any(r.statuses["other"] for r in report.rows):
        cols.append("other")
    return [*cols, "reached_contacts", "reached", "engaged_contacts", "engaged"]


def cells(row: ReachRow, cols: list[str], groups: dict[str, int] | None = None) -> list[Any]:
    """A row's cells; the totals row says how many groups were reached/engaged ("2/5")."""
    data = row.to_json()
    if groups is not None:
        data["reached"] = f"{groups['reached']}/{groups['groups']}"
        data["engaged"] = f"{groups['engaged']}/{groups['groups']}"
    return ["yes" if data[c] is True else "no" if data[c] is False else data[c] for c in cols]


def body(report: ReachReport, cols: list[str]) -> list[list[Any]]:
    rows = [cells(r, cols) for r in report.rows]
    return [*rows, cells(report.totals, cols, summary(report.rows))]


def write_rows(report: ReachReport, handle: TextIO) -> None:
    """The whole table as CSV (formula cells neutralised), as `report --csv` writes it."""
    cols = columns(report)
    writer = csv.writer(handle)
    writer.writerow(cols)
    for row in body(report, cols):
        writer.writerow([neutralise("" if v is None else v) for v in row])
