"""The suppression list: who must never be mailed again, and why.

Every path that stops mail to an address (link, one-click, mailto, reply, CLI, hard bounce,
complaint, erasure) goes through `suppress`, and only `resubscribe` undoes it.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from outreach.db.models import Contact, ContactEvent, Suppression
from outreach.webhooks.events import emit
from outreach.webhooks.payloads import suppression_data

CHANNELS = ("link", "one-click", "mailto", "reply", "cli", "console", "api", "bounce",
            "complaint", "erase", "import")
_EVENT_FOR_REASON = {"unsubscribed": "contact.unsubscribed", "manual": "contact.unsubscribed",
                     "complained": "complaint.received"}
_STATUS_FOR_REASON = {
    "unsubscribed": "unsubscribed", "bounced": "bounced", "complained": "complained",
    "erased": "erased", "manual": "unsubscribed",
}


def suppression_for(session: Session, address_hash: str) -> Suppression | None:
    """The suppression of this address hash, if any: the one lookup by address (the list
    keeps hashes only, so that an erased address is still refused)."""
    return session.scalar(select(Suppression).where(Suppression.address_hash == address_hash))


def is_suppressed(session: Session, address: str) -> bool:
    from outreach.contacts.addresses import address_hash  # (a launch needs no email_validator)

    return suppression_for(session, address_hash(address)) is not None


def not_suppressed() -> ColumnElement[bool]:
    """SQL condition on `Contact`: its address is not on the suppression list."""
    return ~exists().where(Suppression.address_hash == Contact.email_hash)


def suppress(
    session: Session,
    contact: Contact,
    reason: str,
    channel: str,
    *,
    alert_id: int | None = None,
    message_id: int | None = None,
    note: str | None = None,
) -> bool:
    """Suppress the contact's address; False (and no new event) if it already was.

    Idempotent so that a repeated one-click POST or a DSN seen twice changes nothing, even
    when two of them race: the loser's savepoint rolls back on the unique address hash.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown suppression channel {channel!r}")
    existing = suppression_for(session, contact.email_hash)
    if existing is not None:
        return False
    try:
        with session.begin_nested():  # a concurrent suppress of the same address may win
            session.add(Suppression(
                address_hash=contact.email_hash, reason=reason, channel=channel,
                alert_id=alert_id, message_id=message_id, note=note,
            ))
    except IntegrityError:
        return False
    if contact.status != "erased":
        contact.status = _STATUS_FOR_REASON[reason]
    session.add(ContactEvent(
        contact_id=contact.id, address_hash=contact.email_hash, kind=reason, channel=channel,
        alert_id=alert_id, message_id=message_id, detail=note,
    ))
    session.flush()
    if reason in _EVENT_FOR_REASON:  # stored in this transaction: the change and its event
        emit(session, _EVENT_FOR_REASON[reason],
             suppression_data(contact, channel, alert_id, message_id))
    return True


def resubscribe(session: Session, contact: Contact, reason: str, channel: str = "cli") -> bool:
    """Lift the suppression, logged with its reason; False if the address was not suppressed."""
    if contact.status == "erased":
        raise ValueError("an erased contact cannot be resubscribed")
    existing = suppression_for(session, contact.email_hash)
    if existing is None:
        return False
    session.delete(existing)
    contact.status = "active"
    session.add(ContactEvent(
        contact_id=contact.id, address_hash=contact.email_hash, kind="resubscribed",
        channel=channel, detail=reason,
    ))
    session.flush()
    return True
