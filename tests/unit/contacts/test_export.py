"""Spreadsheet formula neutralisation and merge rules (pure)."""

from __future__ import annotations

import pytest

from outreach.contacts.export import neutralise
from outreach.contacts.fields import ContactRow
from outreach.contacts.merge import contact_changes, merge_rows, new_labels


@pytest.mark.parametrize(("value", "expected"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+36 1 234", "'+36 1 234"),
    ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("Anna", "Anna"), ("a=b", "a=b"), ("", ""),
])
def test_neutralise(value: str, expected: str) -> None:
    assert neutralise(value) == expected


def row(**kwargs: object) -> ContactRow:
    return ContactRow(line=2, email="a@example.org", email_hash="h", **kwargs)  # type: ignore[arg-type]


CURRENT = {"first_name": "Anna", "last_name": None, "name": "Anna", "role": "Editor",
           "type": "journalist", "country": "HU", "language": None, "outlet_id": 1,
           "attributes": {"Notes": "old"}}


def test_duplicate_fills_blanks_only() -> None:
    first = row(name="Anna", tags=frozenset({"press"}), attributes={"a": "1"})
    merge_rows(first, row(name="Other", role="Editor", tags=frozenset({"urgent"}),
                          attributes={"a": "2", "b": "3"}))
    assert (first.name, first.role) == ("Anna", "Editor")
    assert first.tags == {"press", "urgent"}
    assert first.attributes == {"a": "1", "b": "3"}


def test_update_overwrites_given_fields_and_keeps_the_rest() -> None:
    changes = contact_changes(CURRENT, row(role="Chief editor", language="hu",
                                           attributes={"Notes": "new"}), 2, overwrite=True)
    assert changes == {"role": "Chief editor", "language": "hu", "outlet_id": 2,
                       "attributes": {"Notes": "new"}}


def test_fill_mode_never_overwrites() -> None:
    changes = contact_changes(CURRENT, row(role="Chief editor", language="hu",
                                           attributes={"Notes": "new", "X": "y"}), 2,
                              overwrite=False)
    assert changes == {"language": "hu", "attributes": {"Notes": "old", "X": "y"}}


def test_same_values_change_nothing() -> None:
    assert contact_changes(CURRENT, row(name="Anna", country="HU"), 1, overwrite=True) == {}


def test_new_labels() -> None:
    r = row(tags=frozenset({"press", "urgent"}), beats=frozenset({"courts"}))
    assert new_labels(r, {("tag", "press")}) == [("beat", "courts"), ("tag", "urgent")]
