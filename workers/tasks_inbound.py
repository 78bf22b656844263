"""The inbound poll as a Celery beat task (schedule: workers.schedule).

Running it twice at once, or again after a worker died mid-poll, is harmless: a message is
flagged on the server only after its record is committed, and records are deduplicated by the
mail's external id (see outreach.inbound.poll).
"""

from __future__ import annotations

import logging
import os

from outreach.context import AppContext
from workers.app import app, current_settings

log = logging.getLogger(__name__)
_contexts: dict[int, AppContext] = {}


def _app_ctx() -> AppContext:
    """One context (engine, pool) per worker process and settings, built on first use."""
    pid, settings = os.getpid(), current_settings()
    ctx = _contexts.get(pid)
    if ctx is None or ctx.settings is not settings:
        _contexts.clear()
        ctx = _contexts[pid] = AppContext(settings)
    return ctx


@app.task(name="workers.tasks_inbound.poll_inbound", ignore_result=True)
def poll_inbound() -> dict[str, object]:
    """Read the inbound mailbox once; returns the PollReport as JSON (for logs and tests)."""
    from outreach.inbound.poll import poll_mailbox

    report = poll_mailbox(_app_ctx())
    if report.seen:
        log.info("inbound poll: %s", report.to_json())
    for failure in report.failed:
        log.warning("inbound poll: left for the next poll: %s", failure)
    return report.to_json()
