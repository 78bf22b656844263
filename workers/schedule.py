"""What beat runs: only the inbound mailbox poll (every OUTREACH_INBOUND_POLL_SECONDS).

Sending needs no beat: the workers sweep themselves (outreach.sending.keeper). This module
imports neither the Celery app nor the tasks, so `workers.app` can build its configuration
from it without an import cycle.
"""

from __future__ import annotations

from typing import Any

from outreach.config import Settings


def beat_schedule(settings: Settings) -> dict[str, Any]:
    """The beat entries for these settings (none without OUTREACH_IMAP_URL)."""
    if not settings.imap_url:
        return {}
    seconds = settings.inbound_poll_seconds
    return {"poll-inbound": {"task": "workers.tasks_inbound.poll_inbound", "schedule": seconds,
                             "options": {"queue": "urgent", "expires": seconds * 2}}}
