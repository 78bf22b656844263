"""Backoff schedule, jitter, give-up time and the outcome plan (pure)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from outreach.config import load_settings
from outreach.errors import ConfigError
from outreach.sending.config import SendingConfig, backoff_seconds, gives_up
from outreach.sending.record import plan_outcome
from outreach.sending.sweeper import uncertain_ids

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SCHEDULE = (60.0, 300.0, 900.0)


@pytest.mark.parametrize(("attempts", "base"), [(0, 60), (1, 60), (2, 300), (3, 900), (9, 900)])
def test_backoff_follows_the_schedule_and_repeats_the_last(attempts, base):
    assert backoff_seconds(SCHEDULE, attempts, 0.0) == base


def test_jitter_stays_within_the_fraction_and_varies():
    rng = random.Random(4)
    delays = [backoff_seconds(SCHEDULE, 2, 0.2, rng) for _ in range(200)]
    assert all(240 <= d <= 360 for d in delays)
    assert len({round(d, 3) for d in delays}) > 100


def test_gives_up_after_the_configured_time():
    assert not gives_up(NOW, NOW + timedelta(seconds=99), 100)
    assert gives_up(NOW, NOW + timedelta(seconds=100), 100)


def config(**environ: str) -> SendingConfig:
    return SendingConfig.from_settings(load_settings(environ))


def test_config_from_the_environment():
    cfg = config(OUTREACH_RETRY_SCHEDULE="0.5, 1,2", OUTREACH_SEND_BATCH_SIZE="50",
                 OUTREACH_RETRY_GIVE_UP_SECONDS="30", OUTREACH_RATE_LIMIT="10/s;example.net=2/s")
    assert cfg.retry_schedule == (0.5, 1.0, 2.0) and cfg.batch_size == 50
    assert cfg.give_up_seconds == 30 and cfg.rate_limits.per_second == 10
    assert config().retry_schedule == (60.0, 300.0, 900.0, 3600.0)


@pytest.mark.parametrize(("var", "value"), [("OUTREACH_RETRY_SCHEDULE", "soon"),
                                            ("OUTREACH_SEND_BATCH_SIZE", "-1"),
                                            ("OUTREACH_SEND_LEASE_SECONDS", "x")])
def test_bad_config_names_the_variable(var, value):
    with pytest.raises(ConfigError, match=var):
        config(**{var: value})


def plan(outcome: str, code: int, *, attempts: int = 1, age: float = 0, uncertain=False):
    cfg = SendingConfig(retry_schedule=SCHEDULE, retry_jitter=0.0, give_up_seconds=3600)
    return plan_outcome(outcome, code, "text", uncertain, attempts=attempts,
                        first_attempt_at=NOW - timedelta(seconds=age), now=NOW, config=cfg)


def test_outcome_plans():
    assert plan("sent", 250).status == "sent"
    bounced = plan("bounced", 550)
    assert (bounced.event, bounced.status, bounced.next_attempt_at) == ("smtp_bounced",
                                                                        "bounced", None)
    deferred = plan("deferred", 451, attempts=2)
    assert deferred.status == "deferred"
    assert deferred.next_attempt_at == NOW + timedelta(seconds=300)
    assert plan("deferred", 0, uncertain=True).uncertain
    late = plan("deferred", 451, age=3600)
    assert (late.event, late.status, late.next_attempt_at) == ("give_up", "failed", None)


def test_uncertain_is_the_lowest_unrecorded_id_per_claim():
    rows = [(12, "w1:a"), (11, "w1:a"), (13, "w1:a"), (40, "w2:b"), (41, "w2:b")]
    assert uncertain_ids(rows) == {11, 40}
    assert uncertain_ids([]) == set()


def test_a_claim_on_n_connections_flags_its_lowest_n():
    rows = [(15, "h:1:r:a-3"), (12, "h:1:r:a-3"), (13, "h:1:r:a-3"), (11, "h:1:r:a-3"),
            (40, "h-2:9:r:b"), (41, "h-2:9:r:b"), (50, "h:1:r:c-8")]
    assert uncertain_ids(rows) == {11, 12, 13, 40, 50}


def test_claim_tokens_say_how_many_messages_may_be_in_flight():
    from outreach.sending.claim import claim_token, lanes_of
    from outreach.sending.sweeper import worker_of

    for lanes in (1, 2, 8):
        token = claim_token("mail-1.example.org:42:ab12cd", lanes)
        assert lanes_of(token) == lanes
        assert worker_of(token) == "mail-1.example.org:42:ab12cd"
    assert claim_token("h:1:r", 1).count("-") == 0  # the tokens of one connection are as before
    assert [lanes_of(t) for t in ("h:1:r:abc", None, "h:1:r:abc-0", "h:1:r:abc-x")] == [1] * 4
