"""Riding out a database outage inside a worker: retry with backoff, never ack and forget.

A worker that cannot reach the database can do nothing useful, and what it holds matters:
a claim not yet taken must not be dropped with its broker task (that lost the ids until a
300 s requeue), and the outcome of a message the server already accepted must not be lost
(the message would go out again). So both wait for the database, up to
OUTREACH_DB_RETRY_SECONDS, with a backoff that settles at a probe every few seconds. Only
connection-level errors are retried; a constraint violation is a bug and raises at once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from outreach.sending.ports import Clock

log = logging.getLogger(__name__)
T = TypeVar("T")
DELAYS = (0.1, 0.5, 1.0, 2.0)
MAX_DELAY = 3.0


def transient(exc: DBAPIError) -> bool:
    """A lost connection, a server shutting down, a locked SQLite file: worth retrying."""
    return (isinstance(exc, OperationalError | InterfaceError)
            or bool(getattr(exc, "connection_invalidated", False)))


def retrying(call: Callable[[], T], *, clock: Clock, budget: float, what: str,
             undo: Callable[[], object] | None = None,
             on_error: Callable[[], object] | None = None) -> T:
    """`call()`, again after each transient database error, for up to `budget` seconds.

    `undo` resets the caller's session or connection between tries (a rollback); `on_error`
    hears of each error (the record journal counts outages)."""
    started, attempt = clock.monotonic(), 0
    while True:
        try:
            return call()
        except DBAPIError as exc:
            if on_error is not None and transient(exc):
                on_error()
            if not transient(exc) or clock.monotonic() - started >= budget:
                raise
            delay = DELAYS[attempt] if attempt < len(DELAYS) else MAX_DELAY
            attempt += 1
            log.warning("%s: database unavailable (%s); retrying in %.1fs", what,
                        " ".join(str(exc.orig or exc).split())[:200], delay)
            _undo(undo)
            clock.sleep(delay)


def _undo(undo: Callable[[], object] | None) -> None:
    if undo is None:
        return
    with contextlib.suppress(DBAPIError):  # a rollback on a dead connection fails: no matter
        undo()
