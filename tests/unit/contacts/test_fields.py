"""Header aliases and pure row parsing."""

from __future__ import annotations

import pytest

from outreach.contacts.addresses import address_hash
from outreach.contacts.fields import ContactRow, Header, RowError, parse_row, split_labels
from outreach.errors import UserError


def parse(header: list[str], values: list[str], line: int = 2) -> ContactRow | list[RowError]:
    return parse_row(Header.parse(header), line, values)


@pytest.mark.parametrize("label", ["Email", "E-mail", "e_mail", "Email address", " EMAIL ",
                                   "E-Mail Address", "\ufeffEmail"])
def test_email_header_aliases(label: str) -> None:
    assert Header.parse(["Name", label]).columns["email"] == 1


@pytest.mark.parametrize(("label", "name"), [
    ("Organisation", "outlet"), ("Organization", "outlet"), ("Outlet", "outlet"),
    ("Media", "outlet"), ("First name", "first_name"), ("Last name", "last_name"),
    ("Surname", "last_name"), ("Name", "name"), ("Role", "role"), ("Type", "type"),
    ("Country", "country"), ("Language", "language"), ("Tags", "tags"), ("Beats", "beats"),
    ("Topics", "beats"), ("Job title", "role"),
])
def test_other_aliases(label: str, name: str) -> None:
    assert Header.parse(["Email", label]).columns[name] == 1


def test_no_email_column_is_a_user_error() -> None:
    with pytest.raises(UserError, match=r"no email column.*found: Name, Country"):
        Header.parse(["Name", "Country"])


def test_unknown_columns_become_attributes() -> None:
    header = Header.parse(["Email", "Twitter", "Notes", "Notes", ""])
    row = parse(["Email", "Twitter", "Notes", "Notes"], ["a@example.org", "@a", "x", ""])
    assert header.extra == {"Twitter": 1, "Notes": 2, "Notes (2)": 3}
    assert isinstance(row, ContactRow)
    assert row.attributes == {"Twitter": "@a", "Notes": "x"}


def test_full_row_normalised() -> None:
    row = parse(
        ["E-mail", "First name", "Last name", "Organisation", "Role", "Type", "Country",
         "Language", "Tags", "Beats"],
        [" Anna.Kovacs@Example.ORG ", " Anna ", "Kovács", " Példa  Napló ", "Editor\nDesk",
         "Journalist", "Hungary", "Magyar", "Press; urgent,Central-Asia", "courts"])
    assert row == ContactRow(
        line=2, email="anna.kovacs@example.org", email_hash=address_hash("anna.kovacs@example.org"),
        first_name="Anna", last_name="Kovács", name="Anna Kovács", role="Editor Desk",
        outlet="Példa Napló", type="journalist", country="HU", language="hu",
        tags=frozenset({"press", "urgent", "central-asia"}), beats=frozenset({"courts"}))


def test_internationalised_domain() -> None:
    row = parse(["Email"], ["Zoë@Bücher.Example"])
    assert isinstance(row, ContactRow)
    assert row.email == "zoë@bücher.example"


def test_short_row_and_blank_fields() -> None:
    row = parse(["Email", "Name", "Country"], ["b@example.net"])
    assert isinstance(row, ContactRow)
    assert (row.name, row.country, row.type, row.tags) == (None, None, None, frozenset())


def test_every_problem_reported_with_line_and_field() -> None:
    errors = parse(["Email", "Type", "Country", "Language"],
                   ["not-an-address", "alien", "Narnia", "xx"], line=7)
    assert isinstance(errors, list)
    assert [(e.line, e.field) for e in errors] == [
        (7, "email"), (7, "type"), (7, "country"), (7, "language")]
    assert "@-sign" in errors[0].reason


def test_missing_email() -> None:
    assert parse(["Email", "Name"], ["", "Anna"]) == [RowError(2, "email", "missing")]


def test_too_long_value_is_rejected_not_truncated() -> None:
    errors = parse(["Email", "Role"], ["a@example.org", "x" * 201])
    assert errors == [RowError(2, "role", "longer than 200 characters")]


@pytest.mark.parametrize(("value", "expected"), [
    ("press; urgent", {"press", "urgent"}), ("Press,URGENT,, ", {"press", "urgent"}),
    ("central asia ;  eu", {"central asia", "eu"}), ("", set()),
])
def test_split_labels(value: str, expected: set[str]) -> None:
    assert split_labels(value) == expected


def test_display_name_form_in_the_email_cell() -> None:
    row = parse(["Email", "Country"], ['"Kovács, Anna" <Anna@Example.org>', "HU"])
    assert isinstance(row, ContactRow)
    assert (row.email, row.name) == ("anna@example.org", "Kovács, Anna")
    named = parse(["Email", "Name"], ["Anna K <anna@example.org>", "Anna Kovács"])
    assert isinstance(named, ContactRow) and named.name == "Anna Kovács"
    assert isinstance(parse(["Email"], ["Anna <not-an-address>"]), list)
