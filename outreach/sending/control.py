"""Pause, resume, cancel and finish an alert: state changes in the database.

Workers read the alert state at every claim and again about once a second while sending a
batch (one indexed SELECT), so a pause or cancel takes effect on every worker within about a
second, wherever it runs. Resume and retry-failed put the ids back on the broker: they mark
the alert's waiting messages as on no queue (the tasks published before a pause were taken
and dropped by workers while it lasted), and the caller then publishes them all at once with
`outreach.sending.enqueue.enqueue`.
"""

from __future__ import annotations

from sqlalchemy import exists, insert, select, update
from sqlalchemy.orm import Session

from outreach.alerts.repository import get_alert
from outreach.db.models import Alert, Message, MessageEvent
from outreach.db.models.base import utcnow
from outreach.errors import UserError
from outreach.sending.states import (
    OPEN_STATUSES,
    InvalidTransition,
    next_alert_state,
    next_status,
    sources,
)
from outreach.webhooks.events import emit
from outreach.webhooks.payloads import alert_data


def _move(alert: Alert, event: str) -> None:
    try:
        alert.state = next_alert_state(alert.state, event)
    except InvalidTransition:
        raise UserError(f"alert {alert.id} is {alert.state}: cannot {event} it") from None


def pause(session: Session, alert_id: int) -> Alert:
    alert = get_alert(session, alert_id)
    _move(alert, "pause")
    session.flush()
    emit(session, "alert.paused", alert_data(alert))
    return alert


def resume(session: Session, alert_id: int) -> Alert:
    """Back to sending; the caller then enqueues. Resuming an alert that is already sending
    is allowed and does the same (re-publish what waits): harmless, since tasks are."""
    alert = get_alert(session, alert_id)
    if alert.state not in ("sending", "paused"):
        _move(alert, "resume")  # the one-line refusal, before anything is written
    # Message rows first, the alert row after: the order the sweeper and the workers lock
    # them in (the other order deadlocked against a sweep).
    session.execute(update(Message)
                    .where(Message.alert_id == alert_id, Message.status.in_(("queued", "deferred")))
                    .values(enqueued_at=None).execution_options(synchronize_session=False))
    if alert.state != "sending":
        from outreach.sending.guard.watch import resumed  # (not imported by every sender)

        _move(alert, "resume")
        resumed(alert)  # the deliverability guard's automatic pause, if any, is over
    if alert.started_at is None:
        alert.started_at = utcnow()
    session.flush()
    return alert


def cancel(session: Session, alert_id: int) -> int:
    """Cancel the alert and every message not yet sent; returns how many were cancelled."""
    alert = get_alert(session, alert_id)
    _move(alert, "cancel")
    alert.finished_at = utcnow()
    return _bulk_move(session, alert_id, "cancel", "cancelled")


def retry_failed(session: Session, alert_id: int) -> int:
    """Put failed messages back in the queue (the alert reopens if it was done)."""
    alert = get_alert(session, alert_id)
    if alert.state == "done":
        _move(alert, "reopen")
        alert.finished_at = None
    elif alert.state not in ("sending", "paused"):
        raise UserError(f"alert {alert_id} is {alert.state}: nothing to retry")
    return _bulk_move(session, alert_id, "requeue", "requeued")


def _bulk_move(session: Session, alert_id: int, event: str, kind: str) -> int:
    now = utcnow()
    from_statuses = [s for s in sources(event) if s != "sending"]
    stmt = (update(Message)
            .where(Message.alert_id == alert_id, Message.status.in_(from_statuses))
            .values(status=next_status(from_statuses[0], event), updated_at=now,
                    enqueued_at=None, next_attempt_at=now)
            .returning(Message.id).execution_options(synchronize_session=False))
    ids = list(session.scalars(stmt))
    if ids:
        session.execute(insert(MessageEvent), [
            {"message_id": i, "kind": kind, "to_status": next_status(from_statuses[0], event),
             "at": now} for i in ids])
    return len(ids)


def alert_state(session: Session, alert_id: int) -> str | None:
    return session.scalar(select(Alert.state).where(Alert.id == alert_id))


def finish_if_complete(session: Session, alert_id: int) -> bool:
    """Mark a sending alert done once no message is queued, sending or deferred."""
    pending = exists().where(Message.alert_id == alert_id, Message.status.in_(OPEN_STATUSES))
    result = session.execute(
        update(Alert).where(Alert.id == alert_id, Alert.state == "sending", ~pending)
        .values(state=next_alert_state("sending", "finish"), finished_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount:
        alert = session.get(Alert, alert_id, populate_existing=True)
        if alert is not None:
            emit(session, "alert.finished", alert_data(alert))
    return bool(result.rowcount)
