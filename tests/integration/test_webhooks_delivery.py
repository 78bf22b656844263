"""One delivery attempt at a time against a real HTTP receiver: signing, redirects not
followed, the address checked again at delivery, backoff and giving up after 24 hours."""

from __future__ import annotations

import json
from datetime import timedelta
from email import message_from_bytes

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from outreach.db.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from outreach.db.models.base import utcnow
from outreach.webhooks import subscriptions
from outreach.webhooks.config import WebhookConfig
from outreach.webhooks.deliver import deliver_one, due_ids, redeliver
from outreach.webhooks.events import emit

pytestmark = pytest.mark.integration
LOOSE = WebhookConfig(allow_private=True, retry_base=60, timeout=3)


def _subscribe(session, url: str, events=("alert.paused",)):  # type: ignore[no-untyped-def]
    sub = subscriptions.add(session, url, events, allow_private=True)
    session.commit()
    return sub


def _emit(session) -> int:  # type: ignore[no-untyped-def]
    emit(session, "alert.paused", {"id": 7, "title": "t", "state": "paused"})
    session.commit()
    return session.scalars(select(WebhookDelivery.id)).all()[-1]


def test_signed_delivery_and_nothing_stored_without_subscribers(session, webhook_receiver):
    assert emit(session, "alert.paused", {"id": 1}) is None  # nobody listens: no row
    session.commit()
    assert session.scalars(select(WebhookEvent)).all() == []
    sub = _subscribe(session, webhook_receiver.start().url)
    delivery_id = _emit(session)
    assert due_ids(session, utcnow()) == [delivery_id]
    session.rollback()

    assert deliver_one(session, delivery_id, LOOSE) is None
    request = webhook_receiver.requests[0]
    payload = Webhook(sub.secret).verify(request.body, request.headers)
    assert payload["type"] == "alert.paused" and payload["data"]["id"] == 7
    assert request.headers["webhook-id"].startswith("msg_")
    assert deliver_one(session, delivery_id, LOOSE) is None  # delivered: not claimed again
    assert len(webhook_receiver.requests) == 1


def test_redirect_is_not_followed_and_retried_later(session, webhook_receiver):
    webhook_receiver.status = 302
    _subscribe(session, webhook_receiver.start().url)
    delivery_id = _emit(session)
    delay = deliver_one(session, delivery_id, LOOSE)
    assert delay == 60
    attempt = session.scalars(select(WebhookAttempt)).one()
    assert attempt.status_code == 302 and attempt.error == "HTTP 302"
    assert len(webhook_receiver.requests) == 1
    delivery = session.get(WebhookDelivery, delivery_id)
    assert delivery.status == "pending" and delivery.next_attempt_at > utcnow()
    assert due_ids(session, utcnow()) == []  # not before its backoff


def test_private_target_is_refused_at_delivery_time(session, webhook_receiver):
    """Subscribed while allowed (or while its name pointed elsewhere): checked again."""
    _subscribe(session, webhook_receiver.start().url)
    delivery_id = _emit(session)
    deliver_one(session, delivery_id, WebhookConfig(allow_private=False, retry_base=60))
    attempt = session.scalars(select(WebhookAttempt)).one()
    assert attempt.status_code is None and "loopback" in attempt.error
    assert webhook_receiver.requests == []


def test_gives_up_after_a_day_and_send_again_works(session, webhook_receiver):
    _subscribe(session, webhook_receiver.url)  # receiver down
    delivery_id = _emit(session)
    event = session.scalars(select(WebhookEvent)).one()
    event.created_at = utcnow() - timedelta(hours=23, minutes=59)
    session.commit()
    deliver_one(session, delivery_id, LOOSE)
    assert session.get(WebhookDelivery, delivery_id).status == "failed"
    redeliver(session, delivery_id)
    session.commit()
    webhook_receiver.start()
    deliver_one(session, delivery_id, LOOSE)
    delivery = session.get(WebhookDelivery, delivery_id)
    assert delivery.status == "delivered" and delivery.attempts == 2


def test_reply_notification_goes_to_the_alert_creator_once(session, settings, smtp_sink):
    from outreach.db.models import Alert
    from outreach.inbound import notify

    settings = settings.replace(smtp_url=smtp_sink.url)
    alert = Alert(title="Border case", created_by="editor@example.org")
    cli_alert = Alert(title="From the CLI", created_by="cli:root")
    session.add_all([alert, cli_alert])
    session.flush()
    for a in (alert, cli_alert):
        emit(session, "reply.received", {"alert_id": a.id, "alert_title": a.title,
                                          "contact": {"email": "anna@example.net",
                                                      "name": "Anna\r\nBcc: x@example.org"},
                                          "subject": "Re", "text": "We will cover it."})
    session.commit()
    ids = notify.pending_ids(session)
    assert len(ids) == 2  # stored although no webhook subscribes: the email needs it
    assert [notify.notify_one(session, i, settings) for i in ids] == [True, True]
    assert notify.notify_one(session, ids[0], settings) is False  # claimed once
    mails = smtp_sink.wait_for(2)
    assert [m.rcpt_tos for m in mails] == [("editor@example.org",), (settings.sender_email,)]
    parsed = message_from_bytes(mails[0].data)
    assert parsed["Bcc"] is None and "Anna Bcc" in parsed["Subject"]  # no header injection
    assert notify.pending_ids(session) == []


def test_the_guards_automatic_pause_is_an_alert_paused_event(session, settings, webhook_receiver):
    from outreach.sending.blast import create_blast
    from outreach.sending.guard.rules import Figures, Trip
    from outreach.sending.guard.watch import pause_alert
    from tests.integration.sending_data import add_contacts, make_alert

    _subscribe(session, webhook_receiver.start().url, ("alert.paused",))
    add_contacts(session, 2)
    alert = make_alert(session, settings)
    create_blast(session, alert)
    trip = Trip("hard_bounces", "21 hard bounces in 210 attempts (10 %) is above the limit",
                {"hard_bounces": 21, "attempts": 210})
    assert pause_alert(session, alert.id, trip, Figures(attempts=210, hard_bounces=21), [])
    session.commit()
    event = session.scalars(select(WebhookEvent)).one()
    assert event.type == "alert.paused" and event.payload["data"]["by"] == "guard"
    assert event.payload["data"]["reason"] == "hard_bounces"
    deliver_one(session, session.scalar(select(WebhookDelivery.id)), LOOSE)
    assert json.loads(webhook_receiver.requests[0].body)["data"]["id"] == alert.id
