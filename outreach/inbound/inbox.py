"""The replies inbox: inbound mail a person should read, across alerts, newest first, and
whether someone has dealt with it yet.

"Handled" is a person's mark (who, when) and changes nothing else: it is not a suppression
and not a state of the message, so marking by mistake is undone by unmarking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from outreach.alerts.templating import display_name
from outreach.db.models import Alert, Contact, InboundMail, Outlet
from outreach.db.models.base import utcnow
from outreach.inbound.queries import UNMATCHED_KINDS

REPLY_KINDS = ("reply", "auto_reply")
PAGE = 50


@dataclass(frozen=True)
class InboxItem:
    id: int
    kind: str
    received_at: datetime
    sender: str | None
    subject: str | None
    text: str
    contact_id: int | None
    contact: str | None
    outlet_id: int | None
    outlet: str | None
    alert_id: int | None
    alert: str | None
    handled_at: datetime | None
    handled_by: str | None


def inbox(session: Session, *, alert_id: int | None = None, handled: bool | None = None,
          unmatched: bool = False, before: int | None = None, size: int = PAGE
          ) -> list[InboxItem]:
    """One page (newest first, by id below `before`): replies, or unmatched mail."""
    kinds = UNMATCHED_KINDS if unmatched else REPLY_KINDS
    query = (
        select(InboundMail, Contact, Outlet.id, Outlet.name, Alert.title)
        .outerjoin(Contact, Contact.id == InboundMail.contact_id)
        .outerjoin(Outlet, Outlet.id == Contact.outlet_id)
        .outerjoin(Alert, Alert.id == InboundMail.alert_id)
        .where(InboundMail.kind.in_(kinds))
        .order_by(InboundMail.id.desc()).limit(size)
    )
    if alert_id is not None:
        query = query.where(InboundMail.alert_id == alert_id)
    if handled is not None:
        query = query.where(InboundMail.handled_at.is_not(None) if handled
                            else InboundMail.handled_at.is_(None))
    if before is not None:
        query = query.where(InboundMail.id < before)
    return [_item(*row) for row in session.execute(query)]


def _item(mail: InboundMail, contact: Contact | None, outlet_id: int | None,
          outlet: str | None, alert: str | None) -> InboxItem:
    return InboxItem(
        mail.id, mail.kind, mail.received_at, mail.sender, mail.subject,
        (mail.text or mail.error or ""), contact.id if contact else None,
        (display_name(contact) or contact.email) if contact else None, outlet_id, outlet,
        mail.alert_id, alert, mail.handled_at, mail.handled_by)


def count_unhandled(session: Session) -> int:
    """Human replies not marked handled yet."""
    return session.scalar(select(func.count()).select_from(InboundMail).where(
        InboundMail.kind == "reply", InboundMail.handled_at.is_(None))) or 0


def mark_handled(session: Session, mail_id: int, actor: str, handled: bool = True) -> bool:
    """Mark one inbound mail handled (or not); False if there is no such mail."""
    values: dict[str, Any] = ({"handled_at": utcnow(), "handled_by": actor[:320]} if handled
                              else {"handled_at": None, "handled_by": None})
    result = session.execute(update(InboundMail).where(InboundMail.id == mail_id)
                             .values(**values).execution_options(synchronize_session=False))
    return bool(result.rowcount)
