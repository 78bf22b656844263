"""Blasts through real `celery -A workers worker` processes on Redis, into a real SMTP sink."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from outreach.contacts.suppression import suppress
from outreach.db.models import Message, Suppression
from outreach.sending.config import SendingConfig
from tests.fixtures.services import REDIS_URL
from tests.integration.sending_data import add_contacts, contact, make_alert, message_rows
from tests.integration.sending_run import (
    FAST,
    received_counts,
    start_blast,
    status,
    wait_done,
    wait_until,
)

postgres_only = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@pytest.fixture
def settings(settings, smtp_sink, redis_prefix):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_url=smtp_sink.url, broker_url=REDIS_URL,
                            broker_prefix=redis_prefix, **FAST)


def test_one_worker_delivers_each_address_once(session, settings, smtp_sink, celery_workers):
    emails = add_contacts(session, 300)
    alert = make_alert(session, settings)
    celery_workers.start(settings)

    start_blast(settings, alert.id, urgent=True)

    final = wait_done(settings, alert.id, timeout=60)
    assert final["counts"]["sent"] == 300
    assert received_counts(smtp_sink) == dict.fromkeys(emails, 1)


@postgres_only
def test_two_workers_10000_recipients_exactly_once(session, settings, smtp_sink,
                                                   celery_workers):
    emails = add_contacts(session, 10_000)
    alert = make_alert(session, settings)
    celery_workers.start(settings)
    celery_workers.start(settings)

    start_blast(settings, alert.id)

    final = wait_done(settings, alert.id, timeout=240)
    assert final["counts"]["sent"] == 10_000 and final["uncertain"] == 0
    counts = received_counts(smtp_sink)
    assert len(counts) == 10_000 and set(counts.values()) == {1}
    assert set(counts) == set(emails)


@postgres_only
def test_kill_9_mid_blast_loses_nobody_and_flags_the_duplicate(session, settings, smtp_sink,
                                                               celery_workers):
    emails = add_contacts(session, 3000)
    alert = make_alert(session, settings)
    victim = celery_workers.start(settings)
    celery_workers.start(settings)
    celery_workers.beat(settings)

    start_blast(settings, alert.id)
    wait_until(lambda: len(smtp_sink.messages) >= 600, 60, "the blast to be under way")
    victim.kill9()
    celery_workers.start(settings)  # the restart

    final = wait_done(settings, alert.id, timeout=120)
    counts = received_counts(smtp_sink)
    assert set(counts) == set(emails), "an address was lost"
    duplicates = {a for a, n in counts.items() if n > 1}
    # one message per SMTP connection of the dead worker at most, each once
    connections = SendingConfig.from_settings(settings).smtp_connections
    assert len(duplicates) <= connections and max(counts.values()) <= 2
    assert final["counts"]["sent"] == 3000
    uncertain = {m.contact.email for m in message_rows(session, alert.id) if m.uncertain}
    assert duplicates <= uncertain and len(uncertain) <= connections


def test_redis_restart_mid_blast_completes(session, settings, smtp_sink, celery_workers,
                                          throwaway_redis):
    settings = settings.replace(broker_url=throwaway_redis.url)
    emails = add_contacts(session, 2000)
    alert = make_alert(session, settings)
    celery_workers.start(settings)
    celery_workers.beat(settings)

    start_blast(settings, alert.id)
    wait_until(lambda: len(smtp_sink.messages) >= 300, 60, "the blast to be under way")
    throwaway_redis.stop()
    throwaway_redis.start()

    final = wait_done(settings, alert.id, timeout=120)
    assert final["counts"]["sent"] == 2000
    counts = received_counts(smtp_sink)
    assert set(counts) == set(emails) and set(counts.values()) == {1}


def test_pause_then_resume_and_unsubscribe_while_paused(session, settings, smtp_sink,
                                                        celery_workers):
    from outreach.cli.sending import enqueue
    from outreach.context import AppContext
    from outreach.sending import control

    emails = add_contacts(session, 2000)
    alert = make_alert(session, settings)
    celery_workers.start(settings)
    celery_workers.beat(settings)
    start_blast(settings, alert.id)
    wait_until(lambda: len(smtp_sink.messages) >= 200, 60, "the blast to be under way")

    control.pause(session, alert.id)
    session.commit()
    wait_until(lambda: status(settings, alert.id)["counts"]["sending"] == 0, 10, "workers to stop")
    settled = len(smtp_sink.messages)
    assert settled < 2000
    sent = {r for m in smtp_sink.messages for r in m.rcpt_tos}
    late = next(e for e in reversed(emails) if e not in sent)
    suppress(session, contact(session, late), "unsubscribed", "link")
    session.commit()
    time.sleep(2.5)
    assert len(smtp_sink.messages) == settled, "mail was sent while paused"

    control.resume(session, alert.id)
    session.commit()
    ctx = AppContext(settings)
    enqueue(ctx, alert.id)
    ctx.engine.dispose()
    final = wait_done(settings, alert.id, timeout=60)
    counts = received_counts(smtp_sink)
    assert late not in counts
    assert set(counts) == set(emails) - {late} and set(counts.values()) == {1}
    assert final["counts"]["suppressed"] == 1 and final["counts"]["sent"] == 1999
    assert session.scalar(select(Message.status).join(Message.contact)
                          .where(Message.alert_id == alert.id,
                                 Message.contact_id == contact(session, late).id)) == "suppressed"
    assert session.scalar(select(Suppression.reason)) == "unsubscribed"
