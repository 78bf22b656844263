"""Emitting a webhook event: an outbox row written with the change it reports.

`emit` runs inside the caller's transaction and adds the event plus one pending delivery per
subscription that wants its type. Nothing leaves the process before COMMIT: after a commit
that added events, the notifier the entrypoint installed (a Celery publish in workers and the
web app) is called, so deliveries are queued after commit. If no notifier is installed, or the
broker loses the message, the deliveries still wait in the database and the periodic dispatch
(`workers.tasks_webhooks.dispatch`, also run when a worker starts) picks them up.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from outreach.db.models import (
    WEBHOOK_EVENT_TYPES,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from outreach.db.models.base import utcnow

log = logging.getLogger(__name__)
ALWAYS_STORED = frozenset({"reply.received"})  # the creator's email notification reads it
_FLAG = "outreach.webhooks.pending"
_LISTENING = "outreach.webhooks.listening"
_SUBSCRIPTIONS = "outreach.webhooks.subscriptions"
_LISTENING_END = "outreach.webhooks.listening-end"
_notifier: list[Callable[[], None]] = []


def set_notifier(callback: Callable[[], None] | None) -> None:
    """Install what runs after a commit that stored events (None: nothing, dispatch later)."""
    _notifier.clear()
    if callback is not None:
        _notifier.append(callback)


def new_public_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def emit(session: Session, event_type: str, data: dict[str, Any]) -> WebhookEvent | None:
    """Store the event and its deliveries in the caller's transaction; None if nobody wants it."""
    if event_type not in WEBHOOK_EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    wanted = [s for s in _subscriptions(session) if event_type in (s[1] or [])]
    if not wanted and event_type not in ALWAYS_STORED:
        return None
    now = utcnow()
    row = WebhookEvent(public_id=new_public_id(), type=event_type, created_at=now,
                       payload={"type": event_type, "timestamp": now.isoformat(), "data": data})
    session.add(row)
    session.flush()
    for subscription_id, _ in wanted:
        session.add(WebhookDelivery(event_id=row.id, subscription_id=subscription_id,
                                    next_attempt_at=now, created_at=now))
    _notify_after_commit(session)
    return row


def _subscriptions(session: Session) -> list[tuple[int, list[str]]]:
    """Active subscriptions, read once per transaction (an import may emit many events)."""
    cached = session.info.get(_SUBSCRIPTIONS)
    if cached is None:
        cached = session.info[_SUBSCRIPTIONS] = [tuple(row) for row in session.execute(
            select(WebhookSubscription.id, WebhookSubscription.events)
            .where(WebhookSubscription.active.is_(True)))]
        if not session.info.get(_LISTENING_END):
            session.info[_LISTENING_END] = True
            event.listen(session, "after_transaction_end", _forget_subscriptions)
    return cached  # type: ignore[no-any-return]


def _forget_subscriptions(session: Session, transaction: object) -> None:
    if getattr(transaction, "parent", None) is None:  # the outermost transaction ended
        session.info.pop(_SUBSCRIPTIONS, None)


def _notify_after_commit(session: Session) -> None:
    """After the session's next commit, run the notifier (a listener per session, added once).
    A rollback in between leaves a spurious call, which finds nothing due: harmless."""
    session.info[_FLAG] = True
    if not session.info.get(_LISTENING):
        session.info[_LISTENING] = True
        event.listen(session, "after_commit", _after_commit)


def _after_commit(session: Session) -> None:
    if not session.info.pop(_FLAG, None):
        return
    for callback in _notifier:
        try:
            callback()
        except Exception:  # the rows are committed: the periodic dispatch will send them
            log.exception("webhooks: could not queue the dispatch; it will run on schedule")
