"""The database check of `outreach doctor`: reachable, and the schema at this code's head."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from outreach.context import AppContext
from outreach.db.session import ensure_current, head_revision
from outreach.errors import SchemaBehindError
from outreach.health import CheckResult


def schema(ctx: AppContext) -> CheckResult:
    where = make_url(ctx.settings.database_url).render_as_string(hide_password=True)
    try:
        ensure_current(ctx.engine)
    except SchemaBehindError as exc:
        return CheckResult.fail(f"{where}: {exc}")
    except OperationalError as exc:
        return CheckResult.fail(f"{where}: cannot connect: {' '.join(str(exc.orig).split())}")
    return CheckResult.ok(f"{where}: schema at {head_revision(ctx.engine)}")
