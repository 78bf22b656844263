"""Dashboard login pieces without a server: limiter choice and fallback, password check."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker

from outreach.errors import ConfigError
from outreach.web.dashboard.auth import password_matches
from outreach.web.dashboard.limiter import (
    DatabaseLoginLimiter,
    RedisLoginLimiter,
    make_limiter,
)
from tests.fixtures.db import make_test_settings


class CountingLimiter:
    def __init__(self, limit: int) -> None:
        self.limit, self.seen = limit, 0

    def allow(self, client: str) -> bool:
        self.seen += 1
        return self.seen <= self.limit


def test_password_check():
    settings = make_test_settings(dashboard_password="s3cret pass")
    assert password_matches(settings, "s3cret pass")
    assert not password_matches(settings, "s3cret pass ")
    assert not password_matches(settings, "")
    assert not password_matches(make_test_settings(), "")  # unset: nothing matches


def test_make_limiter_choices():
    sessions = sessionmaker()
    assert isinstance(make_limiter(make_test_settings(), sessions), DatabaseLoginLimiter)
    redis_settings = make_test_settings(broker_url="redis://127.0.0.1:6379/0")
    assert isinstance(make_limiter(redis_settings, sessions), RedisLoginLimiter)
    with pytest.raises(ConfigError, match="OUTREACH_DASHBOARD_LOGIN_LIMIT"):
        make_test_settings(dashboard_login_limit="many")


def test_redis_limiter_falls_back_to_the_shared_store_when_redis_is_down():
    fallback = CountingLimiter(limit=2)
    limiter = RedisLoginLimiter("redis://127.0.0.1:1/0", "t", fallback, limit=2)
    assert [limiter.allow("a") for _ in range(3)] == [True, True, False]
    assert fallback.seen == 3  # every attempt was counted by the fallback, none lost
