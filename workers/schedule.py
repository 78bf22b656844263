"""What beat runs: the inbound mailbox poll (every OUTREACH_INBOUND_POLL_SECONDS) and the
webhook dispatch's safety net (every OUTREACH_WEBHOOK_DISPATCH_SECONDS).

Sending needs no beat: the workers sweep themselves (outreach.sending.keeper). This module
imports neither the Celery app nor the tasks, so `workers.app` can build its configuration
from it without an import cycle.
"""

from __future__ import annotations

from typing import Any

from outreach.config import Settings


def beat_schedule(settings: Settings) -> dict[str, Any]:
    """The beat entries for these settings (the poll only with OUTREACH_IMAP_URL)."""
    dispatch = settings.webhook_dispatch_seconds  # a safety net: see workers.tasks_webhooks
    schedule = {"webhooks-dispatch": {"task": "workers.tasks_webhooks.dispatch",
                                      "schedule": dispatch,
                                      "options": {"queue": "urgent", "expires": dispatch * 2}}}
    if not settings.imap_url:
        return schedule
    seconds = settings.inbound_poll_seconds
    return {**schedule,
            "poll-inbound": {"task": "workers.tasks_inbound.poll_inbound", "schedule": seconds,
                             "options": {"queue": "urgent", "expires": seconds * 2}}}
