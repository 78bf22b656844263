"""The message and alert status machines: pure tables, every (status, event) pair explicit.

A message is `queued` when its blast is created, `sending` while a worker holds its lease,
and ends `sent`, `bounced`, `failed`, `suppressed` or `cancelled`; `deferred` waits for a
retry. `failed` is the one final state a person can undo (`alert retry-failed`).
"""

from __future__ import annotations

MESSAGE_STATUSES = (
    "queued", "sending", "sent", "deferred", "bounced", "failed", "suppressed", "cancelled",
)
MESSAGE_EVENTS = (
    "claim",          # a worker takes the lease
    "suppress",       # the address is on the suppression list at claim time
    "cancel",         # the alert was cancelled
    "release",        # the worker gives the lease back unsent (alert paused mid-batch)
    "smtp_sent",      # 2xx
    "smtp_deferred",  # 4xx or connection error, within the give-up time
    "smtp_bounced",   # 5xx
    "give_up",        # 4xx or connection error after the give-up time
    "throttle",       # the rate limiter says wait longer than a batch should
    "lease_expired",  # the worker died or stalled: the sweeper takes the message back
    "requeue",        # a person asked to retry failed messages
)
FINAL_STATUSES = frozenset({"sent", "bounced", "failed", "suppressed", "cancelled"})
OPEN_STATUSES = frozenset({"queued", "sending", "deferred"})

_WAITING = {"claim": "sending", "suppress": "suppressed", "cancel": "cancelled"}
_SENDING = {
    "smtp_sent": "sent", "smtp_deferred": "deferred", "smtp_bounced": "bounced",
    "give_up": "failed", "throttle": "deferred", "release": "queued",
    "lease_expired": "queued", "suppress": "suppressed", "cancel": "cancelled",
}
MESSAGE_TRANSITIONS: dict[str, dict[str, str]] = {
    "queued": dict(_WAITING),
    "deferred": dict(_WAITING),
    "sending": _SENDING,
    "failed": {"requeue": "queued"},
    "sent": {},
    "bounced": {},
    "suppressed": {},
    "cancelled": {},
}

ALERT_STATES = ("draft", "scheduled", "sending", "paused", "done", "cancelled")
ALERT_EVENTS = ("send", "schedule", "start", "pause", "resume", "cancel", "finish", "reopen")
ALERT_TRANSITIONS: dict[str, dict[str, str]] = {
    "draft": {"send": "sending", "schedule": "scheduled", "cancel": "cancelled"},
    "scheduled": {"start": "sending", "pause": "paused", "cancel": "cancelled"},
    "sending": {"pause": "paused", "cancel": "cancelled", "finish": "done"},
    "paused": {"resume": "sending", "cancel": "cancelled"},
    "done": {"reopen": "sending"},  # retry-failed puts failed messages back in the queue
    "cancelled": {},
}


class InvalidTransition(ValueError):
    """An event that makes no sense in the current state (a bug, or a race lost harmlessly)."""


def next_status(status: str, event: str) -> str:
    """The message status after `event`, or InvalidTransition."""
    return _lookup(MESSAGE_TRANSITIONS, MESSAGE_EVENTS, status, event, "message")


def next_alert_state(state: str, event: str) -> str:
    """The alert state after `event`, or InvalidTransition."""
    return _lookup(ALERT_TRANSITIONS, ALERT_EVENTS, state, event, "alert")


def sources(event: str) -> tuple[str, ...]:
    """Every message status from which `event` is allowed (for conditional SQL updates)."""
    return tuple(s for s in MESSAGE_STATUSES if event in MESSAGE_TRANSITIONS[s])


def _lookup(table: dict[str, dict[str, str]], events: tuple[str, ...], state: str, event: str,
            what: str) -> str:
    if state not in table:
        raise InvalidTransition(f"unknown {what} state {state!r}")
    if event not in events:
        raise InvalidTransition(f"unknown {what} event {event!r}")
    target = table[state].get(event)
    if target is None:
        raise InvalidTransition(f"{what} in state {state!r} cannot take event {event!r}")
    return target
