"""Segments: which contacts a listing, an export or an alert selects.

`--where FIELD=V1,V2` is OR within a field and AND across repeated options; `--tag T` requires
the tag (AND across repeats). The same `Segment` is stored on an alert and turned into SQL by
`segment_clause`, so listing and sending can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, true
from sqlalchemy.orm import aliased

from outreach.contacts.hygiene import stale_clause
from outreach.db.models import Contact, ContactLabel, Outlet
from outreach.db.session import LIKE_ESCAPE, escape_like
from outreach.errors import UserError

FIELDS = ("type", "country", "language", "outlet", "tag", "beat", "status", "email", "domain")


@dataclass(frozen=True)
class Segment:
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    tags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"where": [[f, list(vs)] for f, vs in self.where], "tags": list(self.tags)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Segment:
        data = data or {}
        where = tuple((f, tuple(vs)) for f, vs in data.get("where", []))
        return cls(where=where, tags=tuple(data.get("tags", [])))

    def describe(self) -> str:
        parts = [f"{f}={','.join(vs)}" for f, vs in self.where] + [f"tag={t}" for t in self.tags]
        return " AND ".join(parts) or "all contacts"


def parse_segment(where: list[str] | tuple[str, ...] = (), tags: list[str] | tuple[str, ...] = (),
                  ) -> Segment:
    """Parse CLI options; a bad one raises a UserError naming it."""
    parsed: list[tuple[str, tuple[str, ...]]] = []
    for option in where:
        name, sep, raw = option.partition("=")
        name = name.strip().lower()
        if not sep or not name:
            raise UserError(f"--where {option!r}: expected FIELD=VALUE[,VALUE...]")
        if name not in FIELDS:
            raise UserError(f"--where {option!r}: unknown field {name!r} "
                            f"(one of {', '.join(FIELDS)})")
        values = tuple(v.strip() for v in raw.split(",") if v.strip())
        if not values:
            raise UserError(f"--where {option!r}: give at least one value")
        parsed.append((name, _normalise_values(name, values)))
    clean_tags = tuple(t.strip().lower() for t in tags if t.strip())
    return Segment(where=tuple(parsed), tags=clean_tags)


def _normalise_values(name: str, values: tuple[str, ...]) -> tuple[str, ...]:
    if name == "country":
        return tuple(v.upper() for v in values)
    if name in ("outlet",):
        return values
    return tuple(v.lower() for v in values)


def segment_clause(segment: Segment) -> ColumnElement[bool]:
    """SQL condition on `Contact` (join-free: outlets and labels go through EXISTS)."""
    conditions = [_field_clause(name, values) for name, values in segment.where]
    conditions += [_label_clause("tag", (tag,)) for tag in segment.tags]
    return and_(true(), *conditions)


def _field_clause(name: str, values: tuple[str, ...]) -> ColumnElement[bool]:
    if name in ("tag", "beat"):
        return _label_clause(name, values)
    if name == "outlet":
        keys = [v.casefold() for v in values]
        return exists().where(Outlet.id == Contact.outlet_id, Outlet.name_key.in_(keys))
    if name == "domain":
        return or_(*(Contact.email.like(f"%@{escape_like(v)}", escape=LIKE_ESCAPE) for v in values))
    if name == "status" and "stale" in values:  # not a column: see outreach.contacts.hygiene
        return or_(Contact.status.in_([v for v in values if v != "stale"]), stale_clause())
    column = {"type": Contact.type, "country": Contact.country, "language": Contact.language,
              "status": Contact.status, "email": Contact.email}[name]
    return column.in_(values)


def _label_clause(kind: str, values: tuple[str, ...]) -> ColumnElement[bool]:
    label = aliased(ContactLabel)
    return exists().where(
        label.contact_id == Contact.id, label.kind == kind, label.value.in_(values)
    )


__all__ = ["FIELDS", "Segment", "parse_segment", "segment_clause"]
