"""`outreach doctor`: check the deployment before a blast; one line per finding.

Two kinds of check register here, each with one line:
- DNS findings (`CHECKS.append(fn)` or the `@check` decorator): a function taking the
  AppContext and returning findings with `.status` ("ok" | "warn" | "fail"), `.check`,
  `.record`, `.detail` and `.line()` (outreach.mta.domain_check);
- setup checks (database, broker, workers, sweeper, SMTP, IMAP, secret, DKIM key): one line
  each in `outreach.health.CHECKS`, a function in the module of its stage returning one
  `CheckResult`.
`--only dns,smtp,...` runs some of them. The exit code is 1 when any finding failed, so a
deploy script can stop on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import click
from rich.markup import escape

from outreach.cli import LazyContext, pass_app
from outreach.cli.output import echo_json, table_console
from outreach.context import AppContext
from outreach.errors import UserError

Check = Callable[[AppContext], Iterable[Any]]
CHECKS: list[Check] = []
STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}


def check(fn: Check) -> Check:
    CHECKS.append(fn)
    return fn


@check
def sender_domain(app: AppContext) -> Iterable[Any]:
    """SPF, DKIM, DMARC and alignment of the From domain (outreach.mta.domain_check)."""
    from outreach.mta.domain_check import check_sender_domain

    return check_sender_domain(app.settings)


@dataclass(frozen=True)
class SetupFinding:
    """A setup check's result in the shape of the DNS findings (one line, JSON fields)."""

    status: str
    check: str
    record: str
    detail: str

    def line(self) -> str:
        return f"{self.status.upper():4} {self.check:6} {self.detail}"


def setup_findings(app: AppContext, names: set[str] | None) -> list[SetupFinding]:
    from outreach.health import CHECKS as SETUP
    from outreach.health import run_checks

    chosen = [(n, p) for n, p in SETUP if names is None or n in names]
    return [SetupFinding(r.status, name, "", r.text) for name, r in run_checks(app, chosen)]


def _only(text: str | None) -> set[str] | None:
    if not text:
        return None
    from outreach.health import CHECKS as SETUP

    names = {n.strip() for n in text.split(",") if n.strip()}
    known = {"dns", *(n for n, _ in SETUP)}
    if unknown := names - known:
        raise UserError(f"--only: unknown check {sorted(unknown)[0]!r} "
                        f"(known: {', '.join(sorted(known))})")
    return names


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--only", "only", help="Comma-separated checks: dns, database, smtp, workers, ...")
@pass_app
def doctor_cmd(lazy: LazyContext, as_json: bool, only: str | None) -> None:
    """Check the configuration end to end: database, broker, workers, SMTP, IMAP, DKIM."""
    names = _only(only)
    findings: list[Any] = []
    if names is None or "dns" in names:
        findings += [f for fn in CHECKS for f in fn(lazy.app)]
    if names is None or names - {"dns"}:
        findings += setup_findings(lazy.app, None if names is None else names - {"dns"})
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
