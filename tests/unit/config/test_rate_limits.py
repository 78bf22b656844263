"""OUTREACH_RATE_LIMIT parsing and the in-process limiter's arithmetic (no Redis)."""

from __future__ import annotations

import pytest

from outreach.config import load_settings
from outreach.config.rate_limits import parse_rate, parse_rate_limits
from outreach.errors import ConfigError
from outreach.sending.ratelimit import LocalRateLimiter, _Rates


def test_parse_full_example() -> None:
    limits = parse_rate_limits("10/s;gmail.com=2/s;*=5/s")
    assert limits.per_second == 10
    assert dict(limits.domains) == {"gmail.com": 2}
    assert limits.default_domain_per_second == 5
    assert not limits.unlimited


@pytest.mark.parametrize(("text", "per_second"), [
    ("5", 5.0), ("5/s", 5.0), ("120/m", 2.0), ("120/min", 2.0), ("3600/h", 1.0),
    ("0.5/s", 0.5), (" 10 / s ", 10.0), ("none", None), ("unlimited", None),
])
def test_parse_rate_units(text: str, per_second: float | None) -> None:
    assert parse_rate(text) == per_second


def test_empty_means_unlimited() -> None:
    for text in (None, "", " ; "):
        assert parse_rate_limits(text).unlimited


def test_domains_are_normalised() -> None:
    limits = parse_rate_limits("Example.ORG.=1/s; bücher.example=3/m")
    assert dict(limits.domains) == {"example.org": 1.0, "xn--bcher-kva.example": 0.05}


@pytest.mark.parametrize(("text", "message"), [
    ("fast", "'fast' is not a rate"),
    ("10/d", "'10/d' is not a rate"),
    ("0/s", "must be above 0"),
    ("-1/s", "is not a rate"),
    ("10/s;20/s", "a second global rate"),
    ("*=1/s;*=2/s", "'*' is given twice"),
    ("example.org=1/s;EXAMPLE.org=2/s", "example.org is given twice"),
    ("example.org=none", "needs a rate"),
    ("exa mple.org=1/s", "is not a domain name"),
    ("example.org=", "is not a rate"),
])
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"^OUTREACH_RATE_LIMIT: ") as info:
        parse_rate_limits(text)
    assert message in str(info.value)


def test_settings_validate_the_rate_limit() -> None:
    settings = load_settings({"OUTREACH_RATE_LIMIT": "10/s;*=1/s"})
    assert settings.rate_limit == "10/s;*=1/s"
    with pytest.raises(ConfigError, match="OUTREACH_RATE_LIMIT"):
        load_settings({"OUTREACH_RATE_LIMIT": "lots"})


def test_bucket_uses_listed_parent_domain_else_own() -> None:
    rates = _Rates(None, {"example.org": 2.0}, 5.0, 0.1)
    assert rates.bucket("mx.Example.org") == ("example.org", 2.0)
    assert rates.bucket("anna@example.org") == ("example.org", 2.0)
    assert rates.bucket("example.net") == ("example.net", 5.0)
    assert rates.bucket("bücher.example") == ("xn--bcher-kva.example", 5.0)


def test_local_limiter_spaces_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("outreach.sending.ratelimit.time.monotonic", lambda: clock[0])
    limiter = LocalRateLimiter(10, {"example.org": 2}, None)
    assert limiter.wait_time("example.org") == 0
    assert limiter.wait_time("example.org") == pytest.approx(0.5)  # 2/s: 0.5 s apart
    assert limiter.wait_time("example.net") == pytest.approx(0.1)  # global 10/s: 0.1 s apart
    clock[0] += 0.1
    assert limiter.wait_time("example.net") == 0  # no limit of its own
    assert limiter.wait_time("example.org") == pytest.approx(0.4)  # nothing taken meanwhile
    clock[0] += 0.4
    assert limiter.wait_time("example.org") == 0


def test_local_limiter_burst_and_unlimited(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [50.0]
    monkeypatch.setattr("outreach.sending.ratelimit.time.monotonic", lambda: clock[0])
    burst = LocalRateLimiter(100, {}, None)  # 100/s with 0.1 s of burst: 10 at once
    assert [burst.wait_time("example.org") for _ in range(11)].count(0) == 10
    free = LocalRateLimiter(None, {}, None)
    assert all(free.wait_time("example.org") == 0 for _ in range(1000))


def test_local_slow_down_pauses_domain_or_all(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]
    monkeypatch.setattr("outreach.sending.ratelimit.time.monotonic", lambda: clock[0])
    limiter = LocalRateLimiter(None, {}, None)
    limiter.slow_down("example.org", 30)
    limiter.slow_down("example.org", 5)  # never shortens a longer pause
    assert limiter.wait_time("example.org") == pytest.approx(30)
    assert limiter.wait_time("mx.example.org") == 0  # unlisted: its own bucket, not paused
    assert limiter.wait_time("example.net") == 0
    limiter.slow_down("*", 10)
    assert limiter.wait_time("example.net") == pytest.approx(10)
    clock[0] = 31
    assert limiter.wait_time("example.org") == 0
