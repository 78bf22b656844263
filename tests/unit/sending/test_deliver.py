"""`deliver_batch` with fakes for SMTP, the limiter and the clock, on an SQLite file:
back-pressure, the circuit breaker, urgent-first, pause, and riding out database errors."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from outreach.db.models import MessageEvent
from outreach.db.session import session_scope
from outreach.sending import claim as claim_module
from outreach.sending import control, deliver
from outreach.sending.deliver import deliver_batch
from tests.support.sending import BOUNCED, BUSY, FULL, SENT, UNREACHABLE, blast, rows


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
    real, failures = deliver.record_outcomes, [2]

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        if failures[0]:
            failures[0] -= 1
            raise OperationalError("UPDATE", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)

    monkeypatch.setattr(deliver, "record_outcomes", flaky)
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


# -- several SMTP connections: rounds of one message per connection ----------------------


def test_rounds_send_one_message_per_connection_and_record_each_round_at_once(
        rt, monkeypatch):
    rt.sender.connections = 3
    ids = blast(rt, 7)
    writes, real = [], deliver.record_outcomes

    def spy(conn, token, records, now):  # type: ignore[no-untyped-def]
        writes.append(sorted(r.message_id for r in records))
        return real(conn, token, records, now)

    monkeypatch.setattr(deliver, "record_outcomes", spy)
    report = deliver_batch(rt, ids)
    assert rt.sender.rounds == [3, 3, 1] and report.outcomes == {"sent": 7}
    assert writes == [ids[0:3], ids[3:6], ids[6:7]]  # the lowest ids first, one commit a round
    assert [(m.status, m.attempts) for m in rows(rt, ids)] == [("sent", 1)] * 7


def test_a_claim_on_several_connections_says_so_in_its_token(rt, monkeypatch):
    rt.sender.connections = 4
    ids = blast(rt, 5)
    seen: list[str] = []

    def spy(conn, token, records, now):  # type: ignore[no-untyped-def]
        seen.append(token)
        return {r.message_id for r in records}  # the claim is left as it was: look at it

    monkeypatch.setattr(deliver, "record_outcomes", spy)
    deliver_batch(rt, ids)
    assert {m.claimed_by for m in rows(rt, ids)} == set(seen) and len(set(seen)) == 1
    assert seen[0].endswith("-4") and seen[0].startswith("test:1:abc:")


def test_a_421_in_a_round_gives_back_the_whole_round_and_counts_one_pause(rt):
    rt.sender.connections = 3
    ids = blast(rt, 4)
    rt.sender.script = [SENT, BUSY, BUSY]
    deliver_batch(rt, ids)
    assert rt.limiter.slowed == [("*", 3.0)]  # one pause for the round, not one per answer
    assert rt.sender.rounds[0] == 3 and rt.sender.calls == 6  # two sent again, plus the last
    assert [(m.status, m.attempts) for m in rows(rt, ids)] == [("sent", 1)] * 4


def test_a_round_of_unreachable_answers_is_one_probe_for_the_breaker(rt):
    rt.sender.connections = 2
    ids = blast(rt, 2)
    rt.sender.script = [UNREACHABLE, UNREACHABLE, UNREACHABLE, UNREACHABLE]
    deliver_batch(rt, ids)
    assert rt.limiter.slowed == [("*", 0.5), ("*", 1.0)]  # two rounds, two probes
    assert [(m.status, m.attempts) for m in rows(rt, ids)] == [("sent", 1)] * 2


def test_a_bounce_in_a_round_is_suppressed_and_the_others_are_sent(rt):
    from outreach.db.models import Suppression

    rt.sender.connections = 3
    ids = blast(rt, 3)
    rt.sender.script = [SENT, BOUNCED, SENT]
    report = deliver_batch(rt, ids)
    assert report.outcomes == {"sent": 2, "bounced": 1}
    assert [m.status for m in rows(rt, ids)] == ["sent", "bounced", "sent"]
    with session_scope(rt.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Suppression)) == 1


def test_rounds_follow_the_senders_width_and_the_token_its_connections(rt, monkeypatch):
    rt.sender.connections = 3
    monkeypatch.setattr(rt.sender, "width", lambda: min(3, 1 + len(rt.sender.rounds)))
    ids = blast(rt, 8)
    deliver_batch(rt, ids)
    assert rt.sender.rounds == [1, 2, 3, 2]  # one more connection a round, then all three
    assert {m.claimed_by.rpartition("-")[2] for m in rows(rt, ids)} == {"3"}
