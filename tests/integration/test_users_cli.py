"""`outreach users ...`: invitation links, roles, disable/enable, and plain one-line errors."""

from __future__ import annotations

from outreach.accounts.users import invited_user
from tests.fixtures.cli import json_output


def _link(result) -> str:
    return result.stdout.split()[-1]


def _token(link: str) -> str:
    return link.rsplit("/", 1)[-1]


def test_users_lifecycle(run_cli, sessions):
    first = _link(run_cli("users", "add", "Lead@Example.org", "--role", "admin"))
    assert first.startswith("http://127.0.0.1:8000/dashboard/invite/")
    second = _link(run_cli("users", "reinvite", "lead@example.org"))
    with sessions() as s:
        assert invited_user(s, _token(first)) is None  # the old link stopped working
        assert invited_user(s, _token(second)).email == "lead@example.org"
    run_cli("users", "add", "desk@example.org", "--role", "viewer")
    run_cli("users", "role", "desk@example.org", "sender")
    run_cli("users", "disable", "desk@example.org")
    rows = json_output(run_cli("users", "list", "--json"))
    assert [(r["email"], r["role"], r["state"]) for r in rows] == [
        ("desk@example.org", "sender", "disabled"), ("lead@example.org", "admin", "invited")]
    assert "enabled" in run_cli("users", "enable", "desk@example.org").stdout
    table = run_cli("users", "list").stdout
    assert "2 users" in table and "desk@example.org" in table


def test_mistakes_are_one_line(run_cli):
    run_cli("users", "add", "lead@example.org", "--role", "admin")
    for args, words in [
        (("users", "add", "lead@example.org", "--role", "admin"), "already a user"),
        (("users", "add", "not-an-address", "--role", "admin"), "not-an-address"),
        (("users", "add", "x@example.org", "--role", "boss"), "--role"),
        (("users", "role", "ghost@example.org", "viewer"), "no such user"),
        (("users", "disable", "lead@example.org"), "last active admin"),
        (("users", "role", "lead@example.org", "viewer"), "last active admin"),
    ]:
        result = run_cli(*args, expect=1)
        assert words in result.output and "Traceback" not in result.output, args
        assert result.output.strip().count("\n") == 0, result.output
