"""`outreach report ID`, `outreach alert list` and `outreach alert follow-up`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from outreach.cli import pass_app
from outreach.cli.alerts import alert_group
from outreach.cli.output import echo_json, safe, table_console
from outreach.db.session import session_scope
from outreach.errors import UserError
from outreach.reports.rows import DIMENSIONS

if TYPE_CHECKING:  # the reports are imported when one is asked for, not by every `alert` command
    from outreach.reports.reach import ReachReport


def write_csv(report: ReachReport, path: Path) -> None:
    from outreach.reports.table import write_rows

    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            write_rows(report, handle)
    except OSError as exc:
        raise UserError(f"--csv {path}: cannot write ({exc.strerror})") from exc


SHORT = {"reached_contacts": "reached#", "engaged_contacts": "engaged#", "targeted": "target",
         "auto_replied": "auto", "unsubscribed": "unsub", "complained": "compl",
         "suppressed": "suppr", "cancelled": "cancel", "deferred": "defer", "country": "ctry"}
ALWAYS = ("label", "targeted", "sent", "bounced", "replied", "reached", "engaged")


def print_table(report: ReachReport) -> None:
    """The terminal table: columns that are zero everywhere are left out (CSV has them all)."""
    from rich import box
    from rich.table import Table

    from outreach.reports.table import body as _body
    from outreach.reports.table import columns as _columns

    cols = _columns(report)
    body = _body(report, cols)
    keep = [i for i, c in enumerate(cols)
            if c in ALWAYS or any(cells[i] not in (0, "", None) for cells in body)]
    table = Table(title=f"Alert {report.alert.id}: {safe(report.alert.title)} "
                        f"({safe(report.alert.state)}) by {report.by}", highlight=False,
                  box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False, collapse_padding=True)
    for i in keep:
        col = cols[i]
        table.add_column(report.by if col == "label" else SHORT.get(col, col),
                         justify="left" if col == "label" else "right", no_wrap=col == "label")
    for n, cells in enumerate(body):
        if n == len(body) - 1:
            table.add_section()
        table.add_row(*(safe("" if cells[i] is None else cells[i]) for i in keep),
                      style="bold" if n == len(body) - 1 else None)
    table_console().print(table)


@click.command("report")
@click.argument("alert_id", type=int)
@click.option("--by", "by", type=click.Choice(DIMENSIONS), default="outlet", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the table to this CSV file (formula cells neutralised).")
@pass_app
def report_command(ctx: Any, alert_id: int, by: str, as_json: bool, csv_path: Path | None
                   ) -> None:
    """Reach of an alert per outlet (or country, contact type, language)."""
    from outreach.reports.reach import reach_report

    with session_scope(ctx.app.checked_sessions()) as session:
        report = reach_report(session, alert_id, by)
        if csv_path:
            write_csv(report, csv_path)
        if as_json:
            echo_json(report.to_json())
        else:
            print_table(report)


@alert_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the alerts as JSON.")
@pass_app
def alert_list(ctx: Any, as_json: bool) -> None:
    """Every alert with its state, sent/total and replies."""
    from rich.table import Table

    from outreach.reports.reach import alert_overview

    with session_scope(ctx.app.checked_sessions()) as session:
        rows = alert_overview(session)
    if as_json:
        echo_json(rows)
        return
    table = Table(title="Alerts", highlight=False)
    for col in ("id", "title", "state", "sent/total", "replies", "created"):
        table.add_column(col)
    for row in rows:
        title = row["title"] + (f" (follow-up of {row['follow_up_of']})"
                                if row["follow_up_of"] else "")
        table.add_row(str(row["id"]), safe(title), safe(row["state"]),
                      f"{row['sent']}/{row['total']}",
                      str(row["replies"]), row["created_at"][:16])
    table_console().print(table)


@alert_group.command("follow-up")
@click.argument("alert_id", type=int)
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--not-replied", is_flag=True,
              help="Contacts reached by the alert that did not reply (the default).")
@click.option("--not-reached", is_flag=True,
              help="Contacts the alert did not reach (not accepted, or bounced).")
@click.option("--outlets", "by_outlet", is_flag=True,
              help="Whole outlets: skip everyone at an outlet (or email domain) where someone "
                   "replied (--not-replied) or was reached (--not-reached).")
@click.option("--variant", "variants", multiple=True, metavar="LANG=FILE.md",
              help="Another language version of the follow-up (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the new alert as JSON.")
@pass_app
def alert_follow_up(ctx: Any, alert_id: int, source: Path, not_replied: bool, not_reached: bool,
                    by_outlet: bool, variants: tuple[str, ...], as_json: bool) -> None:
    """Create a follow-up of ALERT_ID from SOURCE, aimed at its non-responders, threaded.

    Each contact gets the variant in their language (`--variant ru=followup.ru.md`)."""
    from outreach.alerts.followup import create_follow_up
    from outreach.audit import cli_actor, record
    from outreach.cli.alerts import parse_variants

    actor = cli_actor()
    with session_scope(ctx.app.checked_sessions()) as session:
        alert, targets = create_follow_up(session, ctx.app.settings, alert_id, source,
                                          not_replied=not_replied, not_reached=not_reached,
                                          by_outlet=by_outlet, variants=parse_variants(variants),
                                          created_by=actor.name)
        record(session, actor, "alert.follow_up", f"alert:{alert.id}", of=alert_id,
               contacts=targets)
        data = {"id": alert.id, "follow_up_of": alert_id, "title": alert.title,
                "state": alert.state, "target": alert.segment["follow_up"], "contacts": targets}
    if as_json:
        echo_json(data)
        return
    click.echo(f"created follow-up alert {data['id']} of alert {alert_id} for {targets} "
               f"contact(s); send it with `outreach alert send {data['id']}`")


def register(main: click.Group) -> None:
    main.add_command(report_command)
