"""Unsubscribing through a signed link: resolve the link, suppress, and undo right after.

No web framework here: `outreach.web.unsubscribe.views` turns these results into pages.

A link token is `sign_link(secret, "unsubscribe", message_token(secret, message_id))`
(see `outreach.mail.links.unsubscribe_url`); it names the message, hence the alert and contact,
and never expires. A token that fails any check, or names an erased contact or a message
that no longer exists, resolves to None: the caller answers 4xx and changes nothing.

Undo is allowed only right after a form unsubscribe: the confirmation page of the POST that
made the suppression (never of a repeated POST, which anyone holding the link can send) carries
a separate, time-limited token, and undo lifts only the suppression that this very link made,
and only within UNDO_MAX_AGE of it being made: a token can be minted late, an opt-out's age
cannot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from outreach.contacts.suppression import resubscribe, suppress, suppression_for
from outreach.db.models import Alert, Contact, Message, utcnow
from outreach.mail.tokens import parse_message_token, read_link

log = logging.getLogger(__name__)

LINK_CHANNELS = ("link", "one-click")
UNDO_REASON = "undo from confirmation page"
UNDO_MAX_AGE = 15 * 60  # seconds: "right after", not a general resubscribe path
_UNDO_SALT = "outreach.contacts.unsubscribe-undo"  # its old home; kept: issued tokens stay valid


@dataclass(frozen=True)
class LinkTarget:
    """What a valid unsubscribe link names."""

    message: Message
    contact: Contact
    alert: Alert

    @property
    def language(self) -> str:
        """The contact's language where the alert has that variant, else the alert's default."""
        available = {v.language for v in self.alert.variants}
        wanted = (self.contact.language or "").lower()
        return wanted if wanted in available else self.alert.default_language


def message_id_from_link(secret: str, signed: str) -> int | None:
    """The message id a signed link names, or None (forged, altered, truncated, other key)."""
    if not signed or len(signed) > 500:
        return None
    token = read_link(secret, "unsubscribe", signed)
    if not isinstance(token, str):
        return None
    return parse_message_token(secret, token)


def resolve(session: Session, secret: str, signed: str) -> LinkTarget | None:
    """The message, contact and alert behind a link, or None when nothing may be done."""
    message_id = message_id_from_link(secret, signed)
    if message_id is None:
        return None
    message = session.get(Message, message_id)
    if message is None:
        return None
    contact = message.contact
    if contact.status == "erased" or contact.email is None:
        return None
    return LinkTarget(message=message, contact=contact, alert=message.alert)


def unsubscribe(session: Session, target: LinkTarget, channel: str) -> bool:
    """Suppress the contact (reason 'unsubscribed'); False if it already was. Idempotent."""
    if channel not in LINK_CHANNELS:
        raise ValueError(f"unknown link channel {channel!r}")
    new = suppress(  # race-safe: a concurrent retry that wins makes this return False
        session, target.contact, "unsubscribed", channel,
        alert_id=target.alert.id, message_id=target.message.id,
    )
    if new:  # ids only: no address in the logs
        log.info("message %s: contact %s unsubscribed (%s)", target.message.id,
                 target.contact.id, channel)
    return new


def _undo_serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_UNDO_SALT)


def made_by_this_link(session: Session, target: LinkTarget, *,
                      max_age: int = UNDO_MAX_AGE) -> bool:
    """Is the contact's suppression the one this link's form made, less than `max_age`
    seconds ago (so undo may lift it)?"""
    existing = suppression_for(session, target.contact.email_hash)
    return (
        existing is not None
        and existing.reason == "unsubscribed"
        and existing.channel == "link"
        and existing.message_id == target.message.id
        and utcnow() - existing.created_at <= timedelta(seconds=max_age)
    )


def undo_token(secret: str, target: LinkTarget) -> str:
    """A short-lived token for the confirmation page's undo button."""
    return _undo_serializer(secret).dumps(target.message.id)


def undo(
    session: Session, secret: str, target: LinkTarget, token: str,
    *, max_age: int = UNDO_MAX_AGE,
) -> bool:
    """Resubscribe, logged with UNDO_REASON, if `token` is a fresh undo token for this link
    and the suppression is the one this link made; False (nothing changed) otherwise."""
    try:
        message_id = _undo_serializer(secret).loads(token, max_age=max_age)
    except BadSignature:  # includes SignatureExpired
        return False
    if message_id != target.message.id or not made_by_this_link(session, target,
                                                                  max_age=max_age):
        return False
    return resubscribe(session, target.contact, UNDO_REASON, channel="link")
