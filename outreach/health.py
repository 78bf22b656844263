"""`outreach doctor`: the configuration checked end to end, one line per check.

Cross-cutting like outreach.context: the registry lives here, each check in its stage, except
the database's: `outreach.db` sits below the AppContext every check takes, so its check is
here (below, `database`), not in the db package.

A check is a small function in the module of its stage, `check(ctx) -> CheckResult`, that
says in one line what it found; it never raises for what it was asked to check (the
registry turns an unexpected exception into a failed line). To add one, add one line to
`CHECKS`: ("name", "package.module:function"). Modules are imported only when the doctor
runs, so nothing here costs the other commands anything.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from outreach.context import AppContext
from outreach.db.session import ensure_current, head_revision
from outreach.errors import SchemaBehindError

Status = Literal["ok", "warn", "fail", "skip"]


@dataclass(frozen=True)
class CheckResult:
    status: Status
    text: str

    @classmethod
    def ok(cls, text: str) -> CheckResult:
        return cls("ok", text)

    @classmethod
    def warn(cls, text: str) -> CheckResult:
        return cls("warn", text)

    @classmethod
    def fail(cls, text: str) -> CheckResult:
        return cls("fail", text)

    @classmethod
    def skip(cls, text: str) -> CheckResult:
        return cls("skip", text)


Check = Callable[[AppContext], CheckResult]

CHECKS: list[tuple[str, str]] = [
    ("secret", "outreach.sending.health_checks:secret"),
    ("database", "outreach.health:database"),
    ("broker", "outreach.sending.health_checks:broker"),
    ("workers", "outreach.sending.health_checks:workers"),
    ("sweeper", "outreach.sending.health_checks:sweeper"),
    ("smtp", "outreach.mta.health:smtp"),
    ("imap", "outreach.inbound.health:imap"),
    ("dkim-key", "outreach.mail.health:dkim_key"),
]


def load(path: str) -> Check:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def run_checks(ctx: AppContext, checks: list[tuple[str, str]] | None = None,
               ) -> Iterator[tuple[str, CheckResult]]:
    """Run each check in order; an exception becomes that check's failure, not the end."""
    for name, path in checks if checks is not None else CHECKS:
        try:
            result = load(path)(ctx)
        except Exception as exc:  # a doctor reports; it does not crash on what it examines
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""]
            result = CheckResult.fail(f"{type(exc).__name__}: {reason[0]}")
        yield name, result


def database(ctx: AppContext) -> CheckResult:
    """Reachable, and the schema at this code's head."""
    where = make_url(ctx.settings.database_url).render_as_string(hide_password=True)
    try:
        ensure_current(ctx.engine)
    except SchemaBehindError as exc:
        return CheckResult.fail(f"{where}: {exc}")
    except OperationalError as exc:
        return CheckResult.fail(f"{where}: cannot connect: {' '.join(str(exc.orig).split())}")
    return CheckResult.ok(f"{where}: schema at {head_revision(ctx.engine)}")
