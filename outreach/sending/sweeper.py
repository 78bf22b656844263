"""The sweeper: what makes Redis carry work but never state.

Run every OUTREACH_SWEEP_SECONDS by one worker at a time (outreach.sending.liveness; no beat
needed), or by the embedded worker in-process. It
1. starts scheduled alerts whose time has come;
2. takes back messages whose worker stopped beating (`dead_workers`) or whose lease expired
   (the worker stalled): they return to `queued`. Of each dead claim (one `claimed_by` token =
   one batch), the lowest id still `sending` is the one that may have been on the wire when
   the worker died (a claim is sent in id order and each outcome is committed, durably,
   before the next send), so it is flagged `uncertain`: it will be sent again and may arrive
   twice. A batch sending on n connections at once sends its lowest n ids together and
   commits their outcomes together: its token says n, and the lowest n are flagged;
3. lists the ids to put on the broker: queued messages never enqueued, deferred messages now
   due, and queued messages the broker lost: enqueued more than OUTREACH_REQUEUE_IDLE_SECONDS
   ago while the broker's queues are empty (a Redis restart, a task acknowledged without its
   claim), else only after OUTREACH_REQUEUE_AFTER_SECONDS. A task published twice is harmless:
   the claim lets only one of them send;
4. marks alerts done when nothing is left open.
The caller commits, then publishes `SweepResult.batches` (queue after commit).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from outreach.db.models import Alert, Message, MessageEvent
from outreach.sending.claim import claimable, lanes_of
from outreach.sending.config import SendingConfig
from outreach.sending.control import finish_if_complete
from outreach.sending.states import next_alert_state, next_status


@dataclass
class SweepResult:
    started: list[int] = field(default_factory=list)
    recovered: int = 0
    uncertain: int = 0
    finished: list[int] = field(default_factory=list)
    batches: list[tuple[str, list[int]]] = field(default_factory=list)  # (queue, ids)


def sweep(session: Session, config: SendingConfig, now: datetime, *,
          dead_workers: frozenset[str] = frozenset(), broker_idle: bool = False) -> SweepResult:
    result = SweepResult(started=start_scheduled(session, now))
    result.recovered, result.uncertain = recover_expired(session, now, dead_workers)
    result.batches = due_batches(session, config, now, broker_idle=broker_idle)
    sending = session.scalars(select(Alert.id).where(Alert.state == "sending")).all()
    result.finished = [a for a in sending if finish_if_complete(session, a)]
    return result


def start_scheduled(session: Session, now: datetime) -> list[int]:
    stmt = (update(Alert).where(Alert.state == "scheduled", Alert.scheduled_at <= now)
            .values(state=next_alert_state("scheduled", "start"), started_at=now)
            .returning(Alert.id).execution_options(synchronize_session=False))
    return list(session.scalars(stmt))


def uncertain_ids(rows: list[tuple[int, str | None]]) -> set[int]:
    """Pure: per claim token, the lowest id, or the lowest n ids of a claim sent on n SMTP
    connections at once (`lanes_of`): the ones that may have been in flight."""
    by_token: dict[str | None, list[int]] = defaultdict(list)
    for message_id, token in rows:
        by_token[token].append(message_id)
    return {i for token, ids in by_token.items() for i in sorted(ids)[:lanes_of(token)]}


def worker_of(token: str | None) -> str:
    """Pure: the worker name a claim token starts with (`host:pid:rand` + `:batch`)."""
    return (token or "").rpartition(":")[0]


def recover_expired(session: Session, now: datetime,
                    dead_workers: frozenset[str] = frozenset()) -> tuple[int, int]:
    """Take back claims whose lease ran out or whose worker is dead: (taken back, flagged)."""
    dead = [Message.claimed_by.startswith(f"{w}:", autoescape=True) for w in sorted(dead_workers)]
    expired = and_(Message.status == "sending", or_(Message.lease_until < now, *dead))
    rows = [tuple(r) for r in session.execute(
        select(Message.id, Message.claimed_by).where(expired).with_for_update(skip_locked=True))]
    if not rows:
        return 0, 0
    flagged = uncertain_ids(rows)  # type: ignore[arg-type]
    ids = [r[0] for r in rows]
    to_status = next_status("sending", "lease_expired")
    session.execute(update(Message).where(Message.id.in_(ids), Message.status == "sending")
                    .values(status=to_status, lease_until=None, enqueued_at=None,
                            updated_at=now).execution_options(synchronize_session=False))
    if flagged:
        session.execute(update(Message).where(Message.id.in_(flagged)).values(uncertain=True)
                        .execution_options(synchronize_session=False))
    session.execute(insert(MessageEvent), [
        {"message_id": i, "kind": "lease_expired", "from_status": "sending",
         "to_status": to_status, "at": now,
         "detail": "uncertain: it may have been sent just before the worker died"
         if i in flagged else None} for i in ids])
    return len(ids), len(flagged)


def due_batches(session: Session, config: SendingConfig, now: datetime,
                alert_id: int | None = None, limit: int | None = None,
                broker_idle: bool = False) -> list[tuple[str, list[int]]]:
    """Ids to put on the broker now, in batches per queue; marks them enqueued (one UPDATE).

    `limit` takes only the lowest ids (the CLI sends a small first batch at once);
    `broker_idle` (no task waiting on the broker) shortens the requeue time."""
    after = config.requeue_idle_seconds if broker_idle else config.requeue_after_seconds
    stale = now - timedelta(seconds=after)
    not_on_broker = or_(Message.enqueued_at.is_(None), Message.enqueued_at < stale)
    where = [claimable(now), not_on_broker]
    if alert_id is not None:
        where.append(Message.alert_id == alert_id)
    pick = select(Message.id).where(*where)
    if limit is not None:
        pick = pick.order_by(Message.id).limit(limit)
    # SKIP LOCKED: the CLI's enqueue and a sweeper may mark the same rows at once (after a
    # resume); locking in different orders deadlocked on PostgreSQL. A skipped row is being
    # enqueued or claimed by the other one.
    pick = pick.with_for_update(skip_locked=True)
    stmt = (update(Message).where(Message.id.in_(pick.scalar_subquery()))
            .values(enqueued_at=now).returning(Message.id, Message.alert_id)
            .execution_options(synchronize_session=False))
    rows = sorted(session.execute(stmt).all())
    if not rows:
        return []
    urgent = dict(session.execute(select(Alert.id, Alert.urgent)
                                  .where(Alert.id.in_({a for _, a in rows}))).all())
    by_queue: dict[str, list[int]] = defaultdict(list)
    for message_id, alert in rows:
        by_queue["urgent" if urgent[alert] else "bulk"].append(message_id)
    size = max(1, config.batch_size)
    return [(queue, ids[i:i + size]) for queue, ids in by_queue.items()
            for i in range(0, len(ids), size)]
