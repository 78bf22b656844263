"""API tokens and idempotency keys.

A token is stored only as its SHA-256 digest (it is 32 random bytes: nothing to brute-force)
plus a short visible prefix, so a leaked token can be recognised and revoked by its prefix.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.db.models.base import Base, utcnow
from outreach.db.models.users import User

TOKEN_SCOPES = ("read", "send", "admin")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(16), index=True)  # "otr_" + 8 characters
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str | None] = mapped_column(String(10))  # None: the user's own role
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320), default="")
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class IdempotencyKey(Base):
    """The stored answer to a request made with an `Idempotency-Key` header (per token)."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    route: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]  # None while the first request is still running
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("token_id", "key"),)
