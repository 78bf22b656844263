"""Which of our messages an inbound mail is about, and how we know.

In order of trust:
1. `token`: a tagged address (`box+r-/b-/u-TOKEN@`) in To/Cc/Delivered-To/X-Original-To/...;
2. `returned`: for bounces and complaints, our token in the quoted original's Message-ID or
   addresses;
3. `references`: In-Reply-To/References naming one of our Message-IDs;
4. `sender`: the sender (or, for a report, the failed recipient) is a contact we mailed recently.
Otherwise the mail stays unmatched (kept and listed, never dropped).

Only the first three are evidence: each needs something the sender could not guess (the
per-message token, or the Message-ID we generated). A `sender` match is forgeable by anyone
who knows a contact's address, so it is recorded for a person to read and nothing else: no
suppression, no bounce, no event, not a reply in reports (`Match.acts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from outreach.config import Settings
from outreach.db.models import Contact, Message
from outreach.db.models.base import utcnow
from outreach.db.models.inbound import SENDER_ONLY
from outreach.inbound import bounces
from outreach.inbound.classify import Classification
from outreach.inbound.parse import InboundParsed
from outreach.mail.tokens import find_tagged, parse_message_token

RECENT = timedelta(days=60)


@dataclass(frozen=True)
class Match:
    message: Message | None
    method: str | None  # 'token' | 'returned' | 'references' | 'sender' | None
    role: str | None = None  # the tagged address role: 'reply' | 'bounce' | 'unsubscribe'

    @property
    def acts(self) -> bool:
        """May this mail change state? Only when tied to our message unguessably."""
        return self.message is not None and self.method != SENDER_ONLY


UNMATCHED = Match(None, None)


def tagged_role(settings: Settings, parsed: InboundParsed) -> tuple[str, int] | None:
    """(role, message id) from the addresses the mail was delivered to; no database needed."""
    return find_tagged(settings.secret_key, parsed.recipients)


def match(session: Session, settings: Settings, parsed: InboundParsed,
          verdict: Classification, tagged: tuple[str, int] | None) -> Match:
    """`tagged`: `tagged_role(settings, parsed)`, which the caller already needed to classify."""
    if tagged is not None:
        message = session.get(Message, tagged[1])
        if message is not None:
            return Match(message, "token", tagged[0])
    if parsed.message is not None and verdict.is_report:
        message = _by_returned(session, settings, parsed)
        if message is not None:
            return Match(message, "returned")
    message = _by_references(session, settings, parsed.in_reply_to + parsed.references)
    if message is not None:
        return Match(message, "references")
    candidates = verdict.recipients if verdict.is_report else [parsed.sender or ""]
    message = _by_address(session, [a for a in candidates if a])
    return Match(message, SENDER_ONLY) if message is not None else UNMATCHED


def _by_returned(session: Session, settings: Settings, parsed: InboundParsed) -> Message | None:
    assert parsed.message is not None
    original = bounces.returned_original(parsed.message)
    tagged = find_tagged(settings.secret_key, original.addresses)
    if tagged is not None and (message := session.get(Message, tagged[1])) is not None:
        return message
    return _by_references(session, settings, original.message_ids)


def _by_references(session: Session, settings: Settings, ids: list[str]) -> Message | None:
    """Our Message-IDs are `<TOKEN@domain>`: try the token first, then the stored header."""
    for mid in ids:
        message_id = parse_message_token(settings.secret_key, mid.partition("@")[0])
        if message_id is not None and (message := session.get(Message, message_id)) is not None:
            return message
    wanted = [mid for mid in ids[:50] if mid]
    if not wanted:
        return None
    forms = wanted + [f"<{mid}>" for mid in wanted]
    return session.scalars(
        select(Message).where(Message.message_id_header.in_(forms)).order_by(Message.id.desc())
    ).first()


def _by_address(session: Session, candidates: list[str]) -> Message | None:
    """The latest message sent in the last RECENT days to a contact with one of these addresses."""
    if not candidates:
        return None
    since = utcnow() - RECENT
    return session.scalars(
        select(Message).join(Contact, Contact.id == Message.contact_id)
        .where(Contact.email.in_([c.lower() for c in candidates]))
        .where(or_(Message.sent_at >= since,
                   Message.sent_at.is_(None) & (Message.created_at >= since)))
        .order_by(Message.id.desc())
    ).first()
