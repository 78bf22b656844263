"""Point 6: data never reaches the operator's terminal as rich markup or escape sequences.

A `[/x]` in a name, outlet, reply or subject used to crash `contacts list/show`, `outlets
list`, `report`, `replies`, `inbound unmatched` and `contacts import` with a traceback;
`[link=...]` rendered a clickable link; ESC sequences from a mail subject reached the screen.
The real CLI (click's runner) on SQLite and PostgreSQL, with fixed hostile values and with
Hypothesis-generated ones.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from outreach.db.models import Base, Contact, InboundMail
from tests.hostile.csvdata import write
from tests.integration.inbound_rows import make_sent_alert

pytestmark = pytest.mark.integration
EMAIL = "target@example.org"
# Anything a terminal may act on: C0 (but LF), DEL, C1, bidi controls.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def seed(sessions, settings, *, name: str, outlet: str, title: str, subject: str,
         text: str) -> int:
    with sessions() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))
        session.commit()
        sent = make_sent_alert(session, settings, [EMAIL], title=title or "t",
                               outlet_name=outlet or "o")
        contact = session.get(Contact, sent.contacts[EMAIL])
        contact.name = name
        contact.attributes = {"Notes": text}
        for n, (kind, method) in enumerate((("reply", "token"), ("unmatched", None))):
            session.add(InboundMail(
                external_id=f"x{n}", kind=kind, match_method=method,
                message_id=sent.messages[EMAIL] if method else None,
                contact_id=contact.id if method else None,
                alert_id=sent.alert_id if method else None, sender=f"{name[:200]} <{EMAIL}>",
                subject=subject, text=text, error=text if kind == "unmatched" else None))
        session.commit()
        return sent.alert_id


def outputs(run_cli, alert_id: int) -> dict[str, str]:
    commands = {
        "contacts list": ("contacts", "list"), "contacts show": ("contacts", "show", EMAIL),
        "outlets list": ("outlets", "list"), "report": ("report", str(alert_id)),
        "alert list": ("alert", "list"), "replies": ("replies", "--all"),
        "inbound unmatched": ("inbound", "unmatched"),
    }
    return {label: run_cli(*args).output for label, args in commands.items()}


HOSTILE = {
    "name": "[/x] Anna [bold]Kovács",
    "outlet": "[link=https://evil.test]Example Daily[/link]",
    "title": "Alert \x1b]0;owned\x07 [/]",
    "subject": "\x1bc\x1b[2J\x1b]0;pwned\x07 Re: [/x]",
    "text": "\u202eevil\u202c [/bold] \x9b31m red \x1b[31m",
}


def test_hostile_values_print_literally_with_no_escape_sequence(
        run_cli, sessions, settings) -> None:
    alert_id = seed(sessions, settings, **HOSTILE)
    for label, out in outputs(run_cli, alert_id).items():
        assert "Traceback" not in out, label
        assert not CONTROL.search(out), (label, out)
    shown = run_cli("contacts", "show", EMAIL).output
    assert "[/x] Anna [bold]Kovács" in shown
    listed = run_cli("outlets", "list").output
    assert "[link=https://evil.test]" in listed.replace("\n", "").replace(" ", "") or \
        "[link=" in listed


def test_import_errors_with_markup_in_cells(tmp_path, run_cli, sessions) -> None:
    path = write(tmp_path / "bad.csv", ["Email,Name,Country\n",
                                        "a@example.org,A,[/x]\n", "b@example.org,B,HU\n",
                                        "[link=x]c,C,HU\x1b[2J\n"])
    out = run_cli("contacts", "import", str(path)).output
    assert "Traceback" not in out and not CONTROL.search(out), out
    assert "[/x]" in out and "1 created" in out


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=st.text(max_size=60), outlet=st.text(min_size=1, max_size=60),
       title=st.text(min_size=1, max_size=60), subject=st.text(max_size=80),
       text=st.text(max_size=200))
def test_property_cli_never_raises_nor_emits_control_characters(
        run_cli, sessions, settings, name, outlet, title, subject, text) -> None:
    outlet, title = outlet.replace("\x00", ""), title.replace("\x00", "")
    values = {k: v.replace("\x00", "") for k, v in
              dict(name=name, outlet=outlet, title=title, subject=subject, text=text).items()}
    if not values["outlet"].strip() or not values["title"].strip():
        return
    alert_id = seed(sessions, settings, **values)
    for label, out in outputs(run_cli, alert_id).items():  # run_cli asserts exit code 0
        assert not CONTROL.search(out), (label, out)
