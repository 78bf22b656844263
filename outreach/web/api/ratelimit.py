"""Per-token request limits, shared by every web process through Redis (the `limits` library).

OUTREACH_API_RATE_LIMIT (default `600/minute`) is a `limits` expression, e.g. `20/second`.
With a Redis broker the counters live there (under the broker's key prefix), so the limit
holds across gunicorn workers and machines; without one, each process counts on its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from outreach.config import Settings


@dataclass
class TokenLimiter:
    item: RateLimitItem
    limiter: MovingWindowRateLimiter

    def hit(self, token_id: int) -> float | None:
        """Count one request; None if allowed, else seconds until the next one is."""
        key = str(token_id)
        if self.limiter.hit(self.item, "api-token", key):
            return None
        stats = self.limiter.get_window_stats(self.item, "api-token", key)
        return max(1.0, stats.reset_time - time.time())


def make_token_limiter(settings: Settings) -> TokenLimiter:
    item = parse(settings.api_rate_limit)  # checked when the settings were loaded
    storage: Storage = MemoryStorage()
    broker = settings.broker_url or ""
    if broker.startswith(("redis://", "rediss://")):
        prefix = settings.broker_prefix + "outreach-api-limits"
        storage = storage_from_string(broker, key_prefix=prefix)
    return TokenLimiter(item, MovingWindowRateLimiter(storage))
