"""Creating a blast: one `INSERT ... SELECT` of the messages for an alert's segment.

The segment is evaluated by `segment_clause` (the same SQL the contact listing uses), minus
suppressed and erased contacts; the variant is chosen per contact language in the same
statement. The unique (alert, contact) constraint and ON CONFLICT DO NOTHING mean an address
is never targeted twice, even if `send` runs twice. Ids go to the broker only after commit
(see `outreach.sending.enqueue`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, select
from sqlalchemy.orm import Session

from outreach.contacts.segments import Segment, segment_clause
from outreach.contacts.suppression import not_suppressed
from outreach.db.models import Alert, AlertVariant, Contact, Message
from outreach.db.models.base import utcnow
from outreach.errors import UserError
from outreach.sending.states import InvalidTransition, next_alert_state


@dataclass(frozen=True)
class BlastSummary:
    alert_id: int
    state: str
    queued: int
    suppressed: int
    urgent: bool
    scheduled_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["scheduled_at"] = self.scheduled_at.isoformat() if self.scheduled_at else None
        return data


def create_blast(session: Session, alert: Alert, *, urgent: bool = False,
                 at: datetime | None = None) -> BlastSummary:
    """Insert the alert's messages (status queued) and move it to sending or scheduled.

    Runs in the caller's transaction; the caller commits, then enqueues.
    """
    if at is not None and at.tzinfo is None:
        raise UserError("--at: give a timezone, e.g. 2026-11-26T09:00+01:00")
    now = utcnow()
    scheduled = at is not None and at > now
    try:
        alert.state = next_alert_state(alert.state, "schedule" if scheduled else "send")
    except InvalidTransition:
        raise UserError(f"alert {alert.id} is {alert.state}: it can only be sent once "
                        "(see `outreach alert status`, `resume`, `retry-failed`)") from None
    default_variant = _default_variant(session, alert)
    in_segment = audience_clause(alert)
    suppressed = session.scalar(
        select(func.count()).select_from(Contact).where(in_segment, ~not_suppressed())) or 0
    queued = _insert_messages(session, alert, default_variant, and_(in_segment, not_suppressed()),
                              first_due=at.astimezone(UTC) if scheduled and at else now, now=now)
    if alert.follow_up_of is not None:  # thread each to the Message-ID its contact got before
        from outreach.alerts.followup import thread_follow_up
        thread_follow_up(session, alert)
    alert.urgent = urgent
    alert.scheduled_at = at.astimezone(UTC) if scheduled and at else None
    if not scheduled:
        alert.started_at = now
    session.flush()
    return BlastSummary(alert.id, alert.state, queued, suppressed, urgent, alert.scheduled_at)


def audience_clause(alert: Alert) -> ColumnElement[bool]:
    """SQL on `Contact`: who the alert is for, before suppression (shared with the launch
    page's count, so what it promises is what a send inserts)."""
    in_segment = and_(segment_clause(Segment.from_json(alert.segment)),
                      Contact.email.is_not(None))
    if alert.follow_up_of is not None:  # follow-ups (issue 7): only the original's non-responders
        from outreach.alerts.followup import follow_up_clause
        in_segment = and_(in_segment, follow_up_clause(alert))
    return in_segment


def _default_variant(session: Session, alert: Alert) -> int:
    rows = session.execute(select(AlertVariant.id, AlertVariant.language)
                           .where(AlertVariant.alert_id == alert.id)
                           .order_by(AlertVariant.id)).all()
    if not rows:
        raise UserError(f"alert {alert.id} has no content variant: create it again")
    return next((vid for vid, lang in rows if lang == alert.default_language), rows[0][0])


def _insert_messages(session: Session, alert: Alert, default_variant: int, where: Any,
                     first_due: datetime, now: datetime) -> int:
    language_variant = (select(AlertVariant.id)
                        .where(AlertVariant.alert_id == alert.id,
                               AlertVariant.language == Contact.language)
                        .scalar_subquery())
    rows = select(
        literal(alert.id), Contact.id, func.coalesce(language_variant, default_variant),
        literal("queued"), literal(0), literal(first_due, Message.next_attempt_at.type),
        literal(False), literal(now, Message.created_at.type),
        literal(now, Message.updated_at.type),
    ).where(where).order_by(Contact.id)
    columns = ["alert_id", "contact_id", "variant_id", "status", "attempts", "next_attempt_at",
               "uncertain", "created_at", "updated_at"]
    if session.get_bind().dialect.name == "postgresql":  # only this backend's dialect module
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(Message).from_select(columns, rows).on_conflict_do_nothing()
    session.execute(stmt)  # psycopg reports no rowcount for INSERT ... SELECT: count instead
    return session.scalar(select(func.count()).select_from(Message)
                          .where(Message.alert_id == alert.id)) or 0
