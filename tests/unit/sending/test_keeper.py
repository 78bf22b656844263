"""The keeper (heartbeat + sweep in turn) with a fake clock and publisher, on an SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from outreach.db.models import Message, WorkerBeat
from outreach.db.session import session_scope
from outreach.sending import liveness
from outreach.sending.claim import claim_batch
from outreach.sending.keeper import Keeper
from outreach.sending.status import sweep_warning
from tests.support.sending import blast, rows

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class Published(list):  # type: ignore[type-arg]
    def __call__(self, batches):  # type: ignore[no-untyped-def]
        self.extend(batches)
        return sum(len(ids) for _, ids in batches)


def dead_claim(rt, ids):  # type: ignore[no-untyped-def]
    """A worker that beat once, claimed `ids` and died."""
    now = rt.clock.now()
    with session_scope(rt.sessions) as session:
        liveness.beat(session, "gone:9:dead", now)
        claim_batch(session, ids, "gone:9:dead:batch1", now + timedelta(seconds=600), now)


def test_dead_workers_claims_come_back_once_the_sweeper_trusts_its_heartbeat(rt):
    ids = blast(rt, 3)
    dead_claim(rt, ids)
    keeper = Keeper(rt, published := Published(), lambda: 0)
    keeper.tick()
    assert all(m.status == "sending" for m in rows(rt, ids))  # not trusted yet
    for _ in range(9):
        rt.clock.advance(rt.config.worker_dead_after_seconds / 8)
        keeper.tick()
    assert [m.status for m in rows(rt, ids)] == ["queued"] * 3
    assert [m.uncertain for m in rows(rt, ids)] == [True, False, False]  # lowest id per claim
    assert sorted(i for _, batch in published for i in batch) == ids


def test_one_sweep_per_interval_whoever_asks(rt):
    blast(rt, 1)
    first, second = Keeper(rt, Published()), Keeper(rt, Published())
    assert first.tick() is not None
    second.rt.worker_id = "other:1:x"
    assert second.tick() is None  # swept a moment ago by the first
    with rt.sessions() as session:
        assert liveness.last_sweep(session) is not None


def test_ids_the_broker_lost_are_published_again_when_its_queues_are_empty(rt):
    ids = blast(rt, 2)
    with session_scope(rt.sessions) as session:
        session.execute(update(Message).values(enqueued_at=rt.clock.now()))
    depth = [5]
    keeper = Keeper(rt, published := Published(), lambda: depth[0])
    rt.clock.advance(rt.config.requeue_idle_seconds + 1)
    keeper.tick()
    assert published == []  # tasks wait on the broker: they may still carry these ids
    depth[0] = 0
    rt.clock.advance(rt.config.sweep_seconds)
    keeper.tick()
    assert [i for _, batch in published for i in batch] == ids


def test_a_clean_stop_forgets_the_worker(rt):
    keeper = Keeper(rt, Published())
    keeper.tick()
    keeper.stop()
    with rt.sessions() as session:
        assert session.scalars(select(WorkerBeat.name)).all() == []


def test_sweep_warning_only_when_messages_wait_and_nothing_swept():
    stale = NOW - timedelta(seconds=90)
    assert sweep_warning("sending", 5, stale, 60, NOW) is not None
    assert "ever" in (sweep_warning("sending", 5, None, 60, NOW) or "")
    assert sweep_warning("sending", 5, NOW - timedelta(seconds=10), 60, NOW) is None
    assert sweep_warning("done", 5, stale, 60, NOW) is None
    assert sweep_warning("sending", 0, stale, 60, NOW) is None
