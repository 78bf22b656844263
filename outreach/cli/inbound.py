"""`outreach poll`, `outreach replies [ALERT_ID]` and `outreach inbound unmatched`."""

from __future__ import annotations

from typing import Any

import click
from rich import box
from rich.table import Table

from outreach.cli import pass_app
from outreach.cli.output import echo_json, plain, safe, table_console


@click.command("poll")
@click.option("--limit", type=click.IntRange(min=1), help="Process at most this many messages.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_app
def poll_command(lazy: Any, limit: int | None, as_json: bool) -> None:
    """Read the inbound mailbox once: bounces, replies, auto-replies, complaints, unsubscribes."""
    from outreach.cli.webhooks import send_due_now
    from outreach.inbound.poll import poll_mailbox

    if lazy.app.settings.broker_url:  # events of this poll are queued as each record commits
        from workers.app import use_settings
        from workers.tasks_webhooks import install_notifier

        use_settings(lazy.app.settings)
        install_notifier()
    report = poll_mailbox(lazy.app, limit=limit)
    send_due_now(lazy.app)  # without a broker: first attempts and reply notifications here
    if as_json:
        echo_json(report.to_json())
        return
    click.echo(f"{report.seen} message(s) read, {sum(report.recorded.values())} recorded, "
               f"{report.duplicates} already recorded, {report.suppressed} address(es) suppressed")
    for kind, count in sorted(report.recorded.items()):
        click.echo(f"  {kind}: {count}")
    for line in report.unparseable:
        click.echo(f"  unparseable (kept): {plain(line)}")
    for line in report.failed:
        click.echo(f"  failed, will retry next poll: {plain(line)}", err=True)


@click.command("replies")
@click.argument("alert_id", type=int, required=False)
@click.option("--all", "include_auto", is_flag=True, help="Include auto-replies.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def replies_command(lazy: Any, alert_id: int | None, include_auto: bool, as_json: bool) -> None:
    """Replies with contact, outlet, alert and their new text (auto-replies only with --all)."""
    from outreach.alerts.repository import get_alert
    from outreach.inbound.queries import replies

    with lazy.app.checked_sessions()() as session:
        if alert_id is not None:
            get_alert(session, alert_id)
        rows = replies(session, alert_id, include_auto=include_auto)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no replies yet")
        return
    table = Table(box=box.SIMPLE_HEAD, highlight=False)
    for col in ("date", "kind", "contact", "outlet", "alert", "text"):
        table.add_column(col, overflow="fold")
    for row in rows:
        contact = row["contact"] or {}
        kind = row["kind"] + (" (by sender)" if row["match"] == "sender" else "")
        table.add_row((row["date"] or "")[:16], safe(kind),
                      safe(contact.get("name") or contact.get("email") or row["sender"] or ""),
                      safe((row["outlet"] or {}).get("name", "")),
                      str((row["alert"] or {}).get("id", "")), safe(_one_line(row["text"], 200)))
    table_console().print(table)


@click.group("inbound")
def inbound_group() -> None:
    """Inbound mail that needs a person: unmatched and unparseable messages."""


@inbound_group.command("unmatched")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def unmatched_command(lazy: Any, as_json: bool) -> None:
    """Mail that matched none of our messages, or could not be parsed (kept, never dropped)."""
    from outreach.inbound.queries import unmatched

    with lazy.app.checked_sessions()() as session:
        rows = unmatched(session)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no unmatched inbound mail")
        return
    table = Table(box=box.SIMPLE_HEAD, highlight=False)
    for col in ("received", "kind", "sender", "subject", "note"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row((row["received_at"] or "")[:16], safe(row["kind"]), safe(row["sender"] or ""),
                      safe(_one_line(row["subject"] or "", 80)),
                      safe(_one_line(row["note"] or "", 120)))
    table_console().print(table)


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


def register(main: click.Group) -> None:
    main.add_command(poll_command)
    main.add_command(replies_command)
    main.add_command(inbound_group)
