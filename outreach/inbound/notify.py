"""Telling the alert's creator that a journalist replied: one email through OUTREACH_SMTP_URL.

The `reply.received` event row is the outbox: it is stored with the reply itself, and
`notified_at` is set by a conditional UPDATE before sending, so two dispatchers never both
mail. If the SMTP server refuses, `notified_at` is cleared again and the next dispatch
retries. The recipient is the creator's account address (or, for alerts made without a named
user, the configured sender address): never a contact.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, make_msgid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from outreach.config import Settings
from outreach.db.models import Alert, WebhookEvent
from outreach.db.models.base import utcnow

log = logging.getLogger(__name__)


def pending_ids(session: Session, limit: int = 100) -> list[int]:
    return list(session.scalars(
        select(WebhookEvent.id).where(WebhookEvent.type == "reply.received",
                                      WebhookEvent.notified_at.is_(None))
        .order_by(WebhookEvent.id).limit(limit)))


def recipient_for(alert: Alert | None, settings: Settings) -> str:
    """The creator's address when the alert names a user who has one, else the sender's."""
    creator = (alert.created_by if alert is not None else None) or ""  # an actor name
    return creator if "@" in creator and not creator.startswith("cli:") else settings.sender_email


def compose(event: WebhookEvent, recipient: str, settings: Settings) -> EmailMessage:
    data = event.payload.get("data", {})
    contact = data.get("contact") or {}
    who = contact.get("name") or contact.get("email") or "a contact"
    outlet = f" ({contact['outlet']})" if contact.get("outlet") else ""
    mail = EmailMessage(policy=SMTP)
    mail["From"] = settings.from_address
    mail["To"] = formataddr(("", recipient))
    subject = f"Reply from {who}{outlet} to alert {data.get('alert_id')}: " \
              f"{data.get('alert_title', '')}"
    mail["Subject"] = " ".join(subject.split())[:200]  # no line breaks: no header injection
    mail["Message-ID"] = make_msgid(domain=settings.sender_domain)
    mail["Auto-Submitted"] = "auto-generated"
    link = f"{settings.base_url.rstrip('/')}/dashboard/alerts/{data.get('alert_id')}"
    mail.set_content(f"{who}{outlet} replied to \"{data.get('alert_title', '')}\".\n\n"
                     f"Subject: {data.get('subject') or ''}\n\n{data.get('text') or ''}\n\n"
                     f"Alert: {link}\n")
    return mail


def notify_one(session: Session, event_id: int, settings: Settings) -> bool:
    """Send the notification for one reply event; True if this call sent it."""
    from outreach.mta.smtp import sender_from_settings

    claimed = session.execute(
        update(WebhookEvent).where(WebhookEvent.id == event_id,
                                   WebhookEvent.notified_at.is_(None))
        .values(notified_at=utcnow()).execution_options(synchronize_session=False))
    session.commit()
    if not claimed.rowcount:
        return False
    event = session.get(WebhookEvent, event_id, populate_existing=True)
    if event is None:
        return False
    alert = session.get(Alert, event.payload.get("data", {}).get("alert_id") or 0)
    recipient = recipient_for(alert, settings)
    if recipient == (event.payload.get("data", {}).get("contact") or {}).get("email"):
        log.warning("reply %s: creator address is the contact's; not notified", event_id)
        return False
    mail = compose(event, recipient, settings)
    sender = sender_from_settings(settings)
    try:
        result = sender.send(settings.sender_email, recipient, mail.as_bytes())
    finally:
        sender.close()
    if result.outcome != "sent":
        log.warning("reply notification %s: %s %s; retried later", event_id, result.code,
                    result.text)
        event.notified_at = None
        session.commit()
        return False
    return True
