"""Pure reach aggregation: rows of counts per group (outlet, domain, country, ...) and totals.

The database does the heavy counting (`outreach.reports.reach`); this module only turns its grouped
rows into `ReachRow`s, sums them, filters them and checks that every message is counted once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from outreach.db.models import MESSAGE_STATUSES

STATUSES: tuple[str, ...] = (*MESSAGE_STATUSES, "other")
FLAGS = ("replied", "auto_replied", "unsubscribed", "complained", "opened", "clicked")
DIMENSIONS = ("outlet", "country", "type", "language")


@dataclass
class ReachRow:
    """Counts for one group. `reached`/`engaged` hold numbers of contacts, not booleans."""

    key: str
    label: str
    outlet_id: int | None = None
    country: str | None = None
    kind: str | None = None
    targeted: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    replied: int = 0
    auto_replied: int = 0
    unsubscribed: int = 0
    complained: int = 0
    opened: int = 0
    clicked: int = 0
    reached_contacts: int = 0
    engaged_contacts: int = 0

    @property
    def reached(self) -> bool:
        """At least one contact accepted by their server (status sent) and not bounced."""
        return self.reached_contacts > 0

    @property
    def engaged(self) -> bool:
        """At least one contact replied (or clicked, where clicks are tracked)."""
        return self.engaged_contacts > 0

    def to_json(self, *, opens: bool = True, clicks: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key, "label": self.label, "outlet_id": self.outlet_id,
            "country": self.country, "kind": self.kind, "targeted": self.targeted,
            **self.statuses,
            "replied": self.replied, "auto_replied": self.auto_replied,
            "unsubscribed": self.unsubscribed, "complained": self.complained,
            "opened": self.opened if opens else None,
            "clicked": self.clicked if clicks else None,
            "reached_contacts": self.reached_contacts, "reached": self.reached,
            "engaged_contacts": self.engaged_contacts, "engaged": self.engaged,
        }
        return data


_COUNTS = ("replied", "auto_replied", "unsubscribed", "complained", "opened", "clicked",
           "reached_contacts", "engaged_contacts")


def row_from_mapping(key: str, label: str, raw: Mapping[str, Any], **info: Any) -> ReachRow:
    """One grouped SQL row -> ReachRow. Statuses outside MESSAGE_STATUSES land in 'other'."""
    row = ReachRow(key=key, label=label, targeted=int(raw["targeted"] or 0), **info)
    for status in MESSAGE_STATUSES:
        row.statuses[status] = int(raw.get(status) or 0)
    row.statuses["other"] = row.targeted - sum(row.statuses[s] for s in MESSAGE_STATUSES)
    for name in _COUNTS:
        setattr(row, name, int(raw.get(name) or 0))
    return row


def total(rows: Iterable[ReachRow], label: str = "Total") -> ReachRow:
    out = ReachRow(key="total", label=label)
    for row in rows:
        out.targeted += row.targeted
        for status in STATUSES:
            out.statuses[status] += row.statuses[status]
        for name in _COUNTS:
            setattr(out, name, getattr(out, name) + getattr(row, name))
    return out


def check_consistent(rows: Iterable[ReachRow]) -> None:
    """Every message in exactly one status bucket: raise if a row's buckets don't add up."""
    for row in rows:
        if sum(row.statuses.values()) != row.targeted or row.statuses["other"] < 0:
            raise AssertionError(f"reach row {row.key}: statuses do not add up to targeted")


def filter_rows(rows: Iterable[ReachRow], *, reach: str | None = None,
                country: str | None = None) -> list[ReachRow]:
    """Dashboard filters: reach in {'reached', 'not_reached', 'engaged', 'not_engaged'}."""
    tests = {
        "reached": lambda r: r.reached, "not_reached": lambda r: not r.reached,
        "engaged": lambda r: r.engaged, "not_engaged": lambda r: not r.engaged,
    }
    keep = tests.get(reach or "", lambda r: True)
    wanted = (country or "").strip().upper()
    return [r for r in rows if keep(r) and (not wanted or (r.country or "") == wanted)]


def sort_rows(rows: list[ReachRow]) -> list[ReachRow]:
    """Largest groups first, then by label, so the table reads the same every time."""
    return sorted(rows, key=lambda r: (-r.targeted, r.label.casefold(), r.key))


def summary(rows: list[ReachRow]) -> dict[str, int]:
    return {
        "groups": len(rows),
        "reached": sum(1 for r in rows if r.reached),
        "not_reached": sum(1 for r in rows if not r.reached),
        "engaged": sum(1 for r in rows if r.engaged),
    }


