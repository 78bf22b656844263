"""`outreach webhooks`: a private target is refused without the override; list, remove."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.contacts.addresses import address_hash
from outreach.contacts.suppression import suppress
from outreach.db.models import Contact, WebhookDelivery, WebhookEvent
from tests.fixtures.cli import json_output

pytestmark = pytest.mark.integration


def test_loopback_url_is_refused_without_the_override(run_cli, session) -> None:
    result = run_cli("webhooks", "add", "http://127.0.0.1:9/hook", "--event", "*", expect=1)
    assert "loopback" in result.output and "OUTREACH_WEBHOOK_ALLOW_PRIVATE" in result.output
    result = run_cli("webhooks", "add", "http://169.254.169.254/", "--event", "*", expect=1)
    assert "link-local" in result.output
    assert json_output(run_cli("webhooks", "list", "--json")) == []


def test_add_list_remove_and_events_stored_with_the_change(run_cli, session, monkeypatch):
    monkeypatch.setenv("OUTREACH_WEBHOOK_ALLOW_PRIVATE", "true")
    added = json_output(run_cli("webhooks", "add", "http://127.0.0.1:9/h", "--event",
                                "contact.unsubscribed,complaint.received", "--json"))
    assert added["secret"].startswith("whsec_")
    listed = json_output(run_cli("webhooks", "list", "--json"))
    assert [w["id"] for w in listed] == [added["id"]] and "secret" not in listed[0]
    run_cli("webhooks", "add", "http://127.0.0.1:9/h", "--event", "nope", expect=1)

    contact = Contact(email="a@example.org", email_hash=address_hash("a@example.org"))
    session.add(contact)
    session.flush()
    suppress(session, contact, "unsubscribed", "cli")
    session.rollback()  # the change is undone: so is its event
    assert session.scalars(select(WebhookEvent)).all() == []
    session.add(contact := Contact(email="a@example.org", email_hash=address_hash("a@example.org")))
    session.flush()
    suppress(session, contact, "unsubscribed", "cli")
    session.commit()
    event = session.scalars(select(WebhookEvent)).one()
    assert event.type == "contact.unsubscribed"
    assert event.payload["data"]["contact"]["email"] == "a@example.org"
    assert session.scalars(select(WebhookDelivery.status)).all() == ["pending"]
    session.rollback()  # SQLite: end the read transaction (BEGIN IMMEDIATE holds the lock)

    run_cli("webhooks", "remove", str(added["id"]))
    assert json_output(run_cli("webhooks", "list", "--json")) == []
    run_cli("webhooks", "remove", str(added["id"]), expect=1)
