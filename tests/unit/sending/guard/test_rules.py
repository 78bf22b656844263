"""The guard's pure rules: which replies are policy rejections, when each limit trips."""

from __future__ import annotations

import pytest

from outreach.errors import UserError
from outreach.sending.guard import rules
from outreach.sending.guard.rules import Figures, GuardLimits

LIMITS = GuardLimits()


@pytest.mark.parametrize(("code", "text", "policy"), [
    (550, "550 5.7.1 blocked", True),
    (550, "5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
     True),
    (550, "5.7.26 This mail is unauthenticated, which poses a security risk", True),
    (553, "553 Connections will not be accepted from 192.0.2.1: the IP is blacklisted", True),
    (554, "Message rejected as spam", True),
    (550, "5.1.1 <gone@example.org>: User unknown", False),
    (550, "5.1.1 User unknown (blocked mailboxes are not reported)", False),  # the address
    (552, "5.2.2 Mailbox full", False),
    (550, "Mailbox unavailable", False),
    (421, "4.7.0 Our system has detected an unusual rate of unsolicited mail", False),  # temporary
    (451, "blocked, try later", False),
])
def test_policy_rejections_are_told_from_bad_addresses(code: int, text: str,
                                                      policy: bool) -> None:
    assert rules.is_policy_rejection(code, text) is policy


def test_hard_bounces_trip_above_the_limit_once_enough_attempts() -> None:
    assert rules.hard_bounce_trip(Figures(attempts=199, hard_bounces=100), LIMITS) is None
    assert rules.hard_bounce_trip(Figures(attempts=200, hard_bounces=10), LIMITS) is None  # 5 %
    trip = rules.hard_bounce_trip(Figures(attempts=200, hard_bounces=11), LIMITS)
    assert trip is not None and trip.reason == "hard_bounces"
    assert trip.figures == {"hard_bounces": 11, "attempts": 200, "percent": 5.5,
                            "limit_percent": 5.0}
    assert "11 hard bounces in 200 attempts (5.5 %)" in trip.message


def test_complaints_trip_above_point_three_percent_of_delivered() -> None:
    assert rules.complaint_trip(Figures(delivered=1000, complaints=3), LIMITS) is None
    trip = rules.complaint_trip(Figures(delivered=1000, complaints=4), LIMITS)
    assert trip is not None and trip.figures["percent"] == 0.4
    assert rules.complaint_trip(Figures(delivered=0, complaints=0), LIMITS) is None


def test_a_disabled_guard_never_trips() -> None:
    off = LIMITS.with_overrides({"enabled": False})
    assert rules.hard_bounce_trip(Figures(attempts=500, hard_bounces=500), off) is None
    assert rules.complaint_trip(Figures(delivered=1, complaints=1), off) is None
    assert not rules.domain_paused(100, off)
    assert rules.policy_domains_trip(["a.test", "b.test", "c.test"], off) is None


def test_domains_and_several_domains() -> None:
    assert not rules.domain_paused(2, LIMITS) and rules.domain_paused(3, LIMITS)
    assert rules.policy_domains_trip(["a.test", "b.test"], LIMITS) is None
    trip = rules.policy_domains_trip(["c.test", "a.test", "b.test"], LIMITS)
    assert trip is not None and trip.figures["domains"] == ["a.test", "b.test", "c.test"]


def test_the_window_starts_at_the_last_automatic_pause() -> None:
    """A resumed alert is judged on what happened since: the figures already read do not
    pause it again, a bad signal that goes on does."""
    at_pause = Figures(attempts=210, hard_bounces=21, delivered=189)
    later = Figures(attempts=260, hard_bounces=22, delivered=238)
    window = later.since(at_pause.to_json())
    assert window == Figures(attempts=50, hard_bounces=1, delivered=49)
    assert rules.hard_bounce_trip(window, LIMITS) is None
    bad = Figures(attempts=420, hard_bounces=42).since(at_pause.to_json())
    assert rules.hard_bounce_trip(bad, LIMITS) is not None


def test_overrides_from_the_command_line() -> None:
    assert rules.parse_override("hard_bounce_percent=12.5") == ("hard_bounce_percent", 12.5)
    assert rules.parse_override("min-attempts=50") == ("min_attempts", 50)
    assert rules.parse_override("complaint_percent=0.5%") == ("complaint_percent", 0.5)
    for bad, message in (("speed=3", "NAME one of"), ("min_attempts=x", "not a whole number"),
                         ("hard_bounce_percent=150", "between 0 and 100"), ("nothing", "NAME")):
        with pytest.raises(UserError, match=message):
            rules.parse_override(bad)
    limits = LIMITS.with_overrides({"min_attempts": 50, "unknown_old_key": 1})
    assert limits.min_attempts == 50 and limits.hard_bounce_percent == 5.0


def test_reply_sample_keeps_the_last_few() -> None:
    replies: list[dict[str, object]] = []
    for i in range(8):
        replies = rules.reply_sample(replies, {"n": i})
    assert [r["n"] for r in replies] == [3, 4, 5, 6, 7]
