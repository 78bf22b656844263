"""Unsubscribe, resubscribe and erase one contact; all suppression goes through
`outreach.contacts.suppression`, so every path leaves the same trail of events."""

from __future__ import annotations

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from outreach.contacts import suppression
from outreach.contacts.addresses import InvalidAddress, address_hash, normalize
from outreach.db.models import (
    Contact,
    ContactEvent,
    ContactLabel,
    InboundMail,
    Message,
    MessageEvent,
)
from outreach.errors import UserError


def find_contact(session: Session, email: str, *, option: str = "") -> Contact:
    """The contact with this address, or a UserError saying why there is none (prefixed with
    the `option` that carried the address, e.g. `--contact`)."""
    where = f"{option} " if option else ""
    try:
        address = normalize(email)
    except InvalidAddress as exc:
        raise UserError(f"{where}{email!r}: not a valid email address: {exc}") from None
    contact = session.scalar(select(Contact).where(Contact.email == address))
    if contact is not None:
        return contact
    found = suppression.suppression_for(session, address_hash(address))
    if found is not None and found.reason == "erased":
        raise UserError(f"{where}{address}: erased (only its suppression is kept)")
    raise UserError(f"{where}{address}: no contact with that address")


def unsubscribe(session: Session, contact: Contact, reason: str | None = None, *,
                channel: str = "cli") -> bool:
    """Suppress the address by hand (CLI or console); False if it already was suppressed."""
    return suppression.suppress(session, contact, "unsubscribed", channel, note=reason)


def resubscribe(session: Session, contact: Contact, reason: str, *,
                channel: str = "cli") -> bool:
    """Lift the suppression, logged with the reason; False if it was not suppressed."""
    if not reason.strip():
        raise UserError("--reason: say why this address may be mailed again")
    try:
        return suppression.resubscribe(session, contact, reason.strip(), channel=channel)
    except ValueError as exc:
        raise UserError(f"{contact.email}: {exc}") from None


def _forget_address_in_smtp_texts(session: Session, contact_id: int, address: str) -> None:
    """Server answers such as '550 <anna@x.org>: user unknown' quote the address in clear."""
    messages = select(Message.id).where(Message.contact_id == contact_id).scalar_subquery()
    session.execute(update(Message).where(
        Message.contact_id == contact_id, func.lower(Message.smtp_text).contains(address),
    ).values(smtp_text=None))
    session.execute(update(MessageEvent).where(
        MessageEvent.message_id.in_(messages),
        func.lower(MessageEvent.detail).contains(address),
    ).values(detail=None))


def erase(session: Session, contact: Contact) -> None:
    """GDPR erasure: every personal field is emptied, the address stays suppressed by hash.

    What remains is an anonymous row (type and status) so that message history and reports
    keep their counts, and the suppression that stops a re-import from bringing it back.
    Inbound mail from the contact loses its sender, subject and text, and SMTP answers that
    quote the address in clear are blanked.
    """
    address = contact.email
    if not suppression.suppress(session, contact, "erased", "erase"):
        session.add(ContactEvent(contact_id=contact.id, address_hash=contact.email_hash,
                                 kind="erased", channel="erase"))
    session.execute(delete(ContactLabel).where(ContactLabel.contact_id == contact.id))
    session.execute(
        update(InboundMail)
        .where(or_(InboundMail.contact_id == contact.id, InboundMail.sender == address))
        .values(sender=None, subject=None, text=None)
    )
    if address:
        _forget_address_in_smtp_texts(session, contact.id, address)
    for name in ("email", "first_name", "last_name", "name", "role", "outlet_id", "country",
                 "language", "source"):
        setattr(contact, name, None)
    contact.attributes = {}
    contact.status = "erased"
    session.expire(contact, ["labels"])
    session.flush()
