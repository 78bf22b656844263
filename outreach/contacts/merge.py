"""How a row meets a contact: pure rules shared by in-file duplicates and `--update`.

* A duplicate later in the same file only fills blanks (the first occurrence wins) and adds
  its tags and beats.
* `--update` lets the file's non-empty fields replace the stored ones; tags, beats and
  attributes are added, never removed. Empty cells never erase anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from outreach.contacts.fields import ContactRow

SCALAR_FIELDS = ("first_name", "last_name", "name", "role", "type", "country", "language")
ROW_ONLY_FIELDS = ("outlet", "website")


def merge_rows(first: ContactRow, later: ContactRow) -> None:
    """Fold a later duplicate into the first occurrence, in place (fill blanks, add labels)."""
    for name in (*SCALAR_FIELDS, *ROW_ONLY_FIELDS):
        if getattr(first, name) is None and getattr(later, name) is not None:
            setattr(first, name, getattr(later, name))
    first.tags = first.tags | later.tags
    first.beats = first.beats | later.beats
    first.attributes = {**later.attributes, **first.attributes}


def contact_changes(current: Mapping[str, Any], row: ContactRow, outlet_id: int | None, *,
                    overwrite: bool) -> dict[str, Any]:
    """The column values that change when `row` is merged into the stored contact `current`."""
    changes: dict[str, Any] = {}
    for name in SCALAR_FIELDS:
        new = getattr(row, name)
        if new is not None and new != current[name] and (overwrite or current[name] is None):
            changes[name] = new
    if outlet_id is not None and outlet_id != current["outlet_id"] and (
            overwrite or current["outlet_id"] is None):
        changes["outlet_id"] = outlet_id
    stored = current["attributes"] or {}
    merged = {**stored, **row.attributes} if overwrite else {**row.attributes, **stored}
    if merged != stored:
        changes["attributes"] = merged
    return changes


def new_labels(row: ContactRow, existing: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """(kind, value) labels of the row that the contact does not have yet."""
    wanted = {("tag", t) for t in row.tags} | {("beat", b) for b in row.beats}
    return sorted(wanted - existing)
