"""Every (status, event) pair of the message and alert machines, spelled out."""

from __future__ import annotations

import pytest

from outreach.db.models import ALERT_STATES as MODEL_ALERT_STATES
from outreach.db.models import MESSAGE_STATUSES as MODEL_STATUSES
from outreach.sending.states import (
    ALERT_EVENTS,
    ALERT_STATES,
    FINAL_STATUSES,
    MESSAGE_EVENTS,
    MESSAGE_STATUSES,
    InvalidTransition,
    next_alert_state,
    next_status,
    sources,
)

# The whole message machine: (status, event) -> new status; every pair not listed is invalid.
EXPECTED_MESSAGE = {
    ("queued", "claim"): "sending",
    ("queued", "suppress"): "suppressed",
    ("queued", "cancel"): "cancelled",
    ("deferred", "claim"): "sending",
    ("deferred", "suppress"): "suppressed",
    ("deferred", "cancel"): "cancelled",
    ("sending", "smtp_sent"): "sent",
    ("sending", "smtp_deferred"): "deferred",
    ("sending", "smtp_bounced"): "bounced",
    ("sending", "give_up"): "failed",
    ("sending", "throttle"): "deferred",
    ("sending", "release"): "queued",
    ("sending", "lease_expired"): "queued",
    ("sending", "suppress"): "suppressed",
    ("sending", "cancel"): "cancelled",
    ("failed", "requeue"): "queued",
}
EXPECTED_ALERT = {
    ("draft", "send"): "sending",
    ("draft", "schedule"): "scheduled",
    ("draft", "cancel"): "cancelled",
    ("scheduled", "start"): "sending",
    ("scheduled", "pause"): "paused",
    ("scheduled", "cancel"): "cancelled",
    ("sending", "pause"): "paused",
    ("sending", "cancel"): "cancelled",
    ("sending", "finish"): "done",
    ("paused", "resume"): "sending",
    ("paused", "cancel"): "cancelled",
    ("done", "reopen"): "sending",
}


def test_statuses_match_the_models():
    assert set(MESSAGE_STATUSES) == set(MODEL_STATUSES)
    assert set(ALERT_STATES) == set(MODEL_ALERT_STATES)


@pytest.mark.parametrize("status", MESSAGE_STATUSES)
@pytest.mark.parametrize("event", MESSAGE_EVENTS)
def test_every_message_pair(status, event):
    expected = EXPECTED_MESSAGE.get((status, event))
    if expected is None:
        with pytest.raises(InvalidTransition):
            next_status(status, event)
    else:
        assert next_status(status, event) == expected


@pytest.mark.parametrize("state", ALERT_STATES)
@pytest.mark.parametrize("event", ALERT_EVENTS)
def test_every_alert_pair(state, event):
    expected = EXPECTED_ALERT.get((state, event))
    if expected is None:
        with pytest.raises(InvalidTransition):
            next_alert_state(state, event)
    else:
        assert next_alert_state(state, event) == expected


def test_final_statuses_take_no_event_but_failed_requeue():
    for status in FINAL_STATUSES:
        allowed = {e for e in MESSAGE_EVENTS if (status, e) in EXPECTED_MESSAGE}
        assert allowed == ({"requeue"} if status == "failed" else set())


def test_sent_is_never_left():
    assert all(s != "sent" for s in sources("claim") + sources("cancel") + sources("requeue"))


def test_unknown_names_are_rejected():
    with pytest.raises(InvalidTransition):
        next_status("nope", "claim")
    with pytest.raises(InvalidTransition):
        next_status("queued", "nope")
    with pytest.raises(InvalidTransition):
        next_alert_state("sending", "nope")
