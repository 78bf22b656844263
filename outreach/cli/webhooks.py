"""`outreach webhooks add|list|remove|attempts|redeliver`: outgoing webhook subscriptions."""

from __future__ import annotations

from typing import Any

import click
from rich import box
from rich.markup import escape
from rich.table import Table

from outreach.audit import cli_actor, record
from outreach.cli import LazyContext, pass_app
from outreach.cli.output import echo_json, table_console
from outreach.context import AppContext
from outreach.db.session import session_scope
from outreach.errors import UserError
from outreach.webhooks import subscriptions
from outreach.webhooks.config import WebhookConfig
from outreach.webhooks.deliver import redeliver


@click.group("webhooks")
def webhooks_group() -> None:
    """Signed HTTP callbacks on replies, bounces, unsubscribes, complaints and alert states."""


@webhooks_group.command("add")
@click.argument("url")
@click.option("--event", "events", multiple=True, required=True,
              help="Event type (repeat, or comma-separated; * for all).")
@click.option("--description", default="", help="A note for the list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def add_cmd(lazy: LazyContext, url: str, events: tuple[str, ...], description: str,
            as_json: bool) -> None:
    """Subscribe URL; prints the signing secret once."""
    app = lazy.app
    config = WebhookConfig.from_settings(app.settings)
    actor = cli_actor()
    with session_scope(app.checked_sessions()) as session:
        sub = subscriptions.add(session, url, events, allow_private=config.allow_private,
                                description=description, created_by=actor.name)
        record(session, actor, "webhook.add", f"webhook:{sub.id}", url=url, events=sub.events)
        data = subscriptions.to_json(sub, with_secret=True)
    if as_json:
        echo_json(data)
        return
    click.echo(f"webhook {data['id']} added for {', '.join(data['events'])}")
    click.echo(f"signing secret (shown once, keep it with the receiver): {data['secret']}")


@webhooks_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def list_cmd(lazy: LazyContext, as_json: bool) -> None:
    """Subscriptions (secrets are not shown)."""
    with lazy.app.checked_sessions()() as session:
        rows = [subscriptions.to_json(s) for s in subscriptions.list_all(session)]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no webhooks")
        return
    table = Table(box=box.SIMPLE_HEAD, highlight=False)
    for col in ("id", "url", "events", "description"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(str(row["id"]), escape(row["url"]), ", ".join(row["events"]),
                      escape(row["description"]))
    table_console().print(table)


@webhooks_group.command("remove")
@click.argument("webhook_id", type=int)
@pass_app
def remove_cmd(lazy: LazyContext, webhook_id: int) -> None:
    """Delete a subscription and its delivery log."""
    with session_scope(lazy.app.checked_sessions()) as session:
        subscriptions.remove(session, webhook_id)
        record(session, cli_actor(), "webhook.remove", f"webhook:{webhook_id}")
    click.echo(f"webhook {webhook_id} removed")


@webhooks_group.command("attempts")
@click.argument("webhook_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def attempts_cmd(lazy: LazyContext, webhook_id: int, as_json: bool) -> None:
    """Latest deliveries with every attempt (status, latency, response excerpt)."""
    with lazy.app.checked_sessions()() as session:
        rows = subscriptions.deliveries(session, webhook_id)
    if as_json:
        echo_json(rows)
        return
    table = Table(box=box.SIMPLE_HEAD, highlight=False)
    for col in ("delivery", "event", "type", "status", "attempt", "code", "ms", "response"):
        table.add_column(col, overflow="fold")
    for row in rows:
        for n, attempt in enumerate(row["log"] or [{}], start=1):
            table.add_row(str(row["id"]), row["event_id"], row["type"], row["status"], str(n),
                          str(attempt.get("status_code") or ""), str(attempt.get("latency_ms", "")),
                          escape(_one_line(attempt.get("error")
                                           or attempt.get("response_excerpt"))))
    table_console().print(table)


@webhooks_group.command("redeliver")
@click.argument("delivery_id", type=int)
@pass_app
def redeliver_cmd(lazy: LazyContext, delivery_id: int) -> None:
    """Send a delivery again (whatever its state)."""
    app = lazy.app
    with session_scope(app.checked_sessions()) as session:
        if redeliver(session, delivery_id) is None:
            raise UserError(f"DELIVERY_ID {delivery_id}: no such delivery (see `attempts`)")
        record(session, cli_actor(), "webhook.redeliver", f"delivery:{delivery_id}")
    sent = send_due_now(app)
    click.echo(f"delivery {delivery_id} queued again" + (f" ({sent} attempted)" if sent else ""))


def _one_line(text: Any) -> str:
    return " ".join(str(text or "").split())[:120]


def send_due_now(app: AppContext) -> int:
    """Queue a dispatch on the broker; without one, make the due first attempts here."""
    if app.settings.broker_url:
        from workers.app import use_settings
        from workers.tasks_webhooks import publish_dispatch

        use_settings(app.settings)
        publish_dispatch()
        return 0
    from outreach.db.models.base import utcnow
    from outreach.inbound import notify
    from outreach.webhooks.deliver import deliver_one, due_ids

    config = WebhookConfig.from_settings(app.settings)
    with app.sessions() as session:
        ids = due_ids(session, utcnow())
        for delivery_id in ids:
            deliver_one(session, delivery_id, config)
        if app.settings.smtp_url:
            for event_id in notify.pending_ids(session):
                notify.notify_one(session, event_id, app.settings)
    return len(ids)


def register(main: click.Group) -> None:
    main.add_command(webhooks_group)
