"""Login rate limiting per client address: in-process, or in Redis when the broker is Redis.

Fixed one-minute windows: at most `limit` login attempts per address per window. Redis keeps
the count shared by every web process behind the proxy; in-process counting is enough for a
single gunicorn worker and for tests.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Protocol

from outreach.config import Settings

WINDOW = 60.0
DEFAULT_LIMIT = 5


class LoginLimiter(Protocol):
    def allow(self, client: str) -> bool:
        """Count one attempt from `client`; False if it is over the limit."""


class LocalLoginLimiter:
    def __init__(self, limit: int = DEFAULT_LIMIT, window: float = WINDOW) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients so memory stays bounded
                self._hits = {k: v for k, v in self._hits.items() if v}
            return True


class RedisLoginLimiter:
    def __init__(self, client: Any, prefix: str, limit: int = DEFAULT_LIMIT,
                 window: float = WINDOW) -> None:
        self.client, self.prefix, self.limit, self.window = client, prefix, limit, window
        self._fallback = LocalLoginLimiter(limit, window)

    def allow(self, client: str) -> bool:
        """Shared count in Redis; while Redis is unreachable, count in this process."""
        import redis

        slot = int(time.time() // self.window)
        key = f"{self.prefix}:{client}:{slot}"
        try:
            pipe = self.client.pipeline()
            pipe.incr(key)
            pipe.expire(key, int(self.window) + 1)
            count, _ = pipe.execute()
        except redis.RedisError:
            return self._fallback.allow(client)
        return int(count) <= self.limit


def make_limiter(settings: Settings) -> LoginLimiter:
    """OUTREACH_DASHBOARD_LOGIN_LIMIT (attempts per minute, default 5) and the broker's Redis."""
    limit = settings.dashboard_login_limit
    url = settings.broker_url or ""
    if url.startswith(("redis://", "rediss://")):
        return RedisLoginLimiter(redis_client(url), settings.dashboard_limit_prefix, limit)
    return LocalLoginLimiter(limit)


def redis_client(url: str) -> Any:
    """Short timeouts and no retries: a login page must not hang while Redis is away."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1,
                                retry=Retry(NoBackoff(), 0))
