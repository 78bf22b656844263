"""reply.received end to end: IMAP reply -> `outreach poll` -> a Celery worker -> a signed POST
to a receiver that is down for its first two attempts -> delivered once; the alert's creator
(here: the configured sender, no named user) gets a notification email."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from outreach.db.models import WebhookAttempt, WebhookDelivery
from tests.fixtures.cli import json_output
from tests.fixtures.services import REDIS_URL
from tests.integration.inbound_rows import make_sent_alert, readdressed

pytestmark = pytest.mark.integration
ADDRESS = "anna.editor@example.net"


@pytest.fixture
def settings(settings, imap_server, smtp_sink, redis_prefix):  # type: ignore[no-untyped-def]
    return settings.replace(imap_url=imap_server.url, smtp_url=smtp_sink.url,
                            broker_url=REDIS_URL, broker_prefix=redis_prefix,
                            webhook_allow_private=True, webhook_retry_base=1.0,
                            webhook_timeout=3.0)


def _attempts(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return session.scalar(select(func.count(WebhookAttempt.id))) or 0


def _wait(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_reply_reaches_a_receiver_that_was_down_exactly_once(
        settings, sessions, imap_server, smtp_sink, webhook_receiver, celery_workers,
        run_cli) -> None:  # type: ignore[no-untyped-def]
    added = json_output(run_cli("webhooks", "add", webhook_receiver.url,
                                "--event", "reply.received", "--json"))
    with sessions() as session:
        sent = make_sent_alert(session, settings, [ADDRESS])
        session.commit()
    worker = celery_workers.start(settings)
    imap_server.append(readdressed("reply-en-quoted.eml", settings, sent.messages[ADDRESS]))

    run_cli("poll")

    _wait(lambda: _attempts(sessions) >= 2, 30, "two failed attempts")
    assert webhook_receiver.requests == []
    webhook_receiver.start()
    _wait(lambda: webhook_receiver.requests, 30, "the delivery")
    time.sleep(3)  # a duplicate would arrive now (a racing retry or dispatch)

    assert len(webhook_receiver.requests) == 1, worker.output()
    request = webhook_receiver.requests[0]
    payload = Webhook(added["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "reply.received"
    assert payload["data"]["contact"]["email"] == ADDRESS
    assert payload["data"]["alert_id"] == sent.alert_id
    with sessions() as session:
        delivery = session.scalars(select(WebhookDelivery)).one()
        log = session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)).all()
    assert delivery.status == "delivered" and delivery.attempts == len(log) >= 3
    assert [a.status_code for a in log][-1] == 200 and log[-1].response_excerpt == "thanks"
    assert all(a.status_code is None and a.error for a in log[:-1])
    notes = smtp_sink.wait_for(1, timeout=20)
    assert [list(m.rcpt_tos) for m in notes] == [[settings.sender_email]]
    assert b"Reply from" in notes[0].data and ADDRESS not in notes[0].rcpt_tos
    shown = json_output(run_cli("webhooks", "attempts", str(added["id"]), "--json"))
    assert shown[0]["status"] == "delivered" and len(shown[0]["log"]) == len(log)
    assert json.loads(request.body)["data"]["text"]
