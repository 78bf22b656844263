"""Console accounts: users, their login sessions, recovery codes, and login-attempt counts.

Secrets are never stored as given: passwords as argon2 hashes, invitation and session tokens
and recovery codes as SHA-256 digests (random values of 64 to 256 bits, so a fast hash is
enough; see `outreach.accounts.credentials`). A database leak therefore logs nobody in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from outreach.db.models.base import Base, utcnow

USER_ROLES = ("viewer", "sender", "admin")


class User(Base):
    """A named console user. `password_hash` is NULL until the invitation is accepted."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(10), default="viewer")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    invite_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # set once enrolment is confirmed
    totp_last_step: Mapped[int] = mapped_column(default=0)  # a TOTP code is accepted only once
    disabled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320), default="")
    last_login_at: Mapped[datetime | None]


class WebSession(Base):
    """One logged-in browser. Deleting the row ends the session, whatever its cookie says.

    `user_id` is NULL for a session opened with the shared OUTREACH_DASHBOARD_PASSWORD (only
    possible while no user exists).
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie token
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class RecoveryCode(Base):
    """A single-use second factor for a user who lost their authenticator."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """Login attempts per key (client address, account) in one fixed window.

    The shared count behind the login limiter when no Redis is configured: every web process
    sees the same rows, and rows of past windows are deleted, so the table stays small.
    """

    __tablename__ = "login_attempts"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    slot: Mapped[int] = mapped_column(primary_key=True, index=True)  # unix time // window
    count: Mapped[int] = mapped_column(default=0)
