"""List hygiene: contacts the last alerts did not reach are found by `status=stale`, and the
launch summary says how many of an alert's audience are stale. SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from outreach.contacts.hygiene import stale_in_alert
from outreach.db.models import InboundMail, Message
from tests.integration.sending_data import add_contacts, contact, make_alert

pytestmark = pytest.mark.integration

# contact -> what the last alerts did to it, oldest first ("soft": accepted, then a soft bounce;
# "soft?": the same, the bounce matched to the message only, not to the contact)
HISTORIES = {
    "unreached": ["failed", "failed", "bounced"],
    "soft_twice": ["sent", "soft", "soft"],
    "soft_unmatched": ["soft?", "soft?", "soft?"],
    "recovered": ["failed", "failed", "failed", "sent"],
    "soft_then_clean": ["soft", "sent"],
    "two_misses": ["sent", "failed", "failed"],
    "new": [],
}


def history(session: Session, settings, emails: dict[str, str]) -> list[int]:  # type: ignore[no-untyped-def]
    alerts = [make_alert(session, settings).id for _ in range(4)]
    for name, outcomes in HISTORIES.items():
        person = contact(session, emails[name])
        for alert_id, outcome in zip(alerts, outcomes, strict=False):
            soft = outcome.startswith("soft")
            message = Message(alert_id=alert_id, contact_id=person.id,
                              status="sent" if soft else outcome)
            session.add(message)
            session.flush()
            if soft:
                session.add(InboundMail(external_id=f"soft-{message.id}", kind="soft_bounce",
                                        message_id=message.id,
                                        contact_id=person.id if outcome == "soft" else None,
                                        alert_id=alert_id, bounce_code="4.2.2"))
    session.commit()
    return alerts


def test_stale_contacts_are_a_segment_and_counted_at_launch(session, settings, smtp_sink,
                                                            run_cli, monkeypatch):
    addresses = add_contacts(session, len(HISTORIES))
    emails = dict(zip(HISTORIES, addresses, strict=True))
    history(session, settings, emails)
    session.close()

    listed = json.loads(run_cli("contacts", "list", "--where", "status=stale", "--json").stdout)
    assert sorted(c["email"] for c in listed) == sorted(
        [emails["unreached"], emails["soft_twice"], emails["soft_unmatched"]])
    both = json.loads(run_cli("contacts", "list", "--where", "status=stale,active",
                              "--json").stdout)
    assert len(both) == len(HISTORIES)  # OR within a field, as for every other field

    monkeypatch.setenv("OUTREACH_SMTP_URL", smtp_sink.url)
    new_alert = make_alert(session, settings)
    session.close()
    out = run_cli("alert", "send", str(new_alert.id), "--yes")
    assert "would go to 7 contacts (7 en); 0 suppressed contacts skipped; 3 stale;" in (
        out.output)
    assert "7 messages queued, 0 suppressed contacts skipped, 3 stale" in out.output, out.output
    # Everyone was reached this time (the sink accepts all): one clean delivery clears it.
    assert stale_in_alert(session, new_alert.id) == 0
    session.close()  # SQLite: no lock left for the CLI
    assert json.loads(run_cli("contacts", "list", "--where", "status=stale", "--json").stdout) == []
