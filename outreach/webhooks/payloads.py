"""The `data` of each event type, built from the rows the emitting code already holds."""

from __future__ import annotations

from typing import Any

from outreach.db.models import Alert, Contact, InboundMail, Message


def alert_data(alert: Alert) -> dict[str, Any]:
    return {"id": alert.id, "title": alert.title, "state": alert.state}


def contact_data(contact: Contact) -> dict[str, Any]:
    """Ids, address and outlet; an erased contact is only its id."""
    if contact.status == "erased" or contact.email is None:
        return {"id": contact.id}
    return {"id": contact.id, "email": contact.email, "name": contact.name,
            "outlet": contact.outlet.name if contact.outlet else None,
            "country": contact.country, "type": contact.type}


def message_data(message: Message) -> dict[str, Any]:
    return {"message_id": message.id, "alert_id": message.alert_id,
            "contact": contact_data(message.contact), "status": message.status}


def reply_data(row: InboundMail, message: Message) -> dict[str, Any]:
    return {**message_data(message), "inbound_id": row.id, "subject": row.subject,
            "text": (row.text or "")[:2000], "alert_title": message.alert.title,
            "received_at": row.received_at.isoformat() if row.received_at else None}


def suppression_data(contact: Contact, channel: str, alert_id: int | None,
                     message_id: int | None) -> dict[str, Any]:
    return {"contact": contact_data(contact), "channel": channel, "alert_id": alert_id,
            "message_id": message_id}
