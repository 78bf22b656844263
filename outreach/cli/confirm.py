"""`alert send`'s guard: say who would get the alert, then ask on a terminal (`--yes` skips).

A script without a terminal and without `--yes` is refused with one line: an unattended run
must say in advance that it means to send, it cannot answer a question.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.markup import escape

from outreach.errors import UserError
from outreach.sending.plan import LaunchPlan


def on_terminal() -> bool:
    return sys.stdin.isatty()


def confirm_launch(plan: LaunchPlan, console: Console, *, yes: bool) -> None:
    """Print the plan; unless `yes`, ask (twice when the alert goes to everyone)."""
    languages = ", ".join(f"{n} {lang}" for lang, n in plan.by_language.items()) or "none"
    console.print(f"alert {plan.alert_id} would go to {plan.recipients} contacts "
                  f"({escape(languages)}); {plan.suppressed} suppressed contacts skipped; "
                  f"{plan.stale} stale; segment: {escape(plan.segment)}", highlight=False)
    if yes:
        return
    if not on_terminal():
        raise UserError(f"alert send {plan.alert_id}: would mail {plan.recipients} contacts; "
                        "no terminal to confirm on, so pass --yes to send")
    if not click.confirm(f"Send alert {plan.alert_id} to {plan.recipients} contacts?"):
        raise UserError("not sent")
    if plan.everyone and not click.confirm(
            "This alert has no segment: it goes to EVERY contact. Really send to everyone?"):
        raise UserError("not sent")
