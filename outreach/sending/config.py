"""Tuning knobs for sending, typed in `outreach.config.Settings` (optional OUTREACH_* variables).

| variable                         | default            | meaning                                  |
|----------------------------------|--------------------|------------------------------------------|
| OUTREACH_SEND_BATCH_SIZE         | 200                | message ids per Celery task              |
| OUTREACH_SEND_LEASE_SECONDS      | 120                | a claim expires after this (renewed)     |
| OUTREACH_RETRY_SCHEDULE          | 60,300,900,3600    | backoff per attempt (last one repeats)   |
| OUTREACH_RETRY_JITTER            | 0.2                | +- fraction of random jitter             |
| OUTREACH_RETRY_GIVE_UP_SECONDS   | 172800             | deferred longer than this -> failed      |
| OUTREACH_SWEEP_SECONDS           | 2                  | how often (one of) the workers sweeps    |
| OUTREACH_REQUEUE_AFTER_SECONDS   | 300                | re-enqueue a queued id not taken by then |
|                                  |                    | (sooner when the broker's queues are     |
|                                  |                    | empty: OUTREACH_REQUEUE_IDLE_SECONDS)    |
| OUTREACH_RATE_LIMIT              | "" (unlimited)     | see config.rate_limits |
| OUTREACH_SLOW_DOWN_SECONDS       | 5                  | pause a domain after a 421/452           |
| OUTREACH_SMTP_CONNECTIONS        | 16 (see below)     | SMTP connections per worker process      |
| OUTREACH_BROKER_PREFIX           | ""                 | Redis key prefix (broker and limiter)    |
| OUTREACH_HEARTBEAT_SECONDS       | 2                  | how often each worker says it is alive   |
| OUTREACH_WORKER_DEAD_AFTER_SECONDS | 15               | silent this long: its claims go back     |
| OUTREACH_REQUEUE_IDLE_SECONDS    | 5                  | broker queues empty: republish after it  |
| OUTREACH_SWEEP_STALE_SECONDS     | 60                 | `alert status` warns: nothing swept      |
| OUTREACH_BREAKER_MAX_SECONDS     | 5                  | longest probe interval, SMTP unreachable |
| OUTREACH_DB_RETRY_SECONDS        | 600                | claims and records wait for the database |

The worker layout (`default_processes`, `default_connections`): one sending process per core,
each sending on 16 SMTP connections at once (fewer with many processes, so that one machine
opens at most 32, below Postfix's default limit of 50 per client). A process is on the CPU
for only part of each message and waits for the server's replies and the database's commit
the rest of the time; with several connections it waits for all of them at once, and the
outcomes of one round share one commit. At most one message per connection is ever sent but
unrecorded, as with a single connection (outreach.sending.deliver).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from outreach.config import Settings
from outreach.config.rate_limits import RateLimits, parse_rate_limits

MAX_CONNECTIONS_PER_PROCESS = 16
MAX_DEFAULT_CONNECTIONS = 32  # per machine, by default: below Postfix's 50 per client


@dataclass(frozen=True)
class SendingConfig:
    batch_size: int = 200
    lease_seconds: float = 120.0
    retry_schedule: tuple[float, ...] = (60.0, 300.0, 900.0, 3600.0)
    retry_jitter: float = 0.2
    give_up_seconds: float = 172800.0
    sweep_seconds: float = 2.0
    requeue_after_seconds: float = 300.0
    rate_limits: RateLimits = field(default_factory=RateLimits)
    slow_down_seconds: float = 5.0
    smtp_connections: int = MAX_CONNECTIONS_PER_PROCESS  # one process: default_connections(1)
    broker_prefix: str = ""
    heartbeat_seconds: float = 2.0
    worker_dead_after_seconds: float = 15.0
    requeue_idle_seconds: float = 5.0
    sweep_stale_seconds: float = 60.0
    breaker_max_seconds: float = 5.0
    db_retry_seconds: float = 600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SendingConfig:
        """The knobs as typed and checked by `outreach.config.Settings`."""
        return cls(
            batch_size=settings.send_batch_size,
            lease_seconds=settings.send_lease_seconds,
            retry_schedule=settings.retry_schedule,
            retry_jitter=settings.retry_jitter,
            give_up_seconds=settings.retry_give_up_seconds,
            sweep_seconds=settings.sweep_seconds,
            requeue_after_seconds=settings.requeue_after_seconds,
            rate_limits=parse_rate_limits(settings.rate_limit),
            slow_down_seconds=settings.slow_down_seconds,
            smtp_connections=settings.smtp_connections or default_connections(
                settings.worker_concurrency or default_processes()),
            broker_prefix=settings.broker_prefix,
            heartbeat_seconds=settings.heartbeat_seconds,
            worker_dead_after_seconds=settings.worker_dead_after_seconds,
            requeue_idle_seconds=settings.requeue_idle_seconds,
            sweep_stale_seconds=settings.sweep_stale_seconds,
            breaker_max_seconds=settings.breaker_max_seconds,
            db_retry_seconds=settings.db_retry_seconds,
        )


def default_processes() -> int:
    """Sending processes of one worker: one per core."""
    return os.cpu_count() or 1


def default_connections(processes: int) -> int:
    """SMTP connections per sending process when OUTREACH_SMTP_CONNECTIONS is not set."""
    return max(1, min(MAX_CONNECTIONS_PER_PROCESS, MAX_DEFAULT_CONNECTIONS // max(1, processes)))


def backoff_seconds(schedule: tuple[float, ...], attempts: int, jitter: float,
                    rng: random.Random | None = None) -> float:
    """Delay before retry number `attempts` (1 = after the first failure), with +-jitter."""
    base = schedule[min(max(attempts, 1), len(schedule)) - 1]
    spread = base * jitter
    return max(0.0, base + (rng or random).uniform(-spread, spread))


def gives_up(first_attempt_at: datetime, now: datetime, give_up_seconds: float) -> bool:
    """True when a message has been failing for longer than the give-up time."""
    return now - first_attempt_at >= timedelta(seconds=give_up_seconds)
