"""The inbound poll as a Celery beat task (schedule: workers.schedule).

Running it twice at once, or again after a worker died mid-poll, is harmless: a message is
flagged on the server only after its record is committed, and records are deduplicated by the
mail's external id (see outreach.inbound.poll).
"""

from __future__ import annotations

import logging

from workers.app import app, process_context

log = logging.getLogger(__name__)


@app.task(name="workers.tasks_inbound.poll_inbound", ignore_result=True)
def poll_inbound() -> dict[str, object]:
    """Read the inbound mailbox once; returns the PollReport as JSON (for logs and tests)."""
    from outreach.inbound.poll import poll_mailbox

    report = poll_mailbox(process_context())
    if report.seen:
        log.info("inbound poll: %s", report.to_json())
    for failure in report.failed:
        log.warning("inbound poll: left for the next poll: %s", failure)
    return report.to_json()
