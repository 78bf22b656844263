"""Read-only views of contacts and outlets as plain dicts, for `--json` and for tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from outreach.contacts.segments import Segment, segment_clause
from outreach.contacts.suppression import suppression_for
from outreach.db.models import (
    Alert,
    Contact,
    ContactEvent,
    InboundMail,
    Message,
    MessageEvent,
    Outlet,
)


def contact_json(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id, "email": contact.email, "name": contact.name,
        "first_name": contact.first_name, "last_name": contact.last_name, "role": contact.role,
        "outlet": contact.outlet.name if contact.outlet else None, "type": contact.type,
        "country": contact.country, "language": contact.language, "tags": contact.tags,
        "beats": contact.beats, "attributes": contact.attributes or {},
        "status": contact.status, "source": contact.source,
        "created_at": contact.created_at.isoformat(),
    }


def list_contacts(session: Session, segment: Segment, limit: int | None = None,
                  ) -> tuple[list[Contact], int]:
    """The segment's contacts (by id, erased ones left out) and how many match in all."""
    clause = segment_clause(segment) & Contact.email.is_not(None)
    total = session.scalar(select(func.count()).select_from(Contact).where(clause)) or 0
    query = (select(Contact).where(clause).order_by(Contact.id)
             .options(selectinload(Contact.outlet)).limit(limit))
    return list(session.scalars(query)), total


def contact_history(session: Session, contact: Contact) -> dict[str, Any]:
    """Suppression state, contact events, messages with their events, inbound mail."""
    sup = suppression_for(session, contact.email_hash)
    events = session.scalars(select(ContactEvent).where(
        ContactEvent.address_hash == contact.email_hash).order_by(ContactEvent.at,
                                                                  ContactEvent.id))
    return {
        "contact": contact_json(contact),
        "suppression": None if sup is None else {
            "reason": sup.reason, "channel": sup.channel, "alert_id": sup.alert_id,
            "note": sup.note, "at": sup.created_at.isoformat()},
        "events": [{"at": e.at.isoformat(), "kind": e.kind, "channel": e.channel,
                    "alert_id": e.alert_id, "detail": e.detail} for e in events],
        "messages": _messages(session, contact.id),
        "inbound": _inbound(session, contact.id),
    }


def _messages(session: Session, contact_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Message, Alert.title).join(Alert, Alert.id == Message.alert_id)
        .where(Message.contact_id == contact_id).order_by(Message.id)).all()
    events_of: dict[int, list[MessageEvent]] = {message.id: [] for message, _ in rows}
    if rows:  # one query for every message's events, not one per message
        for event in session.scalars(select(MessageEvent).where(
                MessageEvent.message_id.in_(list(events_of)))
                .order_by(MessageEvent.at, MessageEvent.id)):
            events_of[event.message_id].append(event)
    found = []
    for message, title in rows:
        events = events_of[message.id]
        found.append({
            "id": message.id, "alert_id": message.alert_id, "alert": title,
            "status": message.status, "attempts": message.attempts,
            "sent_at": message.sent_at.isoformat() if message.sent_at else None,
            "smtp_code": message.smtp_code,
            "events": [{"at": e.at.isoformat(), "kind": e.kind, "to_status": e.to_status,
                        "detail": e.detail} for e in events],
        })
    return found


def _inbound(session: Session, contact_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(InboundMail).where(InboundMail.contact_id == contact_id)
                           .order_by(InboundMail.received_at, InboundMail.id))
    return [{"at": m.received_at.isoformat(), "kind": m.kind, "alert_id": m.alert_id,
             "subject": m.subject, "text": m.text, "bounce_code": m.bounce_code}
            for m in rows]


def list_outlets(session: Session) -> list[dict[str, Any]]:
    """Outlets with how many (not erased) contacts each has."""
    counts = (select(Contact.outlet_id, func.count().label("n"))
              .where(Contact.email.is_not(None)).group_by(Contact.outlet_id).subquery())
    rows = session.execute(
        select(Outlet, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.outlet_id == Outlet.id).order_by(Outlet.name_key))
    return [{"id": o.id, "name": o.name, "kind": o.kind, "country": o.country,
             "website": o.website, "contacts": n} for o, n in rows]
