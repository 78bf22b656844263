"""The `outreach` command line. Each command group lives in its own module."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from outreach.config import load_settings
from outreach.context import AppContext
from outreach.errors import UserError

err_console = Console(stderr=True)


class OutreachGroup(click.Group):
    """Turns a user's mistake into one line on stderr and exit code 1, never a traceback.

    Covers our own `UserError`s and click's usage errors (unknown option, missing argument),
    which click alone would report with exit code 2 and a usage block.
    """

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            _fail(str(exc))
        except OperationalError as exc:  # unreachable server, missing directory, bad login
            _fail(database_error(exc, ctx.obj))

    def main(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)  # type: ignore[arg-type]
        except click.exceptions.NoArgsIsHelpError as exc:  # `outreach`, `outreach alert`
            click.echo(exc.format_message())
            sys.exit(0)
        except click.UsageError as exc:
            where = f"{exc.ctx.command_path}: " if exc.ctx else ""
            _fail(f"{where}{exc.format_message()} (see --help)")
        except click.ClickException as exc:
            _fail(exc.format_message())
        except click.Abort:
            _fail("aborted")
        sys.exit(result if isinstance(result, int) else 0)


def database_error(exc: OperationalError, lazy: object) -> str:
    """One line naming the database (password hidden) and the driver's reason."""
    settings = getattr(getattr(lazy, "_app", None), "settings", None)
    reason = " ".join(str(exc.orig if exc.orig is not None else exc).split())
    if settings is None:
        return f"database: {reason}"
    url = make_url(settings.database_url)
    if url.password:
        reason = reason.replace(url.password, "***")
    where = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database and "unable to open" in reason:
        reason += " (does its directory exist?)"
    return f"OUTREACH_DATABASE_URL {where}: cannot use the database: {reason}"


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(1)


@click.group(cls=OutreachGroup)
@click.version_option(package_name="outreach")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Urgent alerts to journalists and NGOs: contacts, alerts, sending, tracking."""
    ctx.obj = LazyContext()


class LazyContext:
    """Loads settings on first use, so that `--help` works with a broken environment."""

    _app: AppContext | None = None

    @property
    def app(self) -> AppContext:
        if self._app is None:
            self._app = AppContext(load_settings())
        return self._app


pass_app = click.make_pass_decorator(LazyContext)


def _register() -> None:
    """Each command module adds its commands; `alerts` first, since others extend its group
    (`sending` only extends it: its commands join the `alert` group when it is imported)."""
    import importlib

    for name in ("db", "contacts", "alerts", "worker", "web", "inbound", "reports", "demo"):
        importlib.import_module(f"outreach.cli.{name}").register(main)
    importlib.import_module("outreach.cli.sending")


_register()
