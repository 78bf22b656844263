"""The CLI side of the console: saved segments by name, column mapping on import, follow-ups
with language variants, and the audit rows CLI actions leave (with the OS user)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from outreach.audit import list_events
from outreach.contacts.saved import save_segment
from outreach.contacts.segments import parse_segment
from outreach.db.models import Alert, Contact, Message
from tests.integration.sending_data import EXAMPLES

MESSY = Path(__file__).resolve().parents[1] / "data" / "console" / "messy.csv"


@pytest.fixture
def settings(settings, smtp_sink):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_url=smtp_sink.url)


def _import(run_cli, *extra: str) -> dict:
    return json.loads(run_cli("contacts", "import", str(MESSY), "--json", *extra).stdout)


def test_import_lists_unknown_columns_and_maps_them(run_cli, sessions):
    dry = _import(run_cli, "--dry-run")
    assert dry["unknown_columns"] == ["Medium", "Sprache"]
    assert [(o["line"], o["action"]) for o in dry["outcomes"]] == [
        (6, "merge"), (2, "create"), (3, "create"), (5, "create")]
    assert run_cli("contacts", "import", str(MESSY), "--map", "Sprache=colour",
                   expect=1).output.startswith("error: --map Sprache=colour")
    done = _import(run_cli, "--map", "Medium=outlet", "--map", "Sprache=language")
    assert done["unknown_columns"] == [] and done["created"] == 3
    with sessions() as s:
        olga = s.scalar(select(Contact).where(Contact.email == "olga@example.net"))
        assert (olga.language, olga.outlet.name, olga.attributes) == ("ru", "Primer News", {})
        events = list_events(s)
    assert [(e.action, e.actor_kind) for e in events] == [("contacts.import", "cli")]
    assert events[0].actor.startswith("cli:")


def test_segment_by_name_in_list_and_create(run_cli, sessions, settings):
    _import(run_cli, "--map", "Land=country", "--map", "Sprache=language")
    with sessions() as s:
        save_segment(s, "Russian speakers", parse_segment(["language=ru"]), "test")
        s.commit()
    listed = json.loads(run_cli("contacts", "list", "--segment", "Russian speakers",
                                "--json").stdout)
    assert sorted(r["email"] for r in listed) == ["juergen@example.org", "olga@example.net"]
    missing = run_cli("contacts", "list", "--segment", "Nope", expect=1)
    assert "no saved segment with that name (Russian speakers)" in missing.output
    assert run_cli("contacts", "list", "--segment", "Russian speakers", "--tag", "x",
                   expect=1).output.startswith("error: --segment: give either")
    created = json.loads(run_cli("alert", "create", str(EXAMPLES / "alert.md"), "--segment",
                                 "Russian speakers", "--json").stdout)
    assert created["segment"]["name"] == "Russian speakers"
    result = run_cli("alert", "send", str(created["id"]), expect=1)
    assert "would go to 2 contacts" in result.output


def test_follow_up_with_a_russian_variant_is_threaded(run_cli, sessions, smtp_sink):
    _import(run_cli, "--map", "Sprache=language")
    original = run_cli("alert", "create", str(EXAMPLES / "alert.md"), "--variant",
                       f"ru={EXAMPLES / 'alert.ru.md'}").output.strip()
    run_cli("alert", "send", original, "--yes")
    data = json.loads(run_cli("alert", "follow-up", original, str(EXAMPLES / "alert.md"),
                              "--variant", f"ru={EXAMPLES / 'alert.ru.md'}", "--json").stdout)
    with sessions() as s:
        follow = s.get(Alert, data["id"])
        assert sorted(v.language for v in follow.variants) == ["en", "ru"]
        assert follow.created_by.startswith("cli:")
    run_cli("alert", "send", str(data["id"]), "--yes")
    with sessions() as s:
        rows = s.execute(select(Message.in_reply_to, Message.variant_id)
                         .where(Message.alert_id == data["id"])).all()
        ru_variant = next(v.id for v in s.get(Alert, data["id"]).variants if v.language == "ru")
        actions = [e.action for e in reversed(list_events(s))]
    assert len(rows) == 3 and all(r.in_reply_to for r in rows)
    assert sum(1 for r in rows if r.variant_id == ru_variant) == 2
    assert actions == ["contacts.import", "alert.create", "alert.launch", "alert.follow_up",
                       "alert.launch"]
