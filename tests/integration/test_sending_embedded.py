"""Blast through the embedded Celery worker (no Redis) into a real aiosmtpd sink."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from outreach.contacts.suppression import suppress
from tests.integration.sending_data import add_contacts, contact, make_alert, message_rows
from tests.integration.sending_run import own_session

FAST = {"retry_schedule": (0.2, 0.4), "sweep_seconds": 0.2, "send_batch_size": 25}


@pytest.fixture
def settings(settings, smtp_sink):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_url=smtp_sink.url, broker_url=None, **FAST)


def test_blast_delivers_each_address_once(session, settings, smtp_sink, run_cli):
    emails = add_contacts(session, 60, languages=("en", "ru", "hu", "de"))
    suppress(session, contact(session, emails[0]), "unsubscribed", "cli")
    session.commit()
    alert = make_alert(session, settings, variants=True)

    result = run_cli("alert", "send", str(alert.id), "--yes")

    assert "59 messages queued, 1 suppressed" in result.output
    received = Counter(r for m in smtp_sink.messages for r in m.rcpt_tos)
    assert set(received) == set(emails[1:]) and set(received.values()) == {1}
    status = json.loads(run_cli("alert", "status", str(alert.id), "--json").stdout)
    assert status["state"] == "done" and status["counts"]["sent"] == 59
    assert status["total"] == 59 and status["open"] == 0
    languages = {m.contact.language: m.variant.language for m in message_rows(session, alert.id)}
    assert languages == {"en": "en", "ru": "ru", "hu": "hu", "de": "en"}


def test_send_twice_is_refused(session, settings, smtp_sink, run_cli):
    add_contacts(session, 3)
    alert = make_alert(session, settings)
    run_cli("alert", "send", str(alert.id), "--yes")
    result = run_cli("alert", "send", str(alert.id), "--yes", expect=1)
    assert "can only be sent once" in result.output
    assert len(smtp_sink.messages) == 3


def test_no_wait_needs_a_broker(session, settings, run_cli):
    alert = make_alert(session, settings)
    result = run_cli("alert", "send", str(alert.id), "--yes", "--no-wait", expect=1)
    assert "OUTREACH_BROKER_URL" in result.output


def test_temporary_failures_are_delivered_after_retries(session, settings, smtp_sink, run_cli):
    emails = add_contacts(session, 5)
    alert = make_alert(session, settings)
    smtp_sink.fail(451, at="rcpt", recipient=emails[2], times=2)
    smtp_sink.fail(452, at="rcpt", recipient=emails[3], times=1)

    run_cli("alert", "send", str(alert.id), "--yes")

    assert received_once(smtp_sink) == set(emails)
    rows = {m.contact.email: m for m in message_rows(session, alert.id)}
    assert rows[emails[2]].status == "sent" and rows[emails[2]].attempts == 3
    # A 452 slows the domain down (back-pressure) and is tried again without charging an attempt.
    assert rows[emails[3]].attempts == 1 and rows[emails[0]].attempts == 1
    assert "throttle" in event_kinds(session, rows[emails[3]].id)
    kinds = [k for k in event_kinds(session, rows[emails[2]].id) if k != "throttle"]
    assert kinds == ["deferred", "deferred", "sent"]  # (the 452's domain pause may throttle it)


def test_permanent_failures_are_bounced_and_suppressed(session, settings, smtp_sink, run_cli):
    emails = add_contacts(session, 4)
    alert = make_alert(session, settings)
    smtp_sink.fail(550, at="rcpt", recipient=emails[1])

    run_cli("alert", "send", str(alert.id), "--yes")

    status = json.loads(run_cli("alert", "status", str(alert.id), "--json").stdout)
    assert status["counts"]["bounced"] == 1 and status["counts"]["sent"] == 3
    assert is_suppressed(settings, emails[1])
    assert contact(session, emails[1]).status == "bounced"
    second = make_alert(session, settings)
    result = run_cli("alert", "send", str(second.id), "--yes")
    assert "3 messages queued, 1 suppressed" in result.output


def test_give_up_then_retry_failed(session, settings, smtp_sink, run_cli, monkeypatch):
    monkeypatch.setenv("OUTREACH_RETRY_GIVE_UP_SECONDS", "1")
    emails = add_contacts(session, 3)
    alert = make_alert(session, settings)
    smtp_sink.fail(451, at="rcpt", recipient=emails[0])

    run_cli("alert", "send", str(alert.id), "--yes")
    status = json.loads(run_cli("alert", "status", str(alert.id), "--json").stdout)
    assert status["state"] == "done" and status["counts"]["failed"] == 1
    assert not is_suppressed(settings, emails[0])  # a temporary failure never suppresses

    smtp_sink.clear_faults()
    result = run_cli("alert", "retry-failed", str(alert.id))
    assert "1 failed messages requeued" in result.output
    status = json.loads(run_cli("alert", "status", str(alert.id), "--json").stdout)
    assert status["counts"]["sent"] == 3 and status["state"] == "done"
    assert received_once(smtp_sink) == set(emails)


def test_a_drop_after_the_data_is_recorded_as_uncertain(session, settings, smtp_sink, run_cli):
    emails = add_contacts(session, 3)
    alert = make_alert(session, settings)
    smtp_sink.drop(at="data", recipient=emails[1], times=1, deliver=True)

    run_cli("alert", "send", str(alert.id), "--yes")

    status = json.loads(run_cli("alert", "status", str(alert.id), "--json").stdout)
    assert status["counts"]["sent"] == 3 and status["uncertain"] == 1
    flagged = [m.contact.email for m in message_rows(session, alert.id) if m.uncertain]
    assert flagged == [emails[1]]
    assert Counter(smtp_sink.recipients())[emails[1]] == 2  # the one duplicate, flagged


def test_cancel_and_pause_commands(session, settings, run_cli):
    add_contacts(session, 2)
    alert = make_alert(session, settings)
    run_cli("alert", "pause", str(alert.id), expect=1)  # a draft cannot be paused
    from outreach.sending.blast import create_blast

    create_blast(session, alert)
    session.commit()
    assert "paused" in run_cli("alert", "pause", str(alert.id)).output
    result = run_cli("alert", "cancel", str(alert.id))
    assert "2 unsent messages cancelled" in result.output
    status = json.loads(run_cli("alert", "status", str(alert.id), "--json").stdout)
    assert status["state"] == "cancelled" and status["counts"]["cancelled"] == 2
    run_cli("alert", "status", "999", expect=1)


def received_once(sink) -> set[str]:  # type: ignore[no-untyped-def]
    counts = Counter(sink.recipients())
    assert set(counts.values()) <= {1}, counts
    return set(counts)


def event_kinds(session, message_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from outreach.db.models import MessageEvent

    return list(session.scalars(select(MessageEvent.kind)
                                .where(MessageEvent.message_id == message_id)
                                .order_by(MessageEvent.id)))


def is_suppressed(settings, email: str) -> bool:  # type: ignore[no-untyped-def]
    """Checked through a connection of its own (see `own_session`)."""
    from outreach.contacts.suppression import is_suppressed as check

    with own_session(settings) as own:
        return check(own, email)


def test_rate_limit_spreads_the_blast(session, settings, smtp_sink, run_cli, monkeypatch):
    monkeypatch.setenv("OUTREACH_RATE_LIMIT", "20/s")
    emails = add_contacts(session, 30)
    alert = make_alert(session, settings)
    import time

    started = time.monotonic()
    run_cli("alert", "send", str(alert.id), "--yes")
    assert time.monotonic() - started >= 1.2  # 30 messages at 20/s
    assert received_once(smtp_sink) == set(emails)


def test_at_needs_a_timezone_and_refuses_the_past(session, settings, smtp_sink, run_cli):
    emails = add_contacts(session, 2)
    alert = make_alert(session, settings)
    result = run_cli("alert", "send", str(alert.id), "--yes", "--at", "2026-11-26T09:00",
                     expect=1)
    assert "timezone" in result.output
    result = run_cli("alert", "send", str(alert.id), "--yes", "--at",
                     "2020-01-01T09:00+01:00", expect=1)
    assert "in the past" in result.output
    a_moment_ago = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    run_cli("alert", "send", str(alert.id), "--yes", "--at", a_moment_ago, "--urgent")
    assert received_once(smtp_sink) == set(emails)
