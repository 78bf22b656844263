"""The dashboard's reads: outcomes over time, replies, contacts. Each one indexed query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, cast, func, or_, select
from sqlalchemy.orm import Session

from outreach.db.models import (
    Alert,
    Contact,
    Message,
    MessageEvent,
    Outlet,
    Suppression,
)
from outreach.db.session import LIKE_ESCAPE, escape_like
from outreach.inbound.queries import ReplyView, reply_views

OUTCOMES = ("sent", "deferred", "bounced", "failed")
PAGE_SIZE = 50


def _epoch(session: Session, column: Any) -> Any:
    """Seconds since 1970 of a UTC datetime column, in this backend's SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", column)
    return (func.julianday(column) - 2440587.5) * 86400.0


def outcome_timeline(session: Session, alert_id: int, buckets: int = 40
                     ) -> tuple[datetime | None, int, dict[str, list[int]]]:
    """Status changes into each outcome per time bucket: (start, bucket seconds, counts).

    The time range is the alert's own (started -> finished, or now while it runs), so one
    grouped query suffices; without those times it is read from the events first."""
    bounds = _bounds(session, alert_id)
    if bounds is None:
        return None, 0, {o: [] for o in OUTCOMES}
    start, end = bounds
    width = max(1, int((end - start) // buckets) + 1)
    bucket = cast(func.floor((_epoch(session, MessageEvent.at) - start) / width), Integer)
    query = (select(bucket.label("b"), MessageEvent.to_status, func.count())
             .join(Message, Message.id == MessageEvent.message_id)
             .where(Message.alert_id == alert_id, MessageEvent.to_status.in_(OUTCOMES))
             .group_by(bucket, MessageEvent.to_status))
    size = int((end - start) // width) + 1
    series = {o: [0] * size for o in OUTCOMES}
    for index, status, count in session.execute(query):
        series[status][min(max(int(index), 0), size - 1)] += count
    return datetime.fromtimestamp(start, UTC), width, series


def _bounds(session: Session, alert_id: int) -> tuple[float, float] | None:
    alert = session.get(Alert, alert_id)
    running = alert is not None and alert.state in ("sending", "paused")
    if alert is not None and alert.started_at is not None and (alert.finished_at or running):
        end = alert.finished_at or datetime.now(UTC)
        return alert.started_at.timestamp(), max(end.timestamp(), alert.started_at.timestamp())
    seconds = _epoch(session, MessageEvent.at)
    low, high = session.execute(
        select(func.min(seconds), func.max(seconds))
        .join(Message, Message.id == MessageEvent.message_id)
        .where(Message.alert_id == alert_id, MessageEvent.to_status.in_(OUTCOMES))).one()
    return None if low is None else (float(low), float(high))


def replies(session: Session, alert_id: int, limit: int = 100) -> list[ReplyView]:
    """Human replies, then auto-replies, to the alert, newest first, with contact and outlet."""
    return reply_views(session, alert_id, kinds=("reply", "auto_reply"), humans_first=True,
                       limit=limit)


@dataclass(frozen=True)
class ContactPage:
    rows: list[dict[str, Any]]
    total: int
    next_after: int | None


def contacts_page(session: Session, *, q: str = "", suppressed: str = "", outlet_id: int | None
                  = None, after: int = 0, size: int = PAGE_SIZE) -> ContactPage:
    """Keyset-paginated contacts (by id) with outlet and suppression; an email prefix search
    uses the unique index on email, a name search scans names (a fraction of a second)."""
    where: list[Any] = []
    q = q.strip().lower()
    if q:
        prefix = or_(Contact.email.between(q, q + "\uffff"),
                     func.lower(Contact.name).like(f"%{escape_like(q)}%", escape=LIKE_ESCAPE))
        where.append(prefix)
    if outlet_id is not None:
        where.append(Contact.outlet_id == outlet_id)
    if suppressed in ("yes", "no"):
        on_list = Suppression.id.is_not(None)
        where.append(on_list if suppressed == "yes" else ~on_list)
    base = (select(Contact.id).outerjoin(Suppression,
                                         Suppression.address_hash == Contact.email_hash)
            .where(*where))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    query = (
        select(Contact.id, Contact.email, Contact.name, Contact.type, Contact.country,
               Contact.language, Contact.status, Outlet.id, Outlet.name, Suppression.reason)
        .outerjoin(Outlet, Outlet.id == Contact.outlet_id)
        .outerjoin(Suppression, Suppression.address_hash == Contact.email_hash)
        .where(*where, Contact.id > after).order_by(Contact.id).limit(size + 1)
    )
    keys = ("id", "email", "name", "type", "country", "language", "status", "outlet_id",
            "outlet_name", "suppression")
    rows = [dict(zip(keys, r, strict=True)) for r in session.execute(query)]
    more = len(rows) > size
    rows = rows[:size]
    return ContactPage(rows, total, rows[-1]["id"] if more and rows else None)
