"""`outreach alert guard`: the deliverability guard of one alert (limits, figures, pauses)."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape

from outreach.cli import LazyContext, pass_app
from outreach.cli.alerts import alert_group
from outreach.cli.output import echo_json, table_console
from outreach.db.session import session_scope
from outreach.errors import UserError


@alert_group.command("guard")
@click.argument("alert_id", type=int)
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Change a limit for this alert: hard_bounce_percent, min_attempts, "
                   "complaint_percent, policy_rejections, policy_domains (repeatable).")
@click.option("--off", "switch", flag_value="off", help="No automatic pause for this alert.")
@click.option("--on", "switch", flag_value="on", help="Automatic pauses again (the default).")
@click.option("--reset", is_flag=True, help="Back to the deployment's OUTREACH_GUARD_* limits.")
@click.option("--resume-domain", "domains", multiple=True, metavar="DOMAIN",
              help="Let a paused recipient domain's messages go again (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def guard_cmd(lazy: LazyContext, alert_id: int, overrides: tuple[str, ...], switch: str | None,
              reset: bool, domains: tuple[str, ...], as_json: bool) -> None:
    """Show or change ALERT_ID's deliverability guard: its limits, the figures they are judged
    on, an automatic pause with its reason and replies, and paused recipient domains."""
    from outreach.alerts.repository import get_alert
    from outreach.audit import cli_actor, record
    from outreach.sending.guard.rules import parse_override
    from outreach.sending.guard.view import guard_view
    from outreach.sending.resume import resume_domains

    app = lazy.app
    changes = dict(parse_override(o) for o in overrides)  # all checked before anything changes
    if domains and not app.settings.broker_url:
        raise UserError("--resume-domain: without OUTREACH_BROKER_URL this command cannot send; "
                        f"`outreach alert resume {alert_id}` resumes the domains and sends")
    resumed: list[str] = []
    with session_scope(app.checked_sessions()) as session:
        if changes or switch or reset:
            alert = get_alert(session, alert_id)
            current = {} if reset else dict(alert.guard or {})
            current.update(changes)
            if switch:
                current["enabled"] = switch == "on"
            alert.guard = current
            record(session, cli_actor(), "alert.guard", f"alert:{alert_id}", limits=current)
        if domains:
            resumed = resume_domains(session, alert_id, list(domains), cli_actor())
        session.flush()
        view = guard_view(session, app.settings, alert_id)
    if resumed:
        _enqueue_if_sending(lazy, alert_id)
    if as_json:
        echo_json(view)
    else:
        _print(view, alert_id, resumed)


def _print(view: dict[str, Any], alert_id: int, resumed: list[str]) -> None:
    from outreach.sending.guard.view import describe

    console = table_console()
    limits = ", ".join(f"{k}={v}" for k, v in view["limits"].items())
    console.print(f"alert {alert_id} guard: {escape(limits)}", highlight=False)
    figures = ", ".join(f"{k}={v}" for k, v in view["window"].items())
    console.print(f"judged on (since the last automatic pause): {figures}", highlight=False)
    for line in describe(view, alert_id):
        console.print(escape(line), highlight=False, soft_wrap=True)
    for domain in resumed:
        console.print(f"domain {escape(domain)} resumed", highlight=False)


def _enqueue_if_sending(lazy: LazyContext, alert_id: int) -> None:
    """A resumed domain's messages go on the broker now (the sweeper would, within seconds)."""
    from outreach.cli.sending import enqueue
    from workers.app import use_settings

    use_settings(lazy.app.settings)
    enqueue(lazy.app, alert_id)

