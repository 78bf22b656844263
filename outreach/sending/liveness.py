"""Worker heartbeats and the sweeper's turn: lost work is found in seconds, by the workers.

Each sending process writes its `worker_beats` row every OUTREACH_HEARTBEAT_SECONDS (a thread
of its own, so a long SMTP transaction does not silence it). A worker silent for
OUTREACH_WORKER_DEAD_AFTER_SECONDS is dead: its claims go back to the queue (the sweeper
flags the one message per claim that may have been on the wire). A live worker's claims are
never taken because its heartbeat is old, except by a sweeper that could not see it: so a
sweeper trusts the heartbeats only after its own have gone through for that long (after a
database outage every row is old, and the workers need a beat or two to catch up).

The sweep itself runs in every worker but one at a time: the turn is taken inside the sweep's
transaction (a PostgreSQL advisory lock; SQLite's write lock, taken by BEGIN IMMEDIATE), and
only when no one swept within the last sweep interval. Beat is not needed for any of it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from outreach.db.models import WorkerBeat

SWEEP_LOCK_KEY = 0x0_5EED_0010  # pg_try_advisory_xact_lock key of the sweeper's turn
FORGET_AFTER_DEAD_TIMES = 20


def beat(session: Session, name: str, now: datetime) -> None:
    """Say this worker is alive (only this process writes its row: update, else insert)."""
    changed = session.execute(update(WorkerBeat).where(WorkerBeat.name == name)
                              .values(beat_at=now).execution_options(synchronize_session=False))
    if not changed.rowcount:  # type: ignore[attr-defined]
        session.add(WorkerBeat(name=name, started_at=now, beat_at=now))
        session.flush()


def forget(session: Session, name: str) -> None:
    """A worker that stops cleanly removes its row (its batches ended)."""
    session.execute(delete(WorkerBeat).where(WorkerBeat.name == name))


def dead_workers(session: Session, now: datetime, dead_after: float) -> frozenset[str]:
    cutoff = now - timedelta(seconds=dead_after)
    return frozenset(session.scalars(select(WorkerBeat.name).where(WorkerBeat.beat_at < cutoff)))


def forget_long_dead(session: Session, now: datetime, dead_after: float) -> None:
    """Rows of workers dead for long (their claims were taken back long ago) go away."""
    cutoff = now - timedelta(seconds=dead_after * FORGET_AFTER_DEAD_TIMES)
    session.execute(delete(WorkerBeat).where(WorkerBeat.beat_at < cutoff))


def take_sweep_turn(session: Session, name: str, now: datetime, sweep_seconds: float) -> bool:
    """In the sweep's transaction: True if this worker sweeps now (then its `swept_at` is
    set); False if another one is sweeping or swept within the last interval."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres and not session.scalar(select(func.pg_try_advisory_xact_lock(SWEEP_LOCK_KEY))):
        return False
    last = last_sweep(session)
    if last is not None and now - last < timedelta(seconds=sweep_seconds * 0.9):
        return False
    session.execute(update(WorkerBeat).where(WorkerBeat.name == name).values(swept_at=now)
                    .execution_options(synchronize_session=False))
    return True


def last_sweep(session: Session) -> datetime | None:
    return session.scalar(select(func.max(WorkerBeat.swept_at)))


def live_workers(session: Session, now: datetime, dead_after: float) -> int:
    cutoff = now - timedelta(seconds=dead_after)
    return session.scalar(select(func.count()).select_from(WorkerBeat)
                          .where(WorkerBeat.beat_at >= cutoff)) or 0
