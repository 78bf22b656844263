"""The issue's acceptance, end to end: a real blast to the SMTP sink, then the answers it draws
appended to Dovecot, then one `outreach poll`."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from outreach.contacts.addresses import address_hash
from outreach.db.models import Contact, Message, Outlet
from tests.integration import inbound_mail
from tests.integration.sending_data import make_alert

pytestmark = pytest.mark.integration
FAST = {"retry_schedule": (0.2, 0.4), "sweep_seconds": 0.2}
EMAILS = ["gone@example.net", "anna@example.net", "away@example.com", "leaving@example.org"]


@pytest.fixture
def settings(settings, smtp_sink, imap_server):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_url=smtp_sink.url, broker_url=None, imap_url=imap_server.url,
                            **FAST)


def test_bounce_reply_auto_reply_and_unsubscribe_after_a_blast(
        sessions, settings, smtp_sink, imap_server, run_cli) -> None:
    with sessions() as session:  # closed before each CLI call: SQLite locks at BEGIN
        outlet = Outlet(name="Example Weekly", name_key="example weekly", country="PL")
        session.add(outlet)
        session.flush()
        for email in EMAILS:
            session.add(Contact(email=email, email_hash=address_hash(email),
                                outlet_id=outlet.id, language="en", type="journalist"))
        session.commit()
        alert_id = make_alert(session, settings).id
    run_cli("alert", "send", str(alert_id), "--yes")
    sent = {m.rcpt_tos[0]: m for m in smtp_sink.messages}
    assert set(sent) == set(EMAILS)

    imap_server.append(
        inbound_mail.dsn(sent[EMAILS[0]]),
        inbound_mail.quoting_reply(sent[EMAILS[1]], "Can we call your lawyer at noon?"),
        inbound_mail.out_of_office(sent[EMAILS[2]]),
        inbound_mail.mailto_unsubscribe(sent[EMAILS[3]]),
    )
    out = run_cli("poll").output
    assert "4 recorded" in out, out

    with sessions() as session:
        status = {c.email: c.status for c in session.scalars(select(Contact))}
        messages = {m.contact.email: m.status for m in session.scalars(
            select(Message).where(Message.alert_id == alert_id))}
    assert status == {EMAILS[0]: "bounced", EMAILS[1]: "active", EMAILS[2]: "active",
                      EMAILS[3]: "unsubscribed"}
    assert messages[EMAILS[0]] == "bounced" and messages[EMAILS[1]] == "sent"

    replies = json.loads(run_cli("replies", str(alert_id), "--json").stdout)
    assert len(replies) == 1
    assert replies[0]["text"] == "Can we call your lawyer at noon?"
    assert replies[0]["outlet"]["name"] == "Example Weekly"
    assert replies[0]["match"] == "token"
    everything = json.loads(run_cli("replies", str(alert_id), "--all", "--json").stdout)
    assert sorted(r["kind"] for r in everything) == ["auto_reply", "reply", "unsubscribe"]

    assert "0 message(s) read" in run_cli("poll").output
