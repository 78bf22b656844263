"""Pure pieces of the API: effective roles, cursors, problem documents, role floors."""

from __future__ import annotations

import pytest

from outreach.access.tokens import effective_role
from outreach.web.api.auth import required_role, requires
from outreach.web.api.pagination import decode, encode, page
from outreach.web.api.problems import Problem, _flatten


@pytest.mark.parametrize(("role", "scope", "expected"), [
    ("admin", None, "admin"), ("admin", "read", "viewer"), ("sender", "admin", "sender"),
    ("viewer", "send", "viewer"), ("sender", "send", "sender"), ("nonsense", None, "viewer"),
])
def test_a_token_never_exceeds_its_user(role: str, scope: str | None, expected: str) -> None:
    assert effective_role(role, scope) == expected


def test_writing_needs_sender_at_least_whatever_a_view_declares() -> None:
    @requires("viewer")
    def view() -> None: ...

    assert required_role(view, "POST") == "sender"
    assert required_role(view, "GET") == "viewer"
    assert required_role(requires("admin")(lambda: None), "GET") == "admin"
    assert required_role(lambda: None, "DELETE") == "sender"


def test_cursor_round_trip_and_foreign_cursors() -> None:
    assert decode(encode(12345)) == 12345 and decode(None) == 0
    for bad in ("zzz", encode(2**40), "aWQ6LTE", "!!"):
        with pytest.raises(Problem) as exc:
            decode(bad)
        assert exc.value.field == "cursor" and exc.value.status == 422
    assert page([{"id": 1}, {"id": 2}, {"id": 3}], 2, lambda r: r["id"]) == {
        "items": [{"id": 1}, {"id": 2}], "next_cursor": encode(2)}


def test_webargs_messages_name_the_field() -> None:
    messages = {"json": {"email": ["Missing data."], "tags": {"0": ["Too long."]}},
                "query": {"limit": ["Must be between 1 and 500."]}}
    assert _flatten(messages) == [
        {"field": "email", "detail": "Missing data."},
        {"field": "tags.0", "detail": "Too long."},
        {"field": "limit", "detail": "Must be between 1 and 500."}]
