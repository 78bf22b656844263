"""Every (status, event) pair of the message and alert machines, spelled out."""

from __future__ import annotations

import pytest

from outreach.db.models import ALERT_STATES as MODEL_ALERT_STATES
from outreach.db.models import MESSAGE_STATUSES as MODEL_STATUSES
from outreach.sending.states import (
    ALERT_EVENTS,
    ALERT_STATES,
    ALERT_TRANSITIONS,
    FINAL_STATUSES,
    MESSAGE_EVENTS,
    MESSAGE_STATUSES,
    MESSAGE_TRANSITIONS,
    OPEN_STATUSES,
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


def test_the_code_tables_are_exactly_the_spelled_out_machines():
    """The whole tables, both ways: a transition added to or dropped from the code shows here."""
    code_message = {(state, event): target for state, row in MESSAGE_TRANSITIONS.items()
                    for event, target in row.items()}
    code_alert = {(state, event): target for state, row in ALERT_TRANSITIONS.items()
                  for event, target in row.items()}
    assert code_message == EXPECTED_MESSAGE
    assert code_alert == EXPECTED_ALERT
    assert set(MESSAGE_TRANSITIONS) == set(MESSAGE_STATUSES)
    assert set(ALERT_TRANSITIONS) == set(ALERT_STATES)


def test_final_statuses_take_no_event_but_failed_requeue():
    """Read from the code: a final status accepts nothing, except `failed` -> requeue."""
    for status in FINAL_STATUSES:
        allowed = set()
        for event in MESSAGE_EVENTS:
            try:
                next_status(status, event)
            except InvalidTransition:
                continue
            allowed.add(event)
        assert allowed == ({"requeue"} if status == "failed" else set()), status


def test_open_and_final_statuses_split_the_machine():
    assert set(MESSAGE_STATUSES) == OPEN_STATUSES | FINAL_STATUSES
    assert not OPEN_STATUSES & FINAL_STATUSES
    for status in OPEN_STATUSES:  # an open message can always be cancelled
        assert next_status(status, "cancel") == "cancelled"


@pytest.mark.parametrize("event", MESSAGE_EVENTS)
def test_sources_are_the_statuses_that_take_the_event(event):
    """`sources` feeds the conditional SQL updates: it must agree with the table."""
    assert set(sources(event)) == {s for s, e in EXPECTED_MESSAGE if e == event}


def test_sent_is_never_left():
    assert all("sent" not in sources(event) for event in MESSAGE_EVENTS)
    assert MESSAGE_TRANSITIONS["sent"] == {}


def test_unknown_names_are_rejected():
    with pytest.raises(InvalidTransition):
        next_status("nope", "claim")
    with pytest.raises(InvalidTransition):
        next_status("queued", "nope")
    with pytest.raises(InvalidTransition):
        next_alert_state("sending", "nope")
