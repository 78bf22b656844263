"""Reach reports: who got an alert and who answered, counted by the database (GROUP BY).

Two grouped queries per report, no message row loaded into Python:
1. the alert's messages (unique index alert_id, contact_id) joined to their contact, counted
   per (group, status): every message lands in exactly one status bucket;
2. the few messages with something to say, per group: replies, auto-replies, unsubscribes,
   complaints, bounces after acceptance (inbound mail by its index alert_id, kind; contact
   events by alert_id), and opens/clicks (an EXISTS on the message_id index of message
   events) only for alerts that track them.
Outlet names are read afterwards for the groups found (a few thousand at most).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session

from outreach.alerts.repository import get_alert
from outreach.contacts.addresses import email_domain
from outreach.contacts.segments import Segment
from outreach.db.models import (
    MESSAGE_STATUSES,
    Alert,
    AlertVariant,
    Contact,
    ContactEvent,
    InboundMail,
    Message,
    MessageEvent,
    Outlet,
)
from outreach.db.models.inbound import tied_to_our_message
from outreach.errors import UserError
from outreach.reports.rows import (
    DIMENSIONS,
    ReachRow,
    check_consistent,
    row_from_mapping,
    sort_rows,
    summary,
    total,
)

OPEN_KINDS = ("open", "opened")
CLICK_KINDS = ("click", "clicked")
NONE_LABEL = "(none)"


@dataclass
class ReachReport:
    alert: Alert
    by: str
    rows: list[ReachRow]

    @property
    def totals(self) -> ReachRow:
        return total(self.rows)

    def to_json(self) -> dict[str, Any]:
        opens, clicks = self.alert.track_opens, self.alert.track_clicks
        return {
            "alert": {"id": self.alert.id, "title": self.alert.title, "state": self.alert.state,
                      "track_opens": opens, "track_clicks": clicks},
            "by": self.by,
            "rows": [r.to_json(opens=opens, clicks=clicks) for r in self.rows],
            "totals": self.totals.to_json(opens=opens, clicks=clicks),
            "summary": summary(self.rows),
        }


def reach_report(session: Session, alert_id: int, by: str = "outlet") -> ReachReport:
    """Two grouped queries: messages per (group, status), then the few flagged messages."""
    if by not in DIMENSIONS:
        raise UserError(f"--by {by!r}: one of {', '.join(DIMENSIONS)}")
    alert = get_alert(session, alert_id)
    raw: dict[tuple[Any, ...], dict[str, int]] = {}
    for *key, status, count in session.execute(_status_query(session, alert, by)):
        counts = raw.setdefault(tuple(key), {"targeted": 0})
        counts["targeted"] += count
        counts[status] = counts.get(status, 0) + count
    for row in session.execute(_flag_query(session, alert, by)):
        data = dict(row._mapping)
        key = tuple(data.pop(name) for name in _KEYS[by])
        raw.setdefault(key, {"targeted": 0}).update(
            {k: int(v or 0) for k, v in data.items()})
    for counts in raw.values():
        counts["reached_contacts"] = counts.get("sent", 0) - counts.pop("sent_bounced", 0)
    rows = _to_rows(session, by, raw)
    check_consistent(rows)
    return ReachReport(alert=alert, by=by, rows=sort_rows(rows))


_KEYS = {"outlet": ("outlet_id", "domain"), "country": ("group_key",),
         "type": ("group_key",), "language": ("group_key",)}


def _scoped(session: Session, alert: Alert, by: str, *columns: Any) -> Select[Any]:
    """The alert's messages with their contact (and what the grouping needs), keys labelled."""
    query = (select(*_group_columns(session, by), *columns).select_from(Message)
             .join(Contact, Contact.id == Message.contact_id).where(Message.alert_id == alert.id))
    if by == "country":
        query = query.outerjoin(Outlet, Outlet.id == Contact.outlet_id)
    if by == "language":
        query = query.outerjoin(AlertVariant, AlertVariant.id == Message.variant_id)
    return query


def _grouped(inner: Any, by: str, *aggregates: Any, extra_keys: tuple[str, ...] = ()) -> Any:
    """Group an inner per-message select by its labelled key columns (portable GROUP BY)."""
    keys = [inner.c[name] for name in (*_KEYS[by], *extra_keys)]
    return select(*keys, *aggregates).group_by(*keys)


def _status_query(session: Session, alert: Alert, by: str) -> Any:
    inner = _scoped(session, alert, by, Message.status.label("status")).subquery("m")
    return _grouped(inner, by, func.count(), extra_keys=("status",))


def _flag_query(session: Session, alert: Alert, by: str) -> Any:
    """Sums of per-message flags over the messages that have any (replies, bounces, ...)."""
    inb, cev = _inbound_flags(alert.id), _unsub_flags(alert.id)
    parts = [select(inb.c.mid), select(cev.c.mid)]
    if alert.track_opens or alert.track_clicks:
        kinds = (OPEN_KINDS if alert.track_opens else ()) + (
            CLICK_KINDS if alert.track_clicks else ())
        parts.append(select(Message.id).where(Message.alert_id == alert.id, exists().where(
            MessageEvent.message_id == Message.id, MessageEvent.kind.in_(kinds))))
    flagged = union(*parts)

    def flag(col: Any) -> Any:
        return func.coalesce(col, 0)

    replied = flag(inb.c.reply)
    clicked = _has_event(CLICK_KINDS) if alert.track_clicks else literal(0)
    columns = [
        replied.label("replied"), flag(inb.c.auto_reply).label("auto_replied"),
        case((or_(flag(inb.c.unsubscribe) == 1, flag(cev.c.unsub) == 1), 1), else_=0)
        .label("unsubscribed"),
        flag(inb.c.complaint).label("complained"),
        (_has_event(OPEN_KINDS) if alert.track_opens else literal(0)).label("opened"),
        clicked.label("clicked"),
        case((and_(Message.status == "sent", flag(inb.c.bounce) == 1), 1), else_=0)
        .label("sent_bounced"),
        case((or_(replied == 1, clicked == 1), 1), else_=0).label("engaged_contacts"),
    ]
    inner = (_scoped(session, alert, by, *columns)
             .outerjoin(inb, inb.c.mid == Message.id).outerjoin(cev, cev.c.mid == Message.id)
             .where(Message.id.in_(flagged)).subquery("f"))
    sums = [func.sum(inner.c[c.name]).label(c.name) for c in columns]
    return _grouped(inner, by, *sums)


def _to_rows(session: Session, by: str, raw: dict[tuple[Any, ...], dict[str, int]]
             ) -> list[ReachRow]:
    if by != "outlet":
        return [row_from_mapping(f"{by}:{value or ''}", value or NONE_LABEL, counts,
                                 country=value if by == "country" else None)
                for (value,), counts in raw.items()]
    outlets = _outlets(session, [k[0] for k in raw if k[0] is not None])
    rows = []
    for (outlet_id, domain), counts in raw.items():
        if outlet_id is not None:
            name, country, kind = outlets[outlet_id]
            rows.append(row_from_mapping(f"outlet:{outlet_id}", name, counts,
                                         outlet_id=outlet_id, country=country, kind=kind))
        else:
            rows.append(row_from_mapping(f"domain:{domain or ''}", domain or NONE_LABEL,
                                         counts, kind="domain"))
    return rows


def _outlets(session: Session, ids: list[int]) -> dict[int, tuple[str, str | None, str]]:
    out: dict[int, tuple[str, str | None, str]] = {}
    for i in range(0, len(ids), 5000):
        query = select(Outlet.id, Outlet.name, Outlet.country, Outlet.kind).where(
            Outlet.id.in_(ids[i:i + 5000]))
        out.update({oid: (name, country, kind) for oid, name, country, kind
                    in session.execute(query)})
    return out


def _inbound_flags(alert_id: int) -> Any:
    def has(kind: str) -> Any:
        return func.max(case((InboundMail.kind == kind, 1), else_=0)).label(kind)

    return (
        select(InboundMail.message_id.label("mid"), has("reply"), has("auto_reply"),
               has("unsubscribe"), has("complaint"), has("bounce"))
        .where(InboundMail.alert_id == alert_id, tied_to_our_message())
        .group_by(InboundMail.message_id)
        .subquery("inb")
    )


def _has_event(kinds: tuple[str, ...]) -> Any:
    """1 if the message has such an event: one lookup in the message_id index per message."""
    found = exists().where(MessageEvent.message_id == Message.id, MessageEvent.kind.in_(kinds))
    return case((found, 1), else_=0)


def _unsub_flags(alert_id: int) -> Any:
    return (
        select(ContactEvent.message_id.label("mid"), literal(1).label("unsub"))
        .where(ContactEvent.alert_id == alert_id, ContactEvent.kind == "unsubscribed",
               ContactEvent.message_id.is_not(None))
        .group_by(ContactEvent.message_id)
        .subquery("cev")
    )


def _group_columns(session: Session, by: str) -> list[Any]:
    if by == "outlet":
        domain = case((Contact.outlet_id.is_(None),
                       email_domain(Contact.email, session.get_bind().dialect.name)),
                      else_=None)
        return [Contact.outlet_id.label("outlet_id"), domain.label("domain")]
    expr = {
        "country": func.coalesce(Contact.country, Outlet.country),
        "type": Contact.type,
        "language": func.coalesce(AlertVariant.language, Contact.language),
    }[by]
    return [expr.label("group_key")]


def status_counts(session: Session, alert_ids: list[int] | None = None
                  ) -> dict[int, dict[str, int]]:
    """Messages per status for many alerts in one grouped query (index alert_id, status)."""
    query = select(Message.alert_id, Message.status, func.count()).group_by(
        Message.alert_id, Message.status)
    if alert_ids is not None:
        query = query.where(Message.alert_id.in_(alert_ids))
    out: dict[int, dict[str, int]] = {}
    for alert_id, status, count in session.execute(query):
        out.setdefault(alert_id, dict.fromkeys(MESSAGE_STATUSES, 0))[status] = count
    return out


def reply_counts(session: Session, alert_ids: list[int] | None = None) -> dict[int, int]:
    """Human replies per alert (index alert_id, kind on inbound_mail)."""
    query = (select(InboundMail.alert_id, func.count())
             .where(InboundMail.kind == "reply", tied_to_our_message())
             .group_by(InboundMail.alert_id))
    if alert_ids is not None:
        query = query.where(InboundMail.alert_id.in_(alert_ids))
    return {alert_id: count for alert_id, count in session.execute(query) if alert_id}


def audience(alert: Alert) -> str:
    """Who an alert is for, in a few words: the saved segment's name, or its conditions."""
    if alert.follow_up_of is not None:
        return f"follow-up of #{alert.follow_up_of}"
    name = (alert.segment or {}).get("name")
    return str(name) if name else Segment.from_json(alert.segment).describe()


def alert_overview(session: Session, limit: int | None = None) -> list[dict[str, Any]]:
    """Every alert (newest first) with state, sent/total and replies: for lists."""
    query = select(Alert).order_by(Alert.id.desc())
    if limit:
        query = query.limit(limit)
    alerts = list(session.scalars(query))
    ids = [a.id for a in alerts]
    counts, replies = status_counts(session, ids), reply_counts(session, ids)
    rows = []
    for alert in alerts:
        by_status = counts.get(alert.id, dict.fromkeys(MESSAGE_STATUSES, 0))
        rows.append({
            "id": alert.id, "title": alert.title, "state": alert.state,
            "created_at": alert.created_at.isoformat(),
            "created_by": alert.created_by, "audience": audience(alert),
            "languages": sorted(v.language for v in alert.variants),
            "follow_up_of": alert.follow_up_of,
            "total": sum(by_status.values()), "sent": by_status.get("sent", 0),
            "counts": by_status, "replies": replies.get(alert.id, 0),
        })
    return rows
