"""`alert_status`: the JSON the CLI, the progress bar and the dashboard show."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from outreach.db.models import Alert, Message
from outreach.errors import UserError
from outreach.sending.states import FINAL_STATUSES, MESSAGE_STATUSES


def alert_status(session: Session, alert_id: int) -> dict[str, Any]:
    """`{"alert", "title", "state", "urgent", "total", "counts": {every status}, "uncertain",
    "open", "scheduled_at", "started_at", "finished_at"}` (two indexed queries)."""
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
    return {
        "alert": alert.id, "title": alert.title, "state": alert.state, "urgent": alert.urgent,
        "total": total, "counts": counts, "uncertain": uncertain,
        "open": total - sum(counts[s] for s in FINAL_STATUSES),
        "scheduled_at": _iso(alert.scheduled_at), "started_at": _iso(alert.started_at),
        "finished_at": _iso(alert.finished_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
