"""Read-side queries on recorded inbound mail: replies per alert, unmatched mail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.alerts.templating import display_name
from outreach.db.models import Alert, Contact, InboundMail, Outlet

REPLY_KINDS = ("reply",)
ALL_KINDS = ("reply", "unsubscribe", "auto_reply")
UNMATCHED_KINDS = ("unmatched", "unparseable")


def replies(session: Session, alert_id: int | None = None, *,
            include_auto: bool = False) -> list[dict[str, Any]]:
    """Human replies with contact, outlet and alert, newest first (`include_auto`: also
    auto-replies and unsubscribe requests)."""
    kinds = ALL_KINDS if include_auto else REPLY_KINDS
    query = (
        select(InboundMail, Contact, Outlet, Alert)
        .outerjoin(Contact, Contact.id == InboundMail.contact_id)
        .outerjoin(Outlet, Outlet.id == Contact.outlet_id)
        .outerjoin(Alert, Alert.id == InboundMail.alert_id)
        .where(InboundMail.kind.in_(kinds))
        .order_by(InboundMail.received_at.desc(), InboundMail.id.desc())
    )
    if alert_id is not None:
        query = query.where(InboundMail.alert_id == alert_id)
    return [_reply_row(*row) for row in session.execute(query)]


def _reply_row(mail: InboundMail, contact: Contact | None, outlet: Outlet | None,
               alert: Alert | None) -> dict[str, Any]:
    return {
        "id": mail.id,
        "kind": mail.kind,
        "date": _iso(mail.sent_date or mail.received_at),
        "received_at": _iso(mail.received_at),
        "sender": mail.sender,
        "subject": mail.subject,
        "text": mail.text or "",
        "match": mail.match_method,
        "contact": None if contact is None else {
            "id": contact.id, "email": contact.email, "name": display_name(contact)},
        "outlet": None if outlet is None else {"id": outlet.id, "name": outlet.name},
        "alert": None if alert is None else {"id": alert.id, "title": alert.title},
    }


def unmatched(session: Session, limit: int = 500) -> list[dict[str, Any]]:
    """Mail that matched no message of ours or could not be parsed: kept and listed."""
    rows = session.scalars(
        select(InboundMail).where(InboundMail.kind.in_(UNMATCHED_KINDS))
        .order_by(InboundMail.received_at.desc(), InboundMail.id.desc()).limit(limit)
    )
    return [{
        "id": mail.id, "kind": mail.kind, "date": _iso(mail.sent_date),
        "received_at": _iso(mail.received_at), "sender": mail.sender, "subject": mail.subject,
        "note": mail.error, "mailbox_uid": mail.mailbox_uid, "external_id": mail.external_id,
    } for mail in rows]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
