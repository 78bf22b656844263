"""Login rate limiting: one count shared by every web process, in bounded space.

gunicorn runs several worker processes; a count kept inside each process would give an
attacker one allowance per worker (issue 14, point 9). So the count lives outside them:

- in Redis when the broker is Redis (the `limits` library's fixed window; keys expire with
  their window, so Redis holds only the current minute's clients);
- otherwise in the database (`login_attempts`: one row per key and window, incremented by an
  atomic upsert; rows of past windows are deleted on the way, so the table holds only the
  current window's keys).

If Redis is unreachable the database takes over, so the limit never silently disappears.
Each attempt is counted per client address and per account named in the form.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from outreach.config import Settings
from outreach.db.models import LoginAttempt
from outreach.db.session import session_scope

WINDOW = 60
DEFAULT_LIMIT = 5


class LoginLimiter(Protocol):
    def allow(self, client: str) -> bool:
        """Count one attempt from `client`; False if it is over the limit."""


class DatabaseLoginLimiter:
    """Fixed windows counted in the `login_attempts` table (works across processes)."""

    def __init__(self, sessions: sessionmaker[Session], limit: int = DEFAULT_LIMIT,
                 window: int = WINDOW) -> None:
        self.sessions, self.limit, self.window = sessions, limit, window

    def allow(self, client: str) -> bool:
        slot = int(time.time() // self.window)
        with session_scope(self.sessions) as session:
            session.execute(delete(LoginAttempt).where(LoginAttempt.slot < slot))
            count = session.execute(_increment(session, client[:200], slot)).scalar_one()
        return int(count) <= self.limit


def _increment(session: Session, key: str, slot: int) -> Any:
    """INSERT … ON CONFLICT DO UPDATE … RETURNING count, in the backend's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(LoginAttempt).values(key=key, slot=slot, count=1)
    return stmt.on_conflict_do_update(
        index_elements=["key", "slot"], set_={"count": LoginAttempt.count + 1}
    ).returning(LoginAttempt.count)


class RedisLoginLimiter:
    """The `limits` library's fixed window in Redis; the database while Redis is away."""

    def __init__(self, url: str, prefix: str, fallback: LoginLimiter,
                 limit: int = DEFAULT_LIMIT, window: int = WINDOW) -> None:
        from limits import RateLimitItemPerSecond
        from limits.storage import RedisStorage
        from limits.strategies import FixedWindowRateLimiter

        storage = RedisStorage(url, key_prefix=prefix, wrap_exceptions=True,
                               socket_connect_timeout=1, socket_timeout=1)
        self.strategy = FixedWindowRateLimiter(storage)
        self.item = RateLimitItemPerSecond(limit, window)
        self.fallback = fallback

    def allow(self, client: str) -> bool:
        from limits.errors import StorageError

        try:
            return bool(self.strategy.hit(self.item, client))
        except StorageError:
            return self.fallback.allow(client)


def make_limiter(settings: Settings, sessions: sessionmaker[Session]) -> LoginLimiter:
    """OUTREACH_DASHBOARD_LOGIN_LIMIT (attempts per minute, default 5) and the broker's Redis."""
    limit = settings.dashboard_login_limit
    database = DatabaseLoginLimiter(sessions, limit)
    url = settings.broker_url or ""
    if url.startswith(("redis://", "rediss://")):
        prefix = settings.broker_prefix + settings.dashboard_limit_prefix
        return RedisLoginLimiter(url, prefix, database, limit)
    return database
