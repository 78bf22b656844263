"""`deliver_batch` with fakes for SMTP, the limiter and the clock, on an SQLite file:
back-pressure, the circuit breaker, urgent-first, pause, and riding out database errors."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from outreach.db.models import MessageEvent
from outreach.db.session import session_scope
from outreach.sending import claim as claim_module
from outreach.sending import control, deliver
from outreach.sending.deliver import deliver_batch
from tests.support.sending import BUSY, FULL, UNREACHABLE, blast, rows


def test_sends_each_message_once_and_records_it(rt):
    ids = blast(rt, 4)
    report = deliver_batch(rt, ids)
    assert report.claimed == 4 and report.outcomes == {"sent": 4}
    assert len(rt.sender.sent) == 4
    assert [(m.status, m.attempts) for m in rows(rt, ids)] == [("sent", 1)] * 4
    assert deliver_batch(rt, ids).claimed == 0  # a redelivered task sends nothing


def test_unreachable_server_trips_the_breaker_without_charging_attempts(rt, clock):
    ids = blast(rt, 2)
    rt.sender.script = [UNREACHABLE, UNREACHABLE, UNREACHABLE, UNREACHABLE]
    deliver_batch(rt, ids)
    assert rt.limiter.slowed == [("*", 0.5), ("*", 1.0), ("*", 2.0), ("*", 2.0)]  # capped
    assert rt.sender.calls == 6  # four probes, then the two messages
    assert [(m.status, m.attempts) for m in rows(rt, ids)] == [("sent", 1)] * 2
    assert sum(clock.sleeps) >= 5.5  # it waited out each pause instead of hammering


def test_421_pauses_the_whole_server_and_retries_the_same_message(rt):
    ids = blast(rt, 3)
    rt.sender.script = [BUSY]
    deliver_batch(rt, ids)
    assert rt.limiter.slowed == [("*", 3.0)]
    assert [(m.status, m.attempts) for m in rows(rt, ids)] == [("sent", 1)] * 3


def test_452_slows_the_domain_and_defers_without_charging(rt):
    ids = blast(rt, 2)
    rt.sender.script = [FULL]
    deliver_batch(rt, ids)
    assert rt.limiter.slowed == [("example.org", 3.0)]
    first, second = rows(rt, ids)
    assert (first.status, first.attempts) == ("deferred", 0)
    assert second.status == "deferred" and second.smtp_text == "rate limited"


def test_a_record_waits_for_the_database_to_come_back(rt, clock, monkeypatch):
    ids = blast(rt, 2)
    real, failures = deliver.record_outcome, [2]

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        if failures[0]:
            failures[0] -= 1
            raise OperationalError("UPDATE", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)

    monkeypatch.setattr(deliver, "record_outcome", flaky)
    report = deliver_batch(rt, ids)
    assert report.outcomes == {"sent": 2} and len(rt.sender.sent) == 2  # nothing sent twice
    assert [m.status for m in rows(rt, ids)] == ["sent", "sent"]
    assert clock.sleeps[:2] == [0.1, 0.5]


def test_a_failed_claim_is_retried_not_dropped(rt, clock, monkeypatch):
    ids = blast(rt, 2)
    real, failures = deliver.claim_batch, [3]

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        if failures[0]:
            failures[0] -= 1
            raise OperationalError("UPDATE", {}, Exception("connection refused"))
        return real(*args, **kwargs)

    monkeypatch.setattr(deliver, "claim_batch", flaky)
    assert deliver_batch(rt, ids).claimed == 2
    assert clock.sleeps[:3] == [0.1, 0.5, 1.0]


def test_a_failed_claim_gives_up_after_the_retry_time(rt, monkeypatch):
    ids = blast(rt, 1)

    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("UPDATE", {}, Exception("connection refused"))

    monkeypatch.setattr(deliver, "claim_batch", down)
    with pytest.raises(OperationalError):
        deliver_batch(rt, ids)
    assert rt.clock.elapsed >= rt.config.db_retry_seconds


def test_pause_mid_batch_releases_the_rest(rt):
    ids = blast(rt, 5)

    def pause_after_two(calls: int) -> None:
        if calls == 2:
            with session_scope(rt.sessions) as session:
                control.pause(session, rows(rt, ids)[0].alert_id)
            rt.clock.advance(1.0)

    rt.sender.on_send = pause_after_two
    report = deliver_batch(rt, ids)
    assert len(rt.sender.sent) == 2 and report.released == 3
    assert [m.status for m in rows(rt, ids)] == ["sent", "sent", "queued", "queued", "queued"]


def test_a_bulk_batch_serves_an_urgent_alert_between_two_messages(rt):
    bulk = blast(rt, 6)
    urgent: list[int] = []

    def urgent_arrives(calls: int) -> None:
        if calls == 2:
            urgent.extend(blast(rt, 2, urgent=True, start=100))
            rt.clock.advance(1.0)

    rt.sender.on_send = urgent_arrives
    deliver_batch(rt, bulk)
    with rt.sessions() as session:  # the urgent alert targets all 8 contacts
        order = list(session.scalars(select(MessageEvent.message_id)
                                     .where(MessageEvent.kind == "sent")
                                     .order_by(MessageEvent.id)))
    assert len(urgent) == 8 and order == bulk[:2] + urgent + bulk[2:]
    assert len(rt.sender.sent) == 14


def test_claim_urgent_takes_the_lowest_ids_of_urgent_alerts_only(rt):
    blast(rt, 2)
    urgent = blast(rt, 3, urgent=True, start=50)
    now = rt.clock.now()
    with session_scope(rt.sessions) as session:
        alert_ids = claim_module.urgent_alerts(session)
        got = claim_module.claim_urgent(session, alert_ids, "t:1:x:y", now, now, limit=2)
    assert [c.id for c in got.claimed] == urgent[:2]
