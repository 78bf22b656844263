"""Alerts and their language variants: an immutable content snapshot, compiled once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.db.models.base import Base, utcnow

ALERT_STATES = ("draft", "scheduled", "sending", "paused", "done", "cancelled")


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    default_language: Mapped[str] = mapped_column(String(2), default="en")
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    urgent: Mapped[bool] = mapped_column(default=False)
    segment: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source_path: Mapped[str | None] = mapped_column(String(1000))
    track_opens: Mapped[bool] = mapped_column(default=False)
    track_clicks: Mapped[bool] = mapped_column(default=False)
    follow_up_of: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    scheduled_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(320))  # audit actor name
    # Deliverability guard (outreach.sending.guard): the organiser's per-alert limits, and the
    # system's record of an automatic pause (reason, figures, replies) and the figures since.
    guard: Mapped[dict[str, Any]] = mapped_column(default=dict)
    guard_state: Mapped[dict[str, Any]] = mapped_column(default=dict)

    variants: Mapped[list[AlertVariant]] = relationship(
        back_populates="alert", cascade="all, delete-orphan", lazy="selectin"
    )


class AlertVariant(Base):
    """One language version. `*_template` hold the compiled (inlined) Jinja2 sources."""

    __tablename__ = "alert_variants"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(2))
    source_markdown: Mapped[str] = mapped_column(Text)
    front_matter: Mapped[dict[str, Any]] = mapped_column(default=dict)
    subject_template: Mapped[str] = mapped_column(Text)
    html_template: Mapped[str] = mapped_column(Text)
    text_template: Mapped[str] = mapped_column(Text)
    from_address: Mapped[str] = mapped_column(String(400))
    reply_to: Mapped[str | None] = mapped_column(String(400))
    links: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    alert: Mapped[Alert] = relationship(back_populates="variants")

    __table_args__ = (UniqueConstraint("alert_id", "language"),)
