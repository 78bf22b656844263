"""Mail read from the inbound mailbox: bounces, replies, auto-replies, complaints, unsubscribes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.db.models.base import Base, utcnow
from outreach.db.models.messages import Message

INBOUND_KINDS = (
    "bounce", "soft_bounce", "reply", "auto_reply", "complaint", "unsubscribe",
    "unmatched", "unparseable",
)
SENDER_ONLY = "sender"  # match_method of mail tied to a message by its From/recipient alone


class InboundMail(Base):
    __tablename__ = "inbound_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    match_method: Mapped[str | None] = mapped_column(String(20))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    sent_date: Mapped[datetime | None]
    text: Mapped[str | None] = mapped_column(Text)
    bounce_code: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    mailbox_uid: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]  # a person marked it dealt with (replies inbox)
    handled_by: Mapped[str | None] = mapped_column(String(320))

    message: Mapped[Message | None] = relationship()

    __table_args__ = (Index("ix_inbound_mail_alert_kind", "alert_id", "kind"),)


def tied_to_our_message() -> ColumnElement[bool]:
    """Inbound mail that counts (replied, bounced, complained ... in reports and follow-ups):
    tied to our message by a token or Message-ID, not merely by the address it names, which
    anyone can forge (README: "What inbound mail can change")."""
    return InboundMail.match_method.is_distinct_from(SENDER_ONLY)
