"""Outlets, contacts and their tags/beats, and the suppression list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.db.models.base import Base, utcnow

CONTACT_TYPES = ("journalist", "ngo", "politician", "other")
OUTLET_KINDS = ("media", "ngo", "government", "other")
CONTACT_STATUSES = ("active", "unsubscribed", "bounced", "complained", "erased")
SUPPRESSION_REASONS = ("unsubscribed", "bounced", "complained", "erased", "manual")


class Outlet(Base):
    """A media outlet or an NGO; several contacts can belong to one."""

    __tablename__ = "outlets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="media")
    country: Mapped[str | None] = mapped_column(String(2))
    website: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contacts: Mapped[list[Contact]] = relationship(back_populates="outlet")


class Contact(Base):
    """A journalist, NGO worker or other recipient. `email` is NULL once erased (GDPR)."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    email_hash: Mapped[str] = mapped_column(String(64), index=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(400))
    role: Mapped[str | None] = mapped_column(String(200))
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"), index=True)
    type: Mapped[str] = mapped_column(String(20), default="other")
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    language: Mapped[str | None] = mapped_column(String(2), index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    source: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    outlet: Mapped[Outlet | None] = relationship(back_populates="contacts")
    labels: Mapped[list[ContactLabel]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def tags(self) -> list[str]:
        return sorted(label.value for label in self.labels if label.kind == "tag")

    @property
    def beats(self) -> list[str]:
        return sorted(label.value for label in self.labels if label.kind == "beat")


class ContactLabel(Base):
    """A tag or beat of a contact, one row each, so that segments use an index on any backend."""

    __tablename__ = "contact_labels"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # "tag" | "beat"
    value: Mapped[str] = mapped_column(String(100), primary_key=True)

    contact: Mapped[Contact] = relationship(back_populates="labels")

    __table_args__ = (Index("ix_contact_labels_kind_value", "kind", "value"),)


class Suppression(Base):
    """An address that must never be mailed again, keyed by its hash so erasure keeps it."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str | None] = mapped_column(String(20))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContactEvent(Base):
    """Append-only history of a contact: unsubscribed, resubscribed, suppressed, erased, ..."""

    __tablename__ = "contact_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    address_hash: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str | None] = mapped_column(String(20))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    # Most events (every imported contact's "imported") belong to no alert: a partial index
    # serves `alert_id = X` alike and costs an import nothing for them.
    __table_args__ = (Index("ix_contact_events_alert_id", "alert_id",
                            postgresql_where=text("alert_id IS NOT NULL"),
                            sqlite_where=text("alert_id IS NOT NULL")),)
