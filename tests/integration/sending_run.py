"""Driving a blast from a test: create, enqueue on the configured broker, wait for the end."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from outreach.config import Settings
from outreach.context import AppContext
from outreach.db.session import session_scope
from outreach.sending.blast import BlastSummary, create_blast
from outreach.sending.control import get_alert
from outreach.sending.status import alert_status

# A dead worker is noticed by its silent heartbeat (3 s), not by its lease: a lease short
# enough to rescue a test quickly also runs out under a loaded machine's slow first send, and
# the sweeper then flags a message that was never sent.
FAST = {
    "send_lease_seconds": 30.0,
    "heartbeat_seconds": 0.5,
    "worker_dead_after_seconds": 3.0,
    "retry_schedule": (0.3, 0.6),
    "sweep_seconds": 0.5,
    "requeue_after_seconds": 4.0,
    "send_batch_size": 100,
}


def start_blast(settings: Settings, alert_id: int, **kwargs: Any) -> BlastSummary:
    """`outreach alert send --no-wait` in-process: create the messages, then enqueue them."""
    from outreach.cli.sending import enqueue
    from workers.app import use_settings

    use_settings(settings)
    ctx = AppContext(settings)
    try:
        with session_scope(ctx.sessions) as session:
            summary = create_blast(session, get_alert(session, alert_id), **kwargs)
        enqueue(ctx, alert_id)
    finally:
        ctx.engine.dispose()
    return summary


@contextmanager
def own_session(settings: Settings) -> Iterator[Session]:
    """A session on a connection of its own, closed at once (SQLite: no lock left behind)."""
    ctx = AppContext(settings)
    try:
        with ctx.sessions() as session:
            yield session
    finally:
        ctx.engine.dispose()


def status(settings: Settings, alert_id: int) -> dict[str, Any]:
    with own_session(settings) as session:
        return alert_status(session, alert_id)


def wait_until(check: Callable[[], bool], timeout: float, what: str,
               detail: Callable[[], object] = lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}: {detail()}")
        time.sleep(0.1)


def wait_done(settings: Settings, alert_id: int, timeout: float = 120) -> dict[str, Any]:
    last: dict[str, Any] = {}
    ctx = AppContext(settings)

    def done() -> bool:
        time.sleep(0.2)
        with ctx.sessions() as session:
            last.update(alert_status(session, alert_id))
        return last["state"] in ("done", "cancelled")

    try:
        wait_until(done, timeout, f"alert {alert_id} to finish", lambda: last)
    finally:
        ctx.engine.dispose()
    return last


def received_counts(sink: Any) -> Counter[str]:
    return Counter(r for m in sink.messages for r in m.rcpt_tos)
