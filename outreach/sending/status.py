"""`alert_status`: the JSON the CLI, the progress bar and the dashboard show."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from outreach.db.models import Alert, Message
from outreach.db.models.base import utcnow
from outreach.errors import UserError
from outreach.sending.liveness import last_sweep
from outreach.sending.states import FINAL_STATUSES, MESSAGE_STATUSES


def alert_status(session: Session, alert_id: int, *,
                 sweep_stale_seconds: float = 60.0) -> dict[str, Any]:
    """`{"alert", "title", "state", "urgent", "total", "counts": {every status}, "uncertain",
    "open", "scheduled_at", "started_at", "finished_at", "last_sweep_at", "warning"}`
    (three indexed queries). `warning` says when messages wait but nothing has swept for
    `sweep_stale_seconds`: no worker is running, or none can reach the database."""
    # Columns only: the progress bar polls this, and loading the Alert entity would also
    # load its variants (compiled templates) every time.
    alert = session.execute(select(Alert.id, Alert.title, Alert.state, Alert.urgent,
                                   Alert.scheduled_at, Alert.started_at, Alert.finished_at)
                            .where(Alert.id == alert_id)).first()
    if alert is None:
        raise UserError(f"ID {alert_id}: no such alert (see `outreach alert list`)")
    counts = dict.fromkeys(MESSAGE_STATUSES, 0)
    flagged_sum = func.sum(case((Message.uncertain, 1), else_=0))
    rows = session.execute(select(Message.status, func.count(), flagged_sum)
                           .where(Message.alert_id == alert_id).group_by(Message.status))
    uncertain = 0
    for status, count, flagged in rows:
        counts[status] = count
        uncertain += int(flagged or 0)
    total = sum(counts.values())
    open_count = total - sum(counts[s] for s in FINAL_STATUSES)
    swept = last_sweep(session)
    return {
        "alert": alert.id, "title": alert.title, "state": alert.state, "urgent": alert.urgent,
        "total": total, "counts": counts, "uncertain": uncertain,
        "open": open_count,
        "scheduled_at": _iso(alert.scheduled_at), "started_at": _iso(alert.started_at),
        "finished_at": _iso(alert.finished_at), "last_sweep_at": _iso(swept),
        "warning": sweep_warning(alert.state, open_count, swept, sweep_stale_seconds),
    }


def sweep_warning(state: str, open_count: int, swept: datetime | None,
                  stale_seconds: float, now: datetime | None = None) -> str | None:
    """Pure: the operator's warning when messages wait and no worker has swept lately."""
    if state not in ("sending", "scheduled") or not open_count:
        return None
    now = now or utcnow()
    if swept is not None and now - swept <= timedelta(seconds=stale_seconds):
        return None
    since = "ever" if swept is None else f"for {int((now - swept).total_seconds())}s"
    return (f"{open_count} messages wait but no worker has swept {since}: start a worker "
            "(`outreach worker`) and check `outreach doctor`")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
