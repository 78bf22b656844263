"""Dashboard webhooks page: subscriptions, each delivery's attempts, and "send again" (admin).

Reads and "send again" use the same service as `outreach webhooks` and the API; the POST is
CSRF-checked by the app-wide guard and role-checked here.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for

from outreach.audit import record
from outreach.web.app import app_context
from outreach.web.dashboard.roles import current_actor, requires
from outreach.web.dashboard.views import db
from outreach.webhooks import subscriptions
from outreach.webhooks.deliver import redeliver


@requires("admin")
def webhooks() -> Any:
    with db() as session:
        subs = [{**subscriptions.to_json(s), "deliveries": subscriptions.deliveries(session, s.id,
                                                                                    limit=20)}
                for s in subscriptions.list_all(session)]
    return render_template("dashboard/webhooks.html", subscriptions=subs)


@requires("admin")
def send_again(delivery: str) -> Any:
    if not delivery.isdigit() or len(delivery) > 9:
        abort(404)
    delivery_id = int(delivery)
    with db() as session:
        if redeliver(session, delivery_id) is None:
            flash(f"No delivery {delivery_id}.", "error")
            return redirect(url_for("dashboard.webhooks"))
        record(session, current_actor(), "webhook.redeliver", f"delivery:{delivery_id}")
        session.commit()
    settings = app_context(current_app).settings
    if settings.broker_url:
        from workers.app import use_settings
        from workers.tasks_webhooks import publish_dispatch

        try:
            use_settings(settings)
            publish_dispatch()
        except Exception:  # the delivery is due in the database: the next dispatch sends it
            current_app.logger.exception("webhooks: dispatch not queued")
    flash(f"Delivery {delivery_id} will be sent again.", "ok")
    return redirect(url_for("dashboard.webhooks"))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/webhooks", "webhooks", webhooks)
    bp.add_url_rule("/webhooks/deliveries/<delivery>/send-again", "webhook_send_again",
                    send_again, methods=["POST"])
