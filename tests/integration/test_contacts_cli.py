"""`outreach contacts ...` end to end through the CLI (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from outreach.db.models import (
    Alert,
    Contact,
    ContactEvent,
    InboundMail,
    Message,
    MessageEvent,
    Outlet,
    Suppression,
)
from tests.fixtures.cli import json_output

ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "data" / "contacts"
pytestmark = pytest.mark.integration
Cli = Callable[..., Result]


def test_example_file_imports_every_row_and_segments_by_country(run_cli: Cli) -> None:
    example = ROOT / "examples" / "contacts.csv.example"
    with example.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    report = json_output(run_cli("contacts", "import", str(example), "--json"))
    assert (report["created"], report["rejected"], report["errors"]) == (len(rows), 0, [])
    assert len(rows) >= 28
    hungarians = {r["Email address"] for r in rows if r["Country"] in ("HU", "Hungary")}
    listed = json_output(run_cli("contacts", "list", "--where", "country=HU", "--json"))
    assert {c["email"] for c in listed} == hungarians and len(listed) == len(hungarians) >= 3
    assert all(c["country"] == "HU" for c in listed)
    both = json_output(run_cli("contacts", "list", "--where", "country=HU,PL", "--where",
                               "type=journalist", "--tag", "urgent", "--json"))
    assert {c["email"] for c in both} == {
        r["Email address"] for r in rows if r["Country"] in ("HU", "Hungary", "PL")
        and r["Type"] == "journalist" and "urgent" in r["Tags"]}
    outlets = json_output(run_cli("outlets", "list", "--json"))
    assert max(o["contacts"] for o in outlets) >= 2
    assert "contacts" in run_cli("contacts", "list", "--limit", "3").stdout


def test_messy_import_then_export_neutralises_formulas(run_cli: Cli, tmp_path: Path) -> None:
    out = run_cli("contacts", "import", str(DATA / "messy-bom-semicolon.csv"))
    assert "4 created" in out.stdout and "3 rejected" in out.stdout
    assert "not-an-address" in out.stdout
    run_cli("contacts", "export", "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as f:
        exported = {r["Email"]: r for r in csv.DictReader(f)}
    assert set(exported) == {"anna.kiss@example.org", "mallory@example.net",
                             "piotr@example.net", "stray.spaces@example.org"}
    assert exported["mallory@example.net"]["Name"].startswith("'=HYPERLINK(")
    assert exported["anna.kiss@example.org"]["Twitter"] == "'@annakiss"
    assert exported["anna.kiss@example.org"]["Tags"] == "central-asia; press; urgent"
    run_cli("contacts", "export", "hu.csv", "--where", "country=HU")
    with (tmp_path / "hu.csv").open(encoding="utf-8-sig") as f:
        assert len(list(csv.DictReader(f))) == 2
    again = json_output(run_cli("contacts", "import", "out.csv", "--json"))
    assert (again["created"], again["unchanged"], again["rejected"]) == (0, 4, 0)


def test_dry_run_and_json_report(run_cli: Cli, sessions: sessionmaker[Session]) -> None:
    report = json_output(run_cli("contacts", "import", str(DATA / "cyrillic-cp1251.csv"),
                                 "--dry-run", "--json"))
    assert (report["dry_run"], report["created"], report["encoding"]) == (True, 4, "cp1251")
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Contact)) == 0
        assert s.scalar(select(func.count()).select_from(Outlet)) == 0
    assert "dry run" in run_cli("contacts", "import", str(DATA / "cyrillic-cp1251.csv"),
                                "--dry-run").stdout


@pytest.mark.parametrize("name", ["binary.xlsx", "no-email-column.csv", "missing.csv"])
def test_unreadable_file_exit_1_one_line(run_cli: Cli, sessions: sessionmaker[Session],
                                         name: str) -> None:
    result = run_cli("contacts", "import", str(DATA / name), expect=1)
    assert result.stderr.startswith("error: ") and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Contact)) == 0


def test_unsubscribe_reimport_resubscribe(run_cli: Cli, tmp_path: Path) -> None:
    shutil.copy(DATA / "messy-bom-semicolon.csv", tmp_path / "m.csv")
    run_cli("contacts", "import", "m.csv")
    assert "unsubscribed" in run_cli("contacts", "unsubscribe", "ANNA.KISS@example.org",
                                     "--reason", "asked by phone").stdout
    assert "already" in run_cli("contacts", "unsubscribe", "anna.kiss@example.org").stdout
    report = json_output(run_cli("contacts", "import", "m.csv", "--update", "--json"))
    assert report["suppressed"] == 1
    assert report["suppressed_rows"] == [{"line": 2, "reason": "unsubscribed"}]
    shown = json_output(run_cli("contacts", "show", "anna.kiss@example.org", "--json"))
    assert shown["contact"]["status"] == "unsubscribed"
    assert shown["suppression"]["reason"] == "unsubscribed"
    assert [e["kind"] for e in shown["events"]] == ["imported", "unsubscribed"]
    assert shown["messages"] == [] and shown["inbound"] == []
    no_reason = run_cli("contacts", "resubscribe", "anna.kiss@example.org", expect=1)
    assert "--reason" in no_reason.stderr
    run_cli("contacts", "resubscribe", "anna.kiss@example.org", "--reason", "confirmed by mail")
    shown = json_output(run_cli("contacts", "show", "anna.kiss@example.org", "--json"))
    assert (shown["contact"]["status"], shown["suppression"]) == ("active", None)
    assert shown["events"][-1]["detail"] == "confirmed by mail"
    assert "history" in run_cli("contacts", "show", "anna.kiss@example.org").stdout


def test_erase(run_cli: Cli, sessions: sessionmaker[Session]) -> None:
    run_cli("contacts", "import", str(DATA / "messy-bom-semicolon.csv"))
    run_cli("contacts", "erase", "piotr@example.net")
    assert "erased" in run_cli("contacts", "show", "piotr@example.net", expect=1).stderr
    listed = json_output(run_cli("contacts", "list", "--json"))
    assert "piotr@example.net" not in {c["email"] for c in listed}
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Suppression)) == 1
        texts = " ".join(str(v) for c in s.scalars(select(Contact)) for v in (
            c.email, c.name, c.first_name, c.last_name, c.attributes))
        events = " ".join(str(e.detail) for e in s.scalars(select(ContactEvent)))
        assert "piotr" not in texts.lower() and "Nowak" not in texts + events
    report = json_output(run_cli("contacts", "import", str(DATA / "messy-bom-semicolon.csv"),
                                 "--json"))
    assert report["suppressed_rows"] == [{"line": 7, "reason": "erased"}]
    assert report["created"] == 0


@pytest.mark.parametrize("args", [
    ("contacts", "list", "--where", "planet=mars"),
    ("contacts", "show", "nobody@example.org"),
    ("contacts", "show", "not an address"),
    ("contacts", "unsubscribe", "nobody@example.org"),
])
def test_user_errors_exit_1(run_cli: Cli, args: tuple[str, ...]) -> None:
    result = run_cli(*args, expect=1)
    assert result.stderr.startswith("error: ")


def test_show_lists_messages_and_inbound_mail_and_erase_clears_them(
        run_cli: Cli, sessions: sessionmaker[Session]) -> None:
    run_cli("contacts", "import", str(DATA / "messy-bom-semicolon.csv"))
    with sessions() as s:
        piotr = s.scalar(select(Contact).where(Contact.email == "piotr@example.net"))
        assert piotr is not None
        alert = Alert(title="Journalist detained")
        s.add(alert)
        s.flush()
        message = Message(alert_id=alert.id, contact_id=piotr.id, status="sent",
                          smtp_text="250 ok <Piotr@example.net> queued")
        s.add(message)
        s.flush()
        s.add(MessageEvent(message_id=message.id, kind="sent", to_status="sent",
                           detail="250 ok <Piotr@example.net> queued"))
        s.add(InboundMail(external_id="imap-1", kind="reply", message_id=message.id,
                          contact_id=piotr.id, alert_id=alert.id, sender="piotr@example.net",
                          subject="Re: Journalist detained", text="Can we talk, Piotr?"))
        s.commit()
    shown = json_output(run_cli("contacts", "show", "piotr@example.net", "--json"))
    assert [(m["alert"], m["status"]) for m in shown["messages"]] == [
        ("Journalist detained", "sent")]
    assert [e["kind"] for e in shown["messages"][0]["events"]] == ["sent"]
    assert [(i["kind"], i["subject"]) for i in shown["inbound"]] == [
        ("reply", "Re: Journalist detained")]
    assert "message" in run_cli("contacts", "show", "piotr@example.net").stdout
    run_cli("contacts", "erase", "piotr@example.net")
    with sessions() as s:
        mail = s.scalar(select(InboundMail))
        assert mail is not None and (mail.sender, mail.subject, mail.text) == (None, None, None)
        assert s.scalar(select(func.count()).select_from(Message)) == 1
        assert s.scalar(select(Message.smtp_text)) is None
        assert s.scalar(select(MessageEvent.detail)) is None
