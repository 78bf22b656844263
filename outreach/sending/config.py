"""Tuning knobs for sending, read from `Settings.extra` (optional OUTREACH_* variables).

| variable                         | default            | meaning                                  |
|----------------------------------|--------------------|------------------------------------------|
| OUTREACH_SEND_BATCH_SIZE         | 200                | message ids per Celery task              |
| OUTREACH_SEND_LEASE_SECONDS      | 120                | a claim expires after this (renewed)     |
| OUTREACH_RETRY_SCHEDULE          | 60,300,900,3600    | backoff per attempt (last one repeats)   |
| OUTREACH_RETRY_JITTER            | 0.2                | +- fraction of random jitter             |
| OUTREACH_RETRY_GIVE_UP_SECONDS   | 172800             | deferred longer than this -> failed      |
| OUTREACH_SWEEP_SECONDS           | 5                  | how often beat runs the sweeper          |
| OUTREACH_REQUEUE_AFTER_SECONDS   | 300                | re-enqueue a queued id not taken by then |
| OUTREACH_RATE_LIMIT              | "" (unlimited)     | see sending.ratelimit_config |
| OUTREACH_SLOW_DOWN_SECONDS       | 5                  | pause a domain after a 421/452           |
| OUTREACH_SMTP_CONNECTIONS        | 1                  | SMTP connections per worker process      |
| OUTREACH_BROKER_PREFIX           | ""                 | Redis key prefix (broker and limiter)    |
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from outreach.config import Settings
from outreach.errors import ConfigError
from outreach.sending.ratelimit_config import RateLimits, parse_rate_limits


@dataclass(frozen=True)
class SendingConfig:
    batch_size: int = 200
    lease_seconds: float = 120.0
    retry_schedule: tuple[float, ...] = (60.0, 300.0, 900.0, 3600.0)
    retry_jitter: float = 0.2
    give_up_seconds: float = 172800.0
    sweep_seconds: float = 5.0
    requeue_after_seconds: float = 300.0
    rate_limits: RateLimits = field(default_factory=RateLimits)
    slow_down_seconds: float = 5.0
    smtp_connections: int = 1
    broker_prefix: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> SendingConfig:
        extra = settings.extra
        return cls(
            batch_size=_int(extra, "OUTREACH_SEND_BATCH_SIZE", cls.batch_size),
            lease_seconds=_float(extra, "OUTREACH_SEND_LEASE_SECONDS", cls.lease_seconds),
            retry_schedule=_schedule(extra.get("OUTREACH_RETRY_SCHEDULE"), cls.retry_schedule),
            retry_jitter=_float(extra, "OUTREACH_RETRY_JITTER", cls.retry_jitter),
            give_up_seconds=_float(extra, "OUTREACH_RETRY_GIVE_UP_SECONDS", cls.give_up_seconds),
            sweep_seconds=_float(extra, "OUTREACH_SWEEP_SECONDS", cls.sweep_seconds),
            requeue_after_seconds=_float(extra, "OUTREACH_REQUEUE_AFTER_SECONDS",
                                         cls.requeue_after_seconds),
            rate_limits=parse_rate_limits(extra.get("OUTREACH_RATE_LIMIT")),
            slow_down_seconds=_float(extra, "OUTREACH_SLOW_DOWN_SECONDS", cls.slow_down_seconds),
            smtp_connections=_int(extra, "OUTREACH_SMTP_CONNECTIONS", cls.smtp_connections),
            broker_prefix=extra.get("OUTREACH_BROKER_PREFIX", "").strip(),
        )


def backoff_seconds(schedule: tuple[float, ...], attempts: int, jitter: float,
                    rng: random.Random | None = None) -> float:
    """Delay before retry number `attempts` (1 = after the first failure), with +-jitter."""
    base = schedule[min(max(attempts, 1), len(schedule)) - 1]
    spread = base * jitter
    return max(0.0, base + (rng or random).uniform(-spread, spread))


def gives_up(first_attempt_at: datetime, now: datetime, give_up_seconds: float) -> bool:
    """True when a message has been failing for longer than the give-up time."""
    return now - first_attempt_at >= timedelta(seconds=give_up_seconds)


def _int(extra: object, var: str, default: int) -> int:
    return int(_float(extra, var, default))


def _float(extra: object, var: str, default: float) -> float:
    raw = extra.get(var, "").strip()  # type: ignore[attr-defined]
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{var}: {raw!r} is not a number") from None
    if value < 0:
        raise ConfigError(f"{var}: must not be negative")
    return value


def _schedule(raw: str | None, default: tuple[float, ...]) -> tuple[float, ...]:
    if not raw or not raw.strip():
        return default
    try:
        values = tuple(float(x) for x in raw.split(",") if x.strip())
    except ValueError:
        raise ConfigError(f"OUTREACH_RETRY_SCHEDULE: {raw!r}: expected seconds like 60,300"
                          ) from None
    if not values or min(values) < 0:
        raise ConfigError("OUTREACH_RETRY_SCHEDULE: give at least one non-negative delay")
    return values
