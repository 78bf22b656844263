"""OUTREACH_GUARD_* settings: typed, range-checked, named in the error."""

from __future__ import annotations

import pytest

from outreach.config import load_settings
from outreach.errors import ConfigError
from outreach.sending.guard.rules import GuardLimits


def test_defaults_and_environment(tmp_path) -> None:
    defaults = GuardLimits.from_settings(load_settings({}, dotenv=tmp_path / "none"))
    assert defaults == GuardLimits(hard_bounce_percent=5.0, min_attempts=200,
                                   complaint_percent=0.3, policy_rejections=3, policy_domains=3)
    env = {"OUTREACH_GUARD_HARD_BOUNCE_PERCENT": "8", "OUTREACH_GUARD_MIN_ATTEMPTS": "50",
           "OUTREACH_GUARD_NAMESERVER": "127.0.0.1:5353"}
    settings = load_settings(env, dotenv=tmp_path / "none")
    assert settings.guard_hard_bounce_percent == 8.0 and settings.guard_min_attempts == 50
    assert settings.guard_nameserver == "127.0.0.1:5353"


@pytest.mark.parametrize(("var", "value", "message"), [
    ("OUTREACH_GUARD_MIN_ATTEMPTS", "many", "^OUTREACH_GUARD_MIN_ATTEMPTS: .*integer"),
    ("OUTREACH_GUARD_COMPLAINT_PERCENT", "101", "less than or equal to 100"),
    ("OUTREACH_GUARD_POLICY_DOMAINS", "0", "OUTREACH_GUARD_POLICY_DOMAINS"),
])
def test_bad_values_are_named(tmp_path, var: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({var: value}, dotenv=tmp_path / "none")
