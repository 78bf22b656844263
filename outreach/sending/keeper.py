"""The keeper: a thread in every sending process that beats and, in turn, sweeps.

It is what lets a deployment of workers alone (no beat) retry deferred messages, take back a
dead worker's claims, republish work the broker lost and finish every blast. See
outreach.sending.liveness for why the turn-taking and the heartbeat are safe, and
outreach.sending.sweeper for what a sweep does. Its heartbeat is also the durability barrier
of the record journal (outreach.sending.journal): it commits synchronously, and after an
outage the keeper replays the journal before its process sweeps again.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError

from outreach.db.models import Message
from outreach.sending import liveness
from outreach.sending.journal import SETTLE_HEARTBEATS, replay
from outreach.sending.ports import Publisher, QueueDepth
from outreach.sending.record import record_connection
from outreach.sending.runtime import SendingRuntime
from outreach.sending.sweeper import SweepResult, sweep

log = logging.getLogger(__name__)


class Keeper:
    def __init__(self, rt: SendingRuntime, publish: Publisher,
                 queue_depth: QueueDepth | None = None):
        self.rt, self.publish, self.queue_depth = rt, publish, queue_depth
        self.healthy_since: float | None = None
        self.outages_seen = rt.journal.outages if rt.journal else 0
        self.server_started: object = None
        self.last_turn = -1e9
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Keeper:
        self._thread = threading.Thread(target=self._run, name="outreach-keeper", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            with self.rt.sessions() as session:
                liveness.forget(session, self.rt.worker_id)
                session.commit()
        except DBAPIError:
            pass  # the row ages out; the other workers treat it as a dead worker's

    def _run(self) -> None:
        while True:
            try:
                self.tick()
            except Exception:  # the thread must outlive any surprise: it is the heartbeat
                log.exception("keeper: tick failed")
            if self._stop.wait(self.rt.config.heartbeat_seconds):
                return

    def tick(self) -> SweepResult | None:
        """Beat; then sweep if this process's turn is due. Returns the sweep, if one ran."""
        rt = self.rt
        try:
            self._beat()
        except DBAPIError as exc:
            self.healthy_since = None
            if rt.journal is not None:
                rt.journal.outage()
            log.warning("keeper: database unavailable: %s", " ".join(str(exc.orig).split()))
            return None
        if self.healthy_since is None:
            self.healthy_since = rt.clock.monotonic()
        settle = SETTLE_HEARTBEATS * rt.config.heartbeat_seconds if rt.journal else 0.0
        if rt.clock.monotonic() - self.healthy_since < settle:
            return None  # after an outage: every worker replays its journal first
        if rt.clock.monotonic() - self.last_turn < rt.config.sweep_seconds * 0.9:
            return None
        self.last_turn = rt.clock.monotonic()
        try:
            return self.sweep_turn()
        except DBAPIError as exc:
            self.healthy_since = None
            log.warning("keeper: sweep failed: %s", " ".join(str(exc.orig).split()))
            return None

    def _beat(self) -> None:
        """The heartbeat, committed durably: every asynchronous commit acknowledged before it
        began is then on disk too, and the journal forgets those outcomes. After an outage
        the journal is replayed first."""
        rt, journal = self.rt, self.rt.journal
        barrier = rt.clock.monotonic()
        with rt.sessions() as session:
            if journal is not None:
                session.execute(text("SET LOCAL synchronous_commit TO on"))
                server_started = session.scalar(text("SELECT pg_postmaster_start_time()"))
            liveness.beat(session, rt.worker_id, rt.clock.now())
            session.commit()
        if journal is None:
            return
        if self.server_started not in (None, server_started):
            # Restarted between two beats (the pool reconnected without an error): the
            # same as an outage seen, for the journal and for the sweep's wait.
            journal.outage()
            self.healthy_since = rt.clock.monotonic()
        self.server_started = server_started
        if journal.outages != self.outages_seen:
            self.outages_seen = journal.outages
            with record_connection(rt.app_ctx.engine) as conn:
                replayed = replay(conn, journal.snapshot())
            log.info("keeper: journal replayed after an outage (%d rows written again)",
                     replayed)
        else:
            journal.durable_before(barrier)

    def sweep_turn(self) -> SweepResult | None:
        rt, config = self.rt, self.rt.config
        depth = self._depth()
        trusted = (self.healthy_since is not None and rt.clock.monotonic() - self.healthy_since
                   >= config.worker_dead_after_seconds)
        with rt.sessions() as session:
            now = rt.clock.now()
            if not liveness.take_sweep_turn(session, rt.worker_id, now, config.sweep_seconds):
                session.rollback()
                return None
            dead = (liveness.dead_workers(session, now, config.worker_dead_after_seconds)
                    if trusted else frozenset())
            result = sweep(session, config, now, dead_workers=dead, broker_idle=depth == 0)
            if trusted:
                liveness.forget_long_dead(session, now, config.worker_dead_after_seconds)
            session.commit()
        self._publish(result)
        if result.recovered or result.started or result.finished:
            log.info("sweep: %s", result)
        return result

    def _depth(self) -> int | None:
        if self.queue_depth is None:
            return None
        try:
            return self.queue_depth()
        except Exception as exc:  # the broker is down: assume nothing about its queues
            log.warning("keeper: broker queue depth unknown: %s", exc)
            return None

    def _publish(self, result: SweepResult) -> None:
        try:
            self.publish(result.batches)
        except Exception:
            log.exception("keeper: publishing failed; the ids will be published again")
            ids = [i for _, batch in result.batches for i in batch]
            with self.rt.sessions() as session:
                session.execute(update(Message).where(Message.id.in_(ids))
                                .values(enqueued_at=None)
                                .execution_options(synchronize_session=False))
                session.commit()
