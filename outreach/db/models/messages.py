"""One message per (alert, contact) with its delivery state, and its append-only event log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.db.models.alerts import Alert, AlertVariant
from outreach.db.models.base import Base, utcnow
from outreach.db.models.contacts import Contact

MESSAGE_STATUSES = (
    "queued", "sending", "sent", "deferred", "bounced", "failed", "suppressed", "cancelled",
)


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("alert_variants.id"))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    enqueued_at: Mapped[datetime | None]  # last put on the broker (the sweeper's re-enqueue guard)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    uncertain: Mapped[bool] = mapped_column(default=False)
    smtp_code: Mapped[int | None]
    smtp_text: Mapped[str | None] = mapped_column(Text)
    message_id_header: Mapped[str | None] = mapped_column(String(300), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    alert: Mapped[Alert] = relationship()
    contact: Mapped[Contact] = relationship()
    variant: Mapped[AlertVariant | None] = relationship()

    __table_args__ = (
        UniqueConstraint("alert_id", "contact_id"),
        Index("ix_messages_alert_status", "alert_id", "status"),
        Index("ix_messages_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_messages_status_lease", "status", "lease_until"),
    )


class MessageEvent(Base):
    """Append-only: every status change and every inbound event about a message.

    `external_id` is set for events that come from outside (an inbound mail's id, a click's
    request id), so that the same event seen twice is recorded once.
    """

    __tablename__ = "message_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    smtp_code: Mapped[int | None]
    detail: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(300), unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
