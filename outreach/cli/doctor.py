"""`outreach doctor`: check the deployment before a blast; one line per finding.

Checks register with one line (`CHECKS.append(fn)` or the `@check` decorator): a function
taking the AppContext and returning findings with `.status` ("ok" | "warn" | "fail") and
`.line()`. The exit code is 1 when any finding failed, so a deploy script can stop on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import click
from rich.markup import escape

from outreach.cli import LazyContext, pass_app
from outreach.cli.output import echo_json, table_console
from outreach.context import AppContext

Check = Callable[[AppContext], Iterable[Any]]
CHECKS: list[Check] = []
STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}


def check(fn: Check) -> Check:
    CHECKS.append(fn)
    return fn


@check
def sender_domain(app: AppContext) -> Iterable[Any]:
    """SPF, DKIM, DMARC and alignment of the From domain (outreach.mta.domain_check)."""
    from outreach.mta.domain_check import check_sender_domain

    return check_sender_domain(app.settings)


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def doctor_cmd(lazy: LazyContext, as_json: bool) -> None:
    """Check the sending setup (sender domain's SPF/DKIM/DMARC, ...); exit 1 on a failure."""
    findings = [f for fn in CHECKS for f in fn(lazy.app)]
    if as_json:
        echo_json([{"status": f.status, "check": f.check, "record": f.record,
                    "detail": f.detail} for f in findings])
    else:
        console = table_console()
        for finding in findings:
            style = STYLE.get(finding.status, "")
            console.print(f"[{style}]{escape(finding.line())}[/]", highlight=False,
                          soft_wrap=True)
    if any(f.status == "fail" for f in findings):
        raise SystemExit(1)


def register(main: click.Group) -> None:
    main.add_command(doctor_cmd)
