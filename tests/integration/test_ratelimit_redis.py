"""RedisRateLimiter on the machine's Redis: limits shared between limiter instances."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from outreach.config import Settings
from outreach.sending.ratelimit import (
    REDIS_DOWN_WAIT,
    LocalRateLimiter,
    RedisRateLimiter,
    limiter_from_settings,
)
from tests.fixtures.services import REDIS_URL, port_open, require


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    parts = urlsplit(REDIS_URL)
    require("Redis", port_open(parts.hostname or "127.0.0.1", parts.port or 6379),
            f"{REDIS_URL} (start it: redis-server --daemonize yes)")
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def prefix(redis_client: redis.Redis) -> Iterator[str]:
    name = f"test-rl-{uuid.uuid4().hex}"
    yield name
    keys = list(redis_client.scan_iter(match=f"{{{name}}}:*"))
    if keys:
        redis_client.delete(*keys)


def pair(client: redis.Redis, prefix: str, *args: object, **kwargs: object):
    return (RedisRateLimiter(client, prefix, *args, **kwargs),  # type: ignore[arg-type]
            RedisRateLimiter(redis.Redis.from_url(REDIS_URL), prefix, *args, **kwargs))  # type: ignore[arg-type]


def drain(limiters, domain: str, seconds: float) -> int:
    """Two 'workers' take turns for `seconds`; count the messages allowed."""
    allowed, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        for limiter in limiters:
            wait = limiter.wait_time(domain)
            if wait == 0:
                allowed += 1
            else:
                time.sleep(min(wait, 0.005))
    return allowed


def test_two_instances_share_the_domain_limit(redis_client: redis.Redis, prefix: str) -> None:
    limiters = pair(redis_client, prefix, None, {"example.org": 20}, None)
    allowed = drain(limiters, "example.org", 1.0)
    assert 12 <= allowed <= 22  # 20/s (+2 burst) shared, not 20/s each; low bound: slow CI


def test_global_ceiling_spans_domains(redis_client: redis.Redis, prefix: str) -> None:
    a, b = pair(redis_client, prefix, 30, {}, None)
    allowed, end = 0, time.monotonic() + 1.0
    while time.monotonic() < end:
        for limiter, domain in ((a, "example.org"), (b, "example.net")):
            wait = limiter.wait_time(domain)
            allowed += wait == 0
            time.sleep(0 if wait == 0 else min(wait, 0.005))
    assert 18 <= allowed <= 33  # 30/s + a burst of 3, over both domains


def test_wait_answers_without_taking(redis_client: redis.Redis, prefix: str) -> None:
    a, b = pair(redis_client, prefix, None, {"example.org": 2}, 100)
    assert a.wait_time("anna@example.org") == 0
    waits = [b.wait_time("example.org") for _ in range(5)]
    assert all(0.4 < w <= 0.5 for w in waits)  # asking again took nothing
    assert a.wait_time("example.net") == 0  # another domain has its own bucket


def test_slow_down_is_seen_by_the_other_instance(redis_client: redis.Redis, prefix: str) -> None:
    a, b = pair(redis_client, prefix, None, {}, None)
    # Pauses of seconds, not tenths: a loaded CI machine may stall this process for a while.
    a.slow_down("example.org", 2.0)
    wait = b.wait_time("example.org")
    assert 1.0 < wait <= 2.0 + 1e-6  # the limiter works in float seconds
    assert b.wait_time("example.net") == 0
    b.slow_down("example.org", 0.1)  # does not shorten the longer pause
    assert b.wait_time("example.org") > 0.5
    time.sleep(wait + 0.05)
    assert a.wait_time("example.org") == 0


def test_global_slow_down_pauses_every_domain(redis_client: redis.Redis, prefix: str) -> None:
    a, b = pair(redis_client, prefix, None, {}, None)
    a.slow_down("*", 2.0)
    assert b.wait_time("example.net") > 1.0 and b.wait_time("example.org") > 1.0


def test_keys_expire_and_share_one_cluster_slot(redis_client: redis.Redis, prefix: str) -> None:
    limiter = RedisRateLimiter(redis_client, prefix, 10, {"example.org": 5}, None)
    limiter.wait_time("example.org")
    keys = sorted(k.decode() for k in redis_client.scan_iter(match=f"{{{prefix}}}:*"))
    assert keys == [f"{{{prefix}}}:tat:*", f"{{{prefix}}}:tat:example.org"]
    assert all(0 < redis_client.pttl(k) <= 2000 for k in keys)


def test_redis_down_means_hold_off_not_crash() -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    limiter = RedisRateLimiter(dead, "x", 10, {}, None)
    assert limiter.wait_time("example.org") == REDIS_DOWN_WAIT
    limiter.slow_down("example.org", 5)  # logged, not raised


def test_limiter_from_settings_picks_by_broker(redis_client: redis.Redis) -> None:
    shared = limiter_from_settings(Settings(broker_url=REDIS_URL, rate_limit="10/s"))
    assert isinstance(shared, RedisRateLimiter) and shared.rates.per_second == 10
    local = limiter_from_settings(Settings(broker_url=None, rate_limit="*=2/s"))
    assert isinstance(local, LocalRateLimiter) and local.rates.default == 2
