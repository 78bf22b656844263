"""The keeper: a thread in every sending process that beats and, in turn, sweeps.

It is what lets a deployment of workers alone (no beat) retry deferred messages, take back a
dead worker's claims, republish work the broker lost and finish every blast. See
outreach.sending.liveness for why the turn-taking and the heartbeat are safe, and
outreach.sending.sweeper for what a sweep does.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import update
from sqlalchemy.exc import DBAPIError

from outreach.db.models import Message
from outreach.sending import liveness
from outreach.sending.ports import Publisher, QueueDepth
from outreach.sending.runtime import SendingRuntime
from outreach.sending.sweeper import SweepResult, sweep

log = logging.getLogger(__name__)


class Keeper:
    def __init__(self, rt: SendingRuntime, publish: Publisher,
                 queue_depth: QueueDepth | None = None):
        self.rt, self.publish, self.queue_depth = rt, publish, queue_depth
        self.healthy_since: float | None = None
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
            with rt.sessions() as session:
                liveness.beat(session, rt.worker_id, rt.clock.now())
                session.commit()
        except DBAPIError as exc:
            self.healthy_since = None
            log.warning("keeper: database unavailable: %s", " ".join(str(exc.orig).split()))
            return None
        if self.healthy_since is None:
            self.healthy_since = rt.clock.monotonic()
        if rt.clock.monotonic() - self.last_turn < rt.config.sweep_seconds * 0.9:
            return None
        self.last_turn = rt.clock.monotonic()
        try:
            return self.sweep_turn()
        except DBAPIError as exc:
            self.healthy_since = None
            log.warning("keeper: sweep failed: %s", " ".join(str(exc.orig).split()))
            return None

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
