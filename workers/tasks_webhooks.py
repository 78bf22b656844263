"""Webhook delivery and reply notifications as Celery tasks (queue `urgent`).

`dispatch` publishes every due delivery and sends pending reply notifications. It runs after
each commit that stored events (the notifier installed below), when a worker starts, and on
beat every OUTREACH_WEBHOOK_DISPATCH_SECONDS (default 30) as the safety net for anything the
broker lost. `deliver_webhook` makes one attempt and schedules the next with a countdown;
the database lease makes a duplicate task harmless (see outreach.webhooks.deliver).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import signals

from outreach.db.models.base import utcnow
from outreach.inbound import notify
from outreach.webhooks.config import WebhookConfig
from outreach.webhooks.deliver import deliver_one, due_ids
from outreach.webhooks.events import set_notifier
from workers.app import app, process_context

log = logging.getLogger(__name__)
QUEUE = "urgent"


@app.task(name="workers.tasks_webhooks.dispatch", ignore_result=True)
def dispatch() -> dict[str, int]:
    ctx = process_context()
    with ctx.sessions() as session:
        ids = due_ids(session, utcnow())
        replies = notify.pending_ids(session) if ctx.settings.smtp_url else []
    for delivery_id in ids:
        deliver_webhook.apply_async(args=[delivery_id], queue=QUEUE, routing_key=QUEUE)
    notified = 0
    for event_id in replies:
        with ctx.sessions() as session:
            notified += notify.notify_one(session, event_id, ctx.settings)
    return {"published": len(ids), "notified": notified}


@app.task(name="workers.tasks_webhooks.deliver", acks_late=True, ignore_result=True)
def deliver_webhook(delivery_id: int) -> float | None:
    ctx = process_context()
    config = WebhookConfig.from_settings(ctx.settings)
    with ctx.sessions() as session:
        delay = deliver_one(session, int(delivery_id), config)
    if delay is not None:
        deliver_webhook.apply_async(args=[delivery_id], countdown=delay, queue=QUEUE,
                                    routing_key=QUEUE)
    return delay


def publish_dispatch() -> None:
    """The after-commit notifier: ask a worker to dispatch now."""
    dispatch.apply_async(queue=QUEUE, routing_key=QUEUE, retry=True,
                         retry_policy={"max_retries": 3, "interval_start": 0.2})


def install_notifier() -> None:
    """Entrypoints with a broker (workers, web app, CLI) queue a dispatch after each commit."""
    set_notifier(publish_dispatch)


@signals.worker_ready.connect
def _dispatch_on_start(**_: Any) -> None:
    install_notifier()
    publish_dispatch()


@signals.worker_process_init.connect
def _child_notifier(**_: Any) -> None:
    install_notifier()
