"""Dashboard login pieces without a server: limiter windows, password check, safe redirects."""

from __future__ import annotations

import pytest

from outreach.errors import ConfigError
from outreach.web.dashboard.auth import password_matches
from outreach.web.dashboard.limiter import (
    LocalLoginLimiter,
    RedisLoginLimiter,
    make_limiter,
    redis_client,
)
from tests.fixtures.db import make_test_settings


def test_local_limiter_counts_per_client_and_window(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("outreach.web.dashboard.limiter.time.monotonic", lambda: now[0])
    limiter = LocalLoginLimiter(limit=3, window=60)
    assert [limiter.allow("10.0.0.1") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("10.0.0.2")
    now[0] += 61
    assert limiter.allow("10.0.0.1")


def test_password_check():
    settings = make_test_settings(dashboard_password="s3cret pass")
    assert password_matches(settings, "s3cret pass")
    assert not password_matches(settings, "s3cret pass ")
    assert not password_matches(settings, "")
    assert not password_matches(make_test_settings(), "")  # unset: nothing matches


def test_make_limiter_choices():
    assert isinstance(make_limiter(make_test_settings()), LocalLoginLimiter)
    redis_settings = make_test_settings(broker_url="redis://127.0.0.1:6379/0")
    assert isinstance(make_limiter(redis_settings), RedisLoginLimiter)
    with pytest.raises(ConfigError):
        make_test_settings(dashboard_login_limit="many")


def test_redis_limiter_falls_back_when_redis_is_down():
    client = redis_client("redis://127.0.0.1:1/0")
    limiter = RedisLoginLimiter(client, "t", limit=2)
    assert [limiter.allow("a") for _ in range(3)] == [True, True, False]
