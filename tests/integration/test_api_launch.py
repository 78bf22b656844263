"""Launch through the API with real Celery workers on Redis into an SMTP sink: the expected
count guards against a stale audience (409, nothing sent) and an Idempotency-Key makes a
retried launch send once. Also pause/resume/status and the reply/report reads."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from outreach.db.models import AuditEvent, Message
from outreach.webhooks import subscriptions
from tests.fixtures.services import REDIS_URL
from tests.integration.sending_data import add_contacts
from tests.integration.sending_run import FAST, received_counts, wait_done

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def settings(settings, smtp_sink, redis_prefix):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_url=smtp_sink.url, broker_url=REDIS_URL,
                            broker_prefix=redis_prefix, webhook_allow_private=True, **FAST)


def _create(api, **extra):  # type: ignore[no-untyped-def]
    body = {"markdown": (EXAMPLES / "alert.md").read_text(),
            "variants": {"ru": (EXAMPLES / "alert.ru.md").read_text()},
            "segment": {"type": "journalist"}, **extra}
    response = api.post("/alerts", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_stale_count_is_refused_and_a_retried_launch_sends_once(
        settings, session, sessions, smtp_sink, celery_workers, sender_api,
        webhook_receiver) -> None:
    emails = add_contacts(session, 40, languages=("en", "ru"))
    subscriptions.add(session, webhook_receiver.start().url, ["alert.finished"],
                      allow_private=True)
    session.commit()
    alert = _create(sender_api)
    assert alert["audience"] == {"recipients": 40, "suppressed": 0, "segment": "type=journalist",
                                 "by_language": {"en": 20, "ru": 20}}
    assert alert["created_by"] == "sender@example.org"
    assert sorted(alert["languages"]) == ["en", "ru"]
    celery_workers.start(settings)

    stale = sender_api.post(f"/alerts/{alert['id']}/launch", json={"expected_recipients": 39})
    assert stale.status_code == 409 and stale.mimetype == "application/problem+json"
    assert stale.get_json()["errors"][0]["field"] == "expected_recipients"
    with sessions() as s:
        assert s.scalar(select(func.count(Message.id))) == 0  # nothing queued, nothing sent
    assert sender_api.get(f"/alerts/{alert['id']}").get_json()["state"] == "draft"

    key = {"Idempotency-Key": "launch-7f3a"}
    first = sender_api.post(f"/alerts/{alert['id']}/launch", headers=key,
                            json={"expected_recipients": 40, "urgent": True})
    again = sender_api.post(f"/alerts/{alert['id']}/launch", headers=key,
                            json={"expected_recipients": 40, "urgent": True})
    assert first.status_code == again.status_code == 202
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"]
    other = sender_api.post(f"/alerts/{alert['id']}/launch", headers=key,
                            json={"expected_recipients": 41})
    assert other.status_code == 422 and other.get_json()["errors"][0]["field"] == \
        "Idempotency-Key"

    final = wait_done(settings, alert["id"], timeout=90)
    assert final["counts"]["sent"] == 40
    time.sleep(1)
    assert received_counts(smtp_sink) == dict.fromkeys(emails, 1)
    status = sender_api.get(f"/alerts/{alert['id']}/status").get_json()
    assert status["state"] == "done" and status["counts"]["sent"] == 40
    # without the key, a second launch is refused by the alert's state, not sent twice
    assert sender_api.post(f"/alerts/{alert['id']}/launch",
                           json={"expected_recipients": 40}).status_code == 409
    report = sender_api.get(f"/alerts/{alert['id']}/report?by=language").get_json()
    assert report["totals"]["sent"] == 40
    csv = sender_api.get(f"/alerts/{alert['id']}/report?format=csv")
    assert csv.mimetype == "text/csv" and csv.get_data(as_text=True).startswith("label,")
    with sessions() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.actor_kind == "api"))
        assert sorted(actions) == ["alert.create", "alert.launch"]
    deadline = time.monotonic() + 20  # the worker that finished the alert dispatched the event
    while not webhook_receiver.requests and time.monotonic() < deadline:
        time.sleep(0.1)
    finished = json.loads(webhook_receiver.requests[0].body)
    assert finished["type"] == "alert.finished" and finished["data"]["id"] == alert["id"]


def test_pause_resume_and_schedule(settings, session, sender_api) -> None:
    add_contacts(session, 3)
    alert = _create(sender_api)
    later = "2099-01-01T09:00:00+01:00"
    scheduled = sender_api.post(f"/alerts/{alert['id']}/launch",
                                json={"expected_recipients": 3, "at": later})
    assert scheduled.status_code == 202, scheduled.get_json()
    assert scheduled.get_json()["state"] == "scheduled"
    paused = sender_api.post(f"/alerts/{alert['id']}/pause")
    assert paused.status_code == 200 and paused.get_json()["state"] == "paused"
    cancelled = sender_api.post(f"/alerts/{alert['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    refused = sender_api.post(f"/alerts/{alert['id']}/resume")
    assert refused.status_code == 409 and refused.get_json()["errors"][0]["field"] == "alert_id"
    assert sender_api.post("/alerts/999/pause").status_code == 404
    past = sender_api.post(f"/alerts/{_create(sender_api)['id']}/launch",
                           json={"expected_recipients": 3, "at": "2001-01-01T00:00:00Z"})
    assert past.status_code == 422 and past.get_json()["errors"][0]["field"] == "at"
