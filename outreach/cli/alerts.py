"""`outreach alert ...`: the command group. Commands are added by the modules that own them
(creation/preview here, sending in `outreach.cli.sending`, reports in `outreach.cli.reports`)."""

from __future__ import annotations

import click


@click.group("alert")
def alert_group() -> None:
    """Write, preview, send and follow alerts."""


def register(main: click.Group) -> None:
    main.add_command(alert_group)
