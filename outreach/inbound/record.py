"""Recording one classified, matched inbound mail: an InboundMail row and its consequences.

Idempotent: `InboundMail.external_id` (Message-ID or content hash) is unique, so a mail seen
again (a poll that died before flagging it) records nothing. The caller commits.

hard bounce -> message `bounced` + suppression (bounced, bounce); soft bounce -> counted, and
suppression after OUTREACH_SOFT_BOUNCE_LIMIT consecutive messages to the contact soft-bounced;
complaint -> suppression (complained, complaint); unsubscribe -> suppression (unsubscribed,
mailto | reply). All of these only for a match that `acts` (token or Message-ID): mail matched
by its sender alone is stored, with its contact and message for a person to read, and changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.config import Settings
from outreach.contacts.suppression import suppress
from outreach.db.models import InboundMail, Message, MessageEvent
from outreach.db.models.inbound import tied_to_our_message
from outreach.inbound.classify import Classification
from outreach.inbound.matching import Match
from outreach.inbound.parse import InboundParsed
from outreach.sending.guard.watch import watch_inbound
from outreach.webhooks.events import emit
from outreach.webhooks.payloads import message_data, reply_data

DEFAULT_SOFT_BOUNCE_LIMIT = 3
EVENT_KINDS = {
    "bounce": "bounced", "soft_bounce": "soft_bounced", "complaint": "complained",
    "unsubscribe": "unsubscribed", "reply": "replied", "auto_reply": "auto_replied",
}
_BOUNCE_FROM = frozenset({"sent", "sending", "deferred", "queued", "failed"})


@dataclass(frozen=True)
class Recorded:
    kind: str
    new: bool  # False: this mail was recorded by an earlier poll
    suppressed: bool = False
    inbound_id: int | None = None


def already_recorded(session: Session, parsed: InboundParsed) -> bool:
    return session.scalar(
        select(InboundMail.id).where(InboundMail.external_id == parsed.external_id)
    ) is not None


def record(session: Session, parsed: InboundParsed, verdict: Classification, found: Match,
           *, uid: int | None = None, soft_limit: int = DEFAULT_SOFT_BOUNCE_LIMIT,
           guard: Settings | None = None) -> Recorded:
    """Add the InboundMail row and apply its effect (flushes; the caller commits)."""
    if already_recorded(session, parsed):
        return Recorded(verdict.kind, new=False)
    message = found.message
    kind = verdict.kind if (message is not None or verdict.kind == "unparseable") else "unmatched"
    row = InboundMail(
        external_id=parsed.external_id, kind=kind, match_method=found.method,
        message_id=message.id if message else None,
        contact_id=message.contact_id if message else None,
        alert_id=message.alert_id if message else None,
        sender=_clean(parsed.sender, 320), subject=_clean(parsed.subject),
        sent_date=parsed.date, text=_clean(_stored_text(verdict, parsed)),
        bounce_code=_clean(verdict.bounce.status if verdict.bounce else None, 20),
        error=_clean(parsed.error or _unmatched_note(kind, verdict) or _sender_note(found)),
        mailbox_uid=str(uid) if uid is not None else None,
    )
    session.add(row)
    session.flush()
    suppressed = False
    if found.acts and message is not None and kind in EVENT_KINDS:
        suppressed = _apply(session, message, verdict, row, soft_limit)
        _emit(session, kind, row, message)
        if guard is not None:  # the deliverability guard judges bounces and complaints
            watch_inbound(session, guard, message.alert_id, kind)
    return Recorded(kind, new=True, suppressed=suppressed, inbound_id=row.id)


def _emit(session: Session, kind: str, row: InboundMail, message: Message) -> None:
    """Webhook events stored with the record (complaints and unsubscribes: by `suppress`)."""
    if kind == "reply":
        emit(session, "reply.received", reply_data(row, message))
    elif kind == "bounce" and message.status == "bounced":
        emit(session, "message.bounced", {**message_data(message), "detail": row.text})


def _clean(value: str | None, limit: int | None = None) -> str | None:
    """Text as every backend stores it: no NUL characters (PostgreSQL refuses them)."""
    if not value:
        return None
    value = value.replace("\x00", "\ufffd")
    return value[:limit] if limit else value


def _sender_note(found: Match) -> str | None:
    if found.message is None or found.acts:
        return None
    return "matched by sender only (no token or Message-ID of ours): nothing changed"


def _stored_text(verdict: Classification, parsed: InboundParsed) -> str | None:
    if verdict.is_report:
        return verdict.bounce.diagnostic if verdict.bounce else None
    if verdict.kind == "unparseable":  # what a person needs to recognise it in the mailbox
        return parsed.text[:20000] or parsed.raw_preview or None
    return verdict.text or None


def _unmatched_note(kind: str, verdict: Classification) -> str | None:
    if kind != "unmatched":
        return None
    return f"looked like {verdict.kind} ({verdict.reason}); no message matched"


def _apply(session: Session, message: Message, verdict: Classification, row: InboundMail,
           soft_limit: int) -> bool:
    detail = _clean(_detail(verdict))
    event = MessageEvent(message_id=message.id, kind=EVENT_KINDS[verdict.kind],
                         external_id=f"inbound:{row.external_id}"[:300], detail=detail)
    contact = message.contact
    if verdict.kind == "bounce":
        if message.status in _BOUNCE_FROM:
            event.from_status, event.to_status = message.status, "bounced"
            message.status = "bounced"
        session.add(event)
        return suppress(session, contact, "bounced", "bounce", alert_id=message.alert_id,
                        message_id=message.id, note=detail)
    session.add(event)
    session.flush()
    if verdict.kind == "complaint":
        return suppress(session, contact, "complained", "complaint", alert_id=message.alert_id,
                        message_id=message.id, note="ARF feedback report")
    if verdict.kind == "unsubscribe":
        return suppress(session, contact, "unsubscribed", verdict.unsubscribe_channel or "reply",
                        alert_id=message.alert_id, message_id=message.id,
                        note=_clean(verdict.text, 500))
    if verdict.kind == "soft_bounce" and _soft_streak(session, message.contact_id, soft_limit):
        return suppress(session, contact, "bounced", "bounce", alert_id=message.alert_id,
                        message_id=message.id,
                        note=f"{soft_limit} messages in a row soft-bounced")
    return False


def _detail(verdict: Classification) -> str | None:
    if verdict.bounce is not None:
        parts = [verdict.bounce.status or "", verdict.bounce.diagnostic or ""]
        return " ".join(p for p in parts if p)[:1000] or verdict.reason
    return verdict.reason or None


def _soft_streak(session: Session, contact_id: int, limit: int) -> bool:
    """Did each of the contact's last `limit` sent messages draw a bounce report?"""
    recent = list(session.scalars(
        select(Message.id).where(Message.contact_id == contact_id,
                                 Message.status.in_(("sent", "bounced")))
        .order_by(Message.id.desc()).limit(limit)
    ))
    if len(recent) < limit:
        return False
    bounced = set(session.scalars(
        select(InboundMail.message_id).where(InboundMail.message_id.in_(recent),
                                             InboundMail.kind.in_(("soft_bounce", "bounce")),
                                             tied_to_our_message())  # forged ones don't count
    ))
    return bounced.issuperset(recent)
