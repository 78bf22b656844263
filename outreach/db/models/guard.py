"""The deliverability guard's per-(alert, recipient domain) record of policy rejections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from outreach.db.models.base import Base, JSONType, utcnow


class AlertDomainGuard(Base):
    """One recipient domain of one alert that answered with a policy rejection.

    `paused_at` set means the domain is paused for this alert: its messages wait (the claim
    skips them) until an organiser resumes it. `message_ids` holds the distinct messages
    rejected since the last resume (so a retried message counts once); `replies` a few of the
    server's answers, shown to the organiser.
    """

    __tablename__ = "alert_domain_guards"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(255))
    rejections: Mapped[int] = mapped_column(default=0)
    message_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    replies: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    paused_at: Mapped[datetime | None]
    resumed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("alert_id", "domain"),)
