"""Login sessions kept on the server, so that logging out really ends them.

The browser's (signed) cookie holds only a random token; the database holds its digest, the
user and the expiry. Logging out deletes the row, so a cookie copied before the logout is
worthless afterwards; "log out everywhere", a password change and disabling a user delete all
of the user's rows. Sessions expire `SESSION_HOURS` after login, or after `IDLE_HOURS` without
a request; expired rows are deleted whenever someone logs in, so the table stays small.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from outreach.accounts.credentials import digest, new_token
from outreach.accounts.users import any_users
from outreach.db.models import User, WebSession, utcnow

SESSION_HOURS = 12
IDLE_HOURS = 2
SEEN_EVERY = timedelta(minutes=5)  # write `seen_at` at most this often (not on every request)


@dataclass(frozen=True)
class LiveSession:
    """The session a request belongs to; `user` is None for the shared-password session."""

    row: WebSession
    user: User | None


def start(session: Session, user: User | None, now: datetime | None = None) -> str:
    """A new server-side session; returns the token for the cookie."""
    now = now or utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    token = new_token()
    session.add(WebSession(id=digest(token), user_id=user.id if user else None, created_at=now,
                           seen_at=now, expires_at=now + timedelta(hours=SESSION_HOURS)))
    if user is not None:
        user.last_login_at = now
    return token


def load(session: Session, token: str | None, now: datetime | None = None) -> LiveSession | None:
    """The live session for a cookie token, or None (unknown, ended, expired, user disabled)."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    now = now or utcnow()
    row = session.get(WebSession, digest(token))
    if row is None or now >= row.expires_at or now >= row.seen_at + timedelta(hours=IDLE_HOURS):
        return None
    user = session.get(User, row.user_id) if row.user_id is not None else None
    if row.user_id is not None and (user is None or user.disabled_at is not None
                                    or user.password_hash is None):
        return None
    if row.user_id is None and any_users(session):
        return None  # the shared password ended when the first user was added
    if now - row.seen_at >= SEEN_EVERY:
        session.execute(update(WebSession).where(WebSession.id == row.id).values(seen_at=now))
    return LiveSession(row, user)


def end(session: Session, token: str | None) -> None:
    if token and isinstance(token, str):
        session.execute(delete(WebSession).where(WebSession.id == digest(token)))


def end_this_and_earlier(session: Session, row: WebSession) -> int:
    """Logout: this session and every earlier one of the same login (user, or the shared
    password). A session opened later, e.g. on another device after this one, stays."""
    result = session.execute(delete(WebSession).where(
        _same_login(row.user_id), WebSession.created_at <= row.created_at))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _same_login(user_id: int | None) -> Any:
    return WebSession.user_id == user_id if user_id is not None else WebSession.user_id.is_(None)


def end_all(session: Session, user_id: int | None) -> int:
    """Every session of this user, or every shared-password session for None."""
    result = session.execute(delete(WebSession).where(_same_login(user_id)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

