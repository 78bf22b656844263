"""Claiming a batch of messages before sending: what makes delivery idempotent.

One short transaction per batch:
1. `UPDATE messages SET status='sending', claimed_by, lease_until WHERE id IN (SELECT ...
   FOR UPDATE SKIP LOCKED)` on PostgreSQL; on SQLite the same conditional UPDATE runs under
   the database write lock (BEGIN IMMEDIATE), so two workers can never both claim a row. Only
   rows that are `queued` (or `deferred` and due) of an alert in state `sending` qualify: a
   redelivered task, or one for a paused/cancelled alert, claims nothing.
2. Of the claimed rows, those whose address is now suppressed become `suppressed` at once
   (a contact who unsubscribed a minute ago gets nothing more).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from outreach.db.models import Alert, Contact, Message, MessageEvent, Suppression
from outreach.sending.guard.held import held_by_guard
from outreach.sending.states import next_status


@dataclass(frozen=True)
class Claimed:
    id: int
    alert_id: int
    contact_id: int
    variant_id: int | None
    attempts: int
    in_reply_to: str | None = None


@dataclass(frozen=True)
class ClaimResult:
    claimed: list[Claimed]
    suppressed: list[int]


def claim_token(worker_id: str, lanes: int = 1) -> str:
    """A batch's claim token: the worker's name, a random part and, when the batch sends on
    several SMTP connections at once, how many (`host:pid:rand:hex-4`). That many of its
    messages may be out but unrecorded at one time, the lowest ids still `sending` (each
    round sends the lowest ids left, and records them before the next round)."""
    return f"{worker_id}:{uuid.uuid4().hex[:10]}" + (f"-{lanes}" if lanes > 1 else "")


def lanes_of(token: str | None) -> int:
    """Pure: how many messages of the claim may be in flight at once (1 for older tokens)."""
    count = (token or "").rpartition(":")[2].partition("-")[2]
    return int(count) if count.isdigit() and int(count) > 0 else 1


def claimable(now: datetime):  # type: ignore[no-untyped-def]
    """SQL: a message a worker may take now (queued, or deferred and due, alert sending,
    its recipient domain not paused by the deliverability guard)."""
    due = or_(Message.status == "queued",
              and_(Message.status == "deferred", Message.next_attempt_at <= now))
    return and_(due, _alert_sending(), ~held_by_guard())


def _alert_sending():  # type: ignore[no-untyped-def]
    return Message.alert_id.in_(select(Alert.id).where(Alert.state == "sending"))


def already_ours(token: str):  # type: ignore[no-untyped-def]
    """SQL: rows this very claim took in a commit whose acknowledgement was lost (the database
    failed just then): the retry takes them again, or they would wait for the lease."""
    return and_(Message.status == "sending", Message.claimed_by == token, _alert_sending())


def claim_batch(session: Session, ids: list[int], token: str, lease_until: datetime,
                now: datetime) -> ClaimResult:
    """Claim what is still claimable among `ids`, in the caller's transaction (commit after).
    A retry with the same token also takes back what its lost commit claimed, charging no
    second attempt."""
    if not ids:
        return ClaimResult([], [])
    ours = already_ours(token)
    locked = (select(Message.id).where(Message.id.in_(ids), or_(claimable(now), ours))
              .with_for_update(skip_locked=True))
    stmt = (update(Message).where(Message.id.in_(locked.scalar_subquery()))
            .values(status=next_status("queued", "claim"), claimed_by=token,
                    lease_until=lease_until, updated_at=now,
                    attempts=case((ours, Message.attempts), else_=Message.attempts + 1))
            .returning(Message.id, Message.alert_id, Message.contact_id, Message.variant_id,
                       Message.attempts, Message.in_reply_to)
            .execution_options(synchronize_session=False))
    claimed = sorted((Claimed(*row) for row in session.execute(stmt)), key=lambda c: c.id)
    suppressed = _suppress_claimed(session, [c.id for c in claimed], now)
    gone = set(suppressed)
    return ClaimResult([c for c in claimed if c.id not in gone], suppressed)


def _suppress_claimed(session: Session, ids: list[int], now: datetime) -> list[int]:
    if not ids:
        return []
    on_list = exists().where(Contact.id == Message.contact_id,
                             Suppression.address_hash == Contact.email_hash)
    to_status = next_status("sending", "suppress")
    stmt = (update(Message).where(Message.id.in_(ids), on_list)
            .values(status=to_status, lease_until=None, attempts=Message.attempts - 1,
                    updated_at=now)
            .returning(Message.id).execution_options(synchronize_session=False))
    suppressed = list(session.scalars(stmt))
    if suppressed:
        session.execute(insert(MessageEvent), [
            {"message_id": mid, "kind": "suppressed", "from_status": "sending",
             "to_status": to_status, "detail": "suppressed at claim time", "at": now}
            for mid in suppressed])
    return suppressed


def release(session: Session, ids: list[int], token: str, now: datetime, *,
            event: str = "release") -> list[int]:
    """Give claimed-but-unsent messages back: `release` -> queued, `cancel` -> cancelled."""
    if not ids:
        return []
    to_status = next_status("sending", event)
    stmt = (update(Message)
            .where(Message.id.in_(ids), Message.claimed_by == token, Message.status == "sending")
            .values(status=to_status, lease_until=None, enqueued_at=None,
                    attempts=Message.attempts - 1, updated_at=now)
            .returning(Message.id).execution_options(synchronize_session=False))
    released = list(session.scalars(stmt))
    if released:
        session.execute(insert(MessageEvent), [
            {"message_id": mid, "kind": "cancelled" if event == "cancel" else "released",
             "from_status": "sending", "to_status": to_status, "at": now} for mid in released])
    return released


def renew_lease(session: Session, token: str, lease_until: datetime,
                now: datetime) -> set[int]:
    """Extend the lease of everything still validly held under `token`; returns those ids.

    A lease that already ran out is not renewed (the sweeper may be taking it back).
    """
    stmt = (update(Message)
            .where(Message.claimed_by == token, Message.status == "sending",
                   Message.lease_until > now)
            .values(lease_until=lease_until)
            .returning(Message.id).execution_options(synchronize_session=False))
    return set(session.scalars(stmt))


def urgent_alerts(session: Session) -> list[int]:
    """Ids of urgent alerts now sending (a tiny indexed query a bulk batch runs each second)."""
    return list(session.scalars(select(Alert.id).where(Alert.state == "sending",
                                                        Alert.urgent.is_(True))))


def claim_urgent(session: Session, alert_ids: list[int], token: str, lease_until: datetime,
                 now: datetime, limit: int) -> ClaimResult:
    """Claim the lowest `limit` claimable messages of these urgent alerts, straight from the
    database: a worker busy with a bulk batch serves them between two bulk messages instead
    of leaving them on the urgent queue until its batch ends."""
    ids = session.scalars(select(Message.id)
                          .where(Message.alert_id.in_(alert_ids),
                                 or_(claimable(now), already_ours(token)))
                          .order_by(Message.id).limit(limit)).all()
    return claim_batch(session, list(ids), token, lease_until, now)


def reclaim(session: Session, ids: list[int], token: str, lease_until: datetime,
            now: datetime) -> set[int]:
    """After a database outage, hold again what this batch still means to send: rows still
    under `token`, and rows whose claim the crash forgot (claimable again). Returns the ids
    held; the others were taken by someone else meanwhile and must not be sent here."""
    if not ids:
        return set()
    ours = and_(Message.status == "sending", Message.claimed_by == token)
    stmt = (update(Message).where(Message.id.in_(ids), or_(ours, claimable(now)))
            .values(status="sending", claimed_by=token, lease_until=lease_until, updated_at=now)
            .returning(Message.id).execution_options(synchronize_session=False))
    return set(session.scalars(stmt))
