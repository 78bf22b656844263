"""The `outreach` command line. Each command group lives in its own module."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from outreach.context import AppContext
from outreach.errors import UserError
from outreach.settings import load_settings

err_console = Console(stderr=True)


class OutreachGroup(click.Group):
    """Turns a user's mistake into one line on stderr and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
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
    import importlib

    for name in ("db", "contacts", "alerts", "sending", "worker", "web", "inbound", "reports",
                 "demo"):
        try:
            module = importlib.import_module(f"outreach.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"outreach.cli.{name}":
                raise
            continue
        module.register(main)


_register()
