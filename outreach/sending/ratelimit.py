"""Sending rate limits shared by every worker: a global ceiling and one per recipient domain.

The algorithm is GCRA (the "generic cell rate algorithm", a token bucket that stores one
timestamp per key): for each key, the theoretical arrival time `tat`; a message may go when
`tat - now <= burst_tolerance`, and then `tat += 1/rate`. `RedisRateLimiter` runs it in one
Lua script (one round trip per message, atomic across workers, Redis's clock for everyone);
`LocalRateLimiter` runs the same in-process for the embedded mode.

`wait_time(domain)` returns 0.0 when the message may go now (and takes the token for the
global AND the domain limit), otherwise the seconds to wait (nothing taken).
`slow_down(domain, seconds)` pauses a domain (or everything, with domain "*") on all workers,
e.g. after a 421/452 reply; `server_pause()` is what is left of a whole-server pause.
With no limit configured the limiter still carries pauses (back-pressure needs no
configuration); it then reads them at most every PAUSE_CACHE_SECONDS per bucket, so an
unlimited blast pays a few Redis round trips a second, not one per message.

This is the only module that imports redis (besides Celery's own transport).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Protocol

import redis

from outreach.config import Settings
from outreach.config.rate_limits import RateLimits, parse_rate_limits
from outreach.errors import ConfigError

__all__ = ["LocalRateLimiter", "RateLimiter", "RateLimits", "RedisRateLimiter",
           "limiter_from_settings", "parse_rate_limits"]

log = logging.getLogger(__name__)

GLOBAL = "*"
DEFAULT_BURST_SECONDS = 0.1
REDIS_DOWN_WAIT = 1.0
PAUSE_CACHE_SECONDS = 0.25

# KEYS: global tat, domain tat, global pause, domain pause.
# ARGV: global interval ms, global tolerance ms, domain interval ms, domain tolerance ms
# (interval 0 = unlimited). Returns "0" (go, both tokens taken) or the wait in seconds.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local pause = math.max(redis.call('PTTL', KEYS[3]), redis.call('PTTL', KEYS[4]))
if pause > 0 then return tostring(pause / 1000) end
local function tat_of(key, interval)
  if interval <= 0 then return now end
  return math.max(tonumber(redis.call('GET', key) or now), now)
end
local gi, gt, di, dt = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local gtat, dtat = tat_of(KEYS[1], gi), tat_of(KEYS[2], di)
local wait = math.max(gtat - gt - now, dtat - dt - now, 0)
if wait > 0 then return tostring(wait / 1000) end
local function take(key, tat, interval)
  if interval <= 0 then return end
  redis.call('SET', key, tostring(tat + interval), 'PX', math.ceil(tat + interval - now) + 1000)
end
take(KEYS[1], gtat, gi)
take(KEYS[2], dtat, di)
return '0'
"""

# KEYS: pause key. ARGV: milliseconds. Never shortens a longer pause already set.
_PAUSE = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
"""


class RateLimiter(Protocol):
    def wait_time(self, domain: str) -> float: ...
    def slow_down(self, domain: str, seconds: float) -> None: ...
    def server_pause(self) -> float: ...


class _Rates:
    """Which rate applies to a domain, and the GCRA constants for a rate."""

    def __init__(self, per_second: float | None, domain_limits: dict[str, float],
                 default_domain_per_second: float | None, burst_seconds: float):
        self.per_second = per_second or None
        self.domains = {d.strip().lower(): r for d, r in domain_limits.items()}
        self.default = default_domain_per_second or None
        self.burst_seconds = burst_seconds

    @property
    def unlimited(self) -> bool:
        return self.per_second is None and not self.domains and self.default is None

    def bucket(self, domain: str) -> tuple[str, float | None]:
        """The bucket a recipient domain (or address) counts against: its own or a parent's."""
        domain = domain.rpartition("@")[2].strip().lower().rstrip(".")
        if not domain.isascii():
            with contextlib.suppress(UnicodeError):
                domain = domain.encode("idna").decode("ascii")
        labels = domain.split(".")
        for i in range(len(labels) - 1):
            candidate = ".".join(labels[i:])
            if candidate in self.domains:
                return candidate, self.domains[candidate]
        return domain, self.default

    def gcra(self, rate: float | None) -> tuple[float, float]:
        """(emission interval, burst tolerance) in seconds; (0, 0) means unlimited."""
        if not rate:
            return 0.0, 0.0
        interval = 1.0 / rate
        burst = max(1.0, rate * self.burst_seconds)
        return interval, interval * (burst - 1)


class RedisRateLimiter:
    """Limits shared through Redis by all workers on all machines.

    Keys live under the hash tag `{prefix}` so that one script's keys share a Redis Cluster
    slot. When Redis cannot be reached, `wait_time` answers `REDIS_DOWN_WAIT` seconds (the
    worker holds off and asks again) instead of raising.
    """

    def __init__(self, redis_client: redis.Redis, prefix: str, per_second: float | None,
                 domain_limits: dict[str, float], default_domain_per_second: float | None,
                 *, burst_seconds: float = DEFAULT_BURST_SECONDS):
        self.redis = redis_client
        self.prefix = f"{{{prefix}}}"
        self.rates = _Rates(per_second, domain_limits, default_domain_per_second, burst_seconds)
        self._gcra = redis_client.register_script(_GCRA)
        self._pause = redis_client.register_script(_PAUSE)
        self._paused: dict[str, tuple[float, float]] = {}  # bucket -> (read at, paused until)

    def wait_time(self, domain: str) -> float:
        bucket, rate = self.rates.bucket(domain)
        if self.rates.unlimited:
            return max(self._pause_left(GLOBAL), self._pause_left(bucket))
        gi, gt = self.rates.gcra(self.rates.per_second)
        di, dt = self.rates.gcra(rate)
        keys = [f"{self.prefix}:tat:*", f"{self.prefix}:tat:{bucket}",
                f"{self.prefix}:pause:*", f"{self.prefix}:pause:{bucket}"]
        try:
            answer = self._gcra(keys=keys, args=[gi * 1000, gt * 1000, di * 1000, dt * 1000])
        except redis.RedisError as exc:
            log.warning("rate limiter: Redis unavailable (%s); holding off", exc)
            return REDIS_DOWN_WAIT
        return float(answer)

    def slow_down(self, domain: str, seconds: float) -> None:
        bucket = GLOBAL if domain == GLOBAL else self.rates.bucket(domain)[0]
        now = time.monotonic()
        until = max(self._paused.get(bucket, (0.0, 0.0))[1], now + seconds)
        self._paused[bucket] = (now, until)  # this process obeys at once, whatever Redis does
        try:
            self._pause(keys=[f"{self.prefix}:pause:{bucket}"], args=[max(1, int(seconds * 1000))])
        except redis.RedisError as exc:
            log.warning("rate limiter: could not record a slow-down for %s: %s", bucket, exc)

    def server_pause(self) -> float:
        return self._pause_left(GLOBAL)

    def _pause_left(self, bucket: str) -> float:
        """Seconds left of the pause on `bucket`, read from Redis at most every
        PAUSE_CACHE_SECONDS (0 when Redis is down: claimed mail may still go)."""
        now = time.monotonic()
        read_at, until = self._paused.get(bucket, (-1e9, 0.0))
        if now - read_at >= PAUSE_CACHE_SECONDS:
            try:
                ttl = int(self.redis.pttl(f"{self.prefix}:pause:{bucket}"))
            except redis.RedisError:
                ttl = 0
            until = max(until, now + ttl / 1000) if ttl > 0 else min(until, now)
            self._paused[bucket] = (now, until)
        return max(0.0, until - now)


class LocalRateLimiter:
    """The same limits within one process (embedded mode); thread-safe."""

    def __init__(self, per_second: float | None, domain_limits: dict[str, float],
                 default_domain_per_second: float | None,
                 *, burst_seconds: float = DEFAULT_BURST_SECONDS):
        self.rates = _Rates(per_second, domain_limits, default_domain_per_second, burst_seconds)
        self._tat: dict[str, float] = {}
        self._paused_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait_time(self, domain: str) -> float:
        bucket, rate = self.rates.bucket(domain)
        with self._lock:
            now = time.monotonic()
            pause = max(self._paused_until.get(GLOBAL, 0.0),
                        self._paused_until.get(bucket, 0.0)) - now
            if pause > 0:
                return pause
            limits = [(f"tat:{GLOBAL}", self.rates.per_second), (f"tat:{bucket}", rate)]
            plan = []
            for key, r in limits:
                interval, tolerance = self.rates.gcra(r)
                if interval:
                    tat = max(self._tat.get(key, now), now)
                    plan.append((key, tat, interval, tat - tolerance - now))
            wait = max((w for *_, w in plan), default=0.0)
            if wait > 0:
                return wait
            for key, tat, interval, _ in plan:
                self._tat[key] = tat + interval
            return 0.0

    def slow_down(self, domain: str, seconds: float) -> None:
        bucket = GLOBAL if domain == GLOBAL else self.rates.bucket(domain)[0]
        with self._lock:
            until = time.monotonic() + seconds
            self._paused_until[bucket] = max(self._paused_until.get(bucket, 0.0), until)

    def server_pause(self) -> float:
        with self._lock:
            return max(0.0, self._paused_until.get(GLOBAL, 0.0) - time.monotonic())


def limiter_from_settings(settings: Settings, prefix: str = "outreach:rl",
                          ) -> RedisRateLimiter | LocalRateLimiter:
    """The limiter for OUTREACH_RATE_LIMIT: shared through the broker's Redis when the broker
    is redis:// or rediss://, else in-process (embedded mode)."""
    limits = parse_rate_limits(settings.rate_limit)
    return limiter_from_limits(limits, settings.broker_url, prefix)


def limiter_from_limits(limits: RateLimits, redis_url: str | None, prefix: str = "outreach:rl",
                        ) -> RedisRateLimiter | LocalRateLimiter:
    """A Redis limiter when `redis_url` is a redis:// or rediss:// URL, else a local one."""
    if redis_url and redis_url.startswith("sentinel://"):
        raise ConfigError("OUTREACH_RATE_LIMIT: shared limits need a redis:// broker URL; "
                          "sentinel:// is not supported for them yet")
    if redis_url and redis_url.split("://")[0] in ("redis", "rediss"):
        client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
        return RedisRateLimiter(client, prefix, limits.per_second, dict(limits.domains),
                                limits.default_domain_per_second)
    return LocalRateLimiter(limits.per_second, dict(limits.domains),
                            limits.default_domain_per_second)
