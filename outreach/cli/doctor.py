"""`outreach doctor`: every check of outreach.health, one line each; exit 1 if any failed."""

from __future__ import annotations

import click
from rich.markup import escape

from outreach.cli import LazyContext, pass_app
from outreach.cli.output import table_console
from outreach.health import run_checks

STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}


@click.command("doctor")
@pass_app
def doctor_cmd(lazy: LazyContext) -> None:
    """Check the configuration end to end: database, broker, workers, SMTP, IMAP, DKIM."""
    console = table_console()
    failed = 0
    for name, result in run_checks(lazy.app):
        failed += result.status == "fail"
        console.print(f"[{STYLE[result.status]}]{result.status:<4}[/] {name:<9} "
                      f"{escape(result.text)}", highlight=False, soft_wrap=True)
    if failed:
        raise SystemExit(1)


def register(main: click.Group) -> None:
    main.add_command(doctor_cmd)
