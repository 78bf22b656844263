"""The audit log records who changed what: console users by email, the CLI by OS login."""

from __future__ import annotations

import getpass
import shutil
from pathlib import Path

from sqlalchemy import update

from outreach.db.models import Alert
from outreach.web.app import create_app
from tests.fixtures.accounts import log_in, make_user, page_csrf
from tests.fixtures.cli import json_output

ROOT = Path(__file__).resolve().parents[2]


def _cli_user() -> str:
    return f"cli:{getpass.getuser()}"


def test_cli_actions_are_recorded_with_the_os_user(run_cli, sessions, tmp_path):
    out = run_cli("users", "add", "Editor@Example.org", "--role", "sender").stdout
    assert "works once, for 72 hours" in out and "/dashboard/invite/" in out
    run_cli("users", "role", "editor@example.org", "viewer")
    run_cli("users", "add", "boss@example.org", "--role", "admin")
    run_cli("users", "disable", "editor@example.org")
    assert "no such user" in run_cli("users", "disable", "nobody@example.org", expect=1).output
    assert run_cli("users", "add", "bad", "--role", "admin", expect=1).output.count("\n") == 1
    run_cli("contacts", "import", str(ROOT / "examples" / "contacts.csv.example"))
    run_cli("contacts", "import", str(ROOT / "examples" / "contacts.csv.example"), "--dry-run")
    run_cli("contacts", "unsubscribe", "bence.nagy@example.org", "--reason", "asked by phone")
    run_cli("contacts", "resubscribe", "bence.nagy@example.org", "--reason", "asked again")
    run_cli("contacts", "erase", "bence.nagy@example.org")
    shutil.copy(ROOT / "examples" / "alert.md", tmp_path / "alert.md")
    alert_id = run_cli("alert", "create", "alert.md").stdout.strip()
    with sessions() as s, s.begin():
        s.execute(update(Alert).values(state="sending"))
    run_cli("alert", "pause", alert_id)
    run_cli("alert", "cancel", alert_id)

    events = json_output(run_cli("audit", "--json"))
    assert {e["actor"] for e in events} == {_cli_user()}
    assert {e["actor_kind"] for e in events} == {"cli"}
    assert [e["action"] for e in events] == [
        "alert.cancel", "alert.pause", "alert.create", "contact.erase", "contact.resubscribe",
        "contact.unsubscribe", "contacts.import", "user.disable", "user.invite", "user.role",
        "user.invite"]  # newest first; the dry run, refusals and failures left no trace
    by_action = {e["action"]: e for e in events}
    assert by_action["contacts.import"]["detail"]["created"] >= 2
    assert by_action["contact.unsubscribe"]["detail"]["reason"] == "asked by phone"
    assert "bence" not in str(by_action["contact.erase"])  # erased data stays out of the log
    assert by_action["alert.pause"]["target"] == f"alert:{alert_id}"
    only_alerts = json_output(run_cli("audit", "--json", "--action", "alert."))
    assert [e["action"] for e in only_alerts] == ["alert.cancel", "alert.pause", "alert.create"]
    assert json_output(run_cli("audit", "--json", "--actor", "cli:nobody-else")) == []
    table = run_cli("audit", "--action", "user.").stdout
    assert "user.invite" in table and "4 events" in table


def test_console_actions_are_recorded_with_the_user(settings, app_ctx, sessions,
                                                    reach_example):
    app = create_app(settings, app_ctx)
    sender = make_user(sessions, "press@example.org", "sender")
    client = app.test_client()
    log_in(client, sender)
    with sessions() as s, s.begin():
        s.execute(update(Alert).values(state="sending"))
    token = page_csrf(client)
    client.post(f"/dashboard/alerts/{reach_example.alert_id}/pause", data={"csrf_token": token})
    client.post(f"/dashboard/alerts/{reach_example.alert_id}/cancel", data={"csrf_token": token})
    page = client.get("/dashboard/activity").get_data(as_text=True)
    rows = page.split('<tbody>')[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == 3
    assert all("press@example.org" in r for r in rows)
    assert "alert.cancel" in rows[0] and "alert.pause" in rows[1] and "user.login" in rows[2]
    assert "Paused" in rows[1] and f"/dashboard/alerts/{reach_example.alert_id}" in rows[1]
    filtered = client.get("/dashboard/activity?action=alert.&actor=press%40example.org")
    assert filtered.get_data(as_text=True).count("alert.") >= 2
    assert "user.login" not in filtered.get_data(as_text=True).split("<tbody>")[1]
    nobody = client.get("/dashboard/activity?actor=cli%3Asomeone").get_data(as_text=True)
    assert "Nothing recorded for this filter" in nobody
