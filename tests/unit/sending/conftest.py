"""Fixtures of the sending unit tests: a runtime on an SQLite file with fake ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from outreach.config import Settings
from outreach.db.session import make_engine, upgrade
from outreach.sending.runtime import SendingRuntime
from tests.fixtures.db import make_test_settings
from tests.support.sending import FakeClock, FakeLimiter, FakeSender, fake_compose


@pytest.fixture
def settings(tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'deliver.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return make_test_settings(database_url=url, smtp_url="smtp://127.0.0.1:25",
                              breaker_max_seconds=2.0, slow_down_seconds=3.0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def rt(settings: Settings, clock: FakeClock) -> Iterator[SendingRuntime]:
    runtime = SendingRuntime(settings, sender=FakeSender(clock), limiter=FakeLimiter(clock),
                             compose=fake_compose, clock=clock, name="test:1:abc")
    yield runtime
    runtime.close()
