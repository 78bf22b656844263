"""Read-side queries on recorded inbound mail: replies per alert, unmatched mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from outreach.alerts.templating import display_name
from outreach.db.models import Alert, Contact, InboundMail, Outlet
from outreach.db.models.inbound import SENDER_ONLY

REPLY_KINDS = ("reply",)
ALL_KINDS = ("reply", "unsubscribe", "auto_reply")
UNMATCHED_KINDS = ("unmatched", "unparseable")
REPORT_KINDS = ("bounce", "soft_bounce", "complaint")  # listed when matched by sender only


@dataclass(frozen=True)
class ReplyView:
    """One reply with who sent it (contact, outlet) and to what (alert), as plain values."""

    id: int
    kind: str
    sender: str | None
    subject: str | None
    text: str | None
    received_at: datetime
    sent_date: datetime | None
    match: str | None
    contact_id: int | None
    contact_email: str | None
    contact_name: str | None
    outlet_id: int | None
    outlet_name: str | None
    alert_id: int | None
    alert_title: str | None

    @classmethod
    def of(cls, mail: InboundMail, contact: Contact | None, outlet: Outlet | None,
           alert: Alert | None) -> ReplyView:
        return cls(
            mail.id, mail.kind, mail.sender, mail.subject, mail.text, mail.received_at,
            mail.sent_date, mail.match_method,
            contact and contact.id, contact and contact.email, contact and display_name(contact),
            outlet and outlet.id, outlet and outlet.name, alert and alert.id, alert and alert.title,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "date": _iso(self.sent_date or self.received_at),
            "received_at": _iso(self.received_at),
            "sender": self.sender,
            "subject": self.subject,
            "text": self.text or "",
            "match": self.match,
            "contact": None if self.contact_id is None else {
                "id": self.contact_id, "email": self.contact_email, "name": self.contact_name},
            "outlet": None if self.outlet_id is None else {
                "id": self.outlet_id, "name": self.outlet_name},
            "alert": None if self.alert_id is None else {
                "id": self.alert_id, "title": self.alert_title},
        }


def reply_views(session: Session, alert_id: int | None = None, *,
                kinds: tuple[str, ...] = REPLY_KINDS, humans_first: bool = False,
                limit: int | None = None) -> list[ReplyView]:
    """Inbound mail of these kinds with contact, outlet and alert, newest first (human replies
    before auto-replies when `humans_first`). The one replies query: CLI and dashboard."""
    order = [InboundMail.received_at.desc(), InboundMail.id.desc()]
    if humans_first:
        order.insert(0, (InboundMail.kind == "reply").desc())
    query = (
        select(InboundMail, Contact, Outlet, Alert)
        .outerjoin(Contact, Contact.id == InboundMail.contact_id)
        .outerjoin(Outlet, Outlet.id == Contact.outlet_id)
        .outerjoin(Alert, Alert.id == InboundMail.alert_id)
        .where(InboundMail.kind.in_(kinds))
        .order_by(*order).limit(limit)
    )
    if alert_id is not None:
        query = query.where(InboundMail.alert_id == alert_id)
    return [ReplyView.of(*row) for row in session.execute(query)]


def replies(session: Session, alert_id: int | None = None, *,
            include_auto: bool = False) -> list[dict[str, Any]]:
    """Human replies as JSON rows, newest first (`include_auto`: also auto-replies and
    unsubscribe requests)."""
    kinds = ALL_KINDS if include_auto else REPLY_KINDS
    return [view.to_json() for view in reply_views(session, alert_id, kinds=kinds)]


def unmatched(session: Session, limit: int = 500) -> list[dict[str, Any]]:
    """Mail that matched no message of ours or could not be parsed, and reports (bounces,
    complaints) that name a contact without any token of ours: kept and listed, for a person."""
    rows = session.scalars(
        select(InboundMail).where(or_(InboundMail.kind.in_(UNMATCHED_KINDS), and_(
            InboundMail.match_method == SENDER_ONLY, InboundMail.kind.in_(REPORT_KINDS))))
        .order_by(InboundMail.received_at.desc(), InboundMail.id.desc()).limit(limit)
    )
    return [{
        "id": mail.id, "kind": mail.kind, "date": _iso(mail.sent_date),
        "received_at": _iso(mail.received_at), "sender": mail.sender, "subject": mail.subject,
        "match": mail.match_method, "note": mail.error, "mailbox_uid": mail.mailbox_uid,
        "external_id": mail.external_id,
    } for mail in rows]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
