"""The audit log: who did what to which target, from the web console, the API and the CLI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from outreach.db.models.base import Base, utcnow

ACTOR_KINDS = ("user", "cli", "api", "system")


class AuditEvent(Base):
    """One state-changing action. Rows are only ever added (never updated or deleted)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(320))  # user email, "cli:<os user>", token name
    actor_kind: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(64))  # e.g. "alert.launch", "contact.erase"
    target: Mapped[str] = mapped_column(String(200), default="")  # e.g. "alert:12"
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_audit_events_action_at", "action", "at"),)
