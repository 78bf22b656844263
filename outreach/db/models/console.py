"""What the organiser console keeps besides the mail itself: saved segments and uploads
waiting for their confirmation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from outreach.db.models.base import Base, utcnow


class SavedSegment(Base):
    """A segment kept by name (`--segment NAME` in the CLI, the segment builder on the web).

    An alert copies the definition when it is created, so editing a saved segment never
    changes who an existing alert goes to."""

    __tablename__ = "saved_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PendingUpload(Base):
    """A CSV uploaded for import, kept between its dry run and its confirmation.

    In the database rather than on the web server's disk: the web app is stateless behind a
    proxy, and the confirm request may reach another instance."""

    __tablename__ = "pending_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(300))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
