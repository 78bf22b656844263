"""Sending worker processes announce themselves here: the liveness the sweeper relies on.

One row per worker process (`name` = host:pid:random, the prefix of every claim token it
writes). `beat_at` moves every OUTREACH_HEARTBEAT_SECONDS; `swept_at` is when this process last
ran the sweeper (the newest `swept_at` over all rows is "the last sweep" that `alert status`
reports). Rows of dead workers are deleted once their claims have been taken back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from outreach.db.models.base import Base, utcnow


class WorkerBeat(Base):
    __tablename__ = "worker_beats"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    swept_at: Mapped[datetime | None] = mapped_column(index=True)
