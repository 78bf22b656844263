"""The `outreach` command line. Each command group lives in its own module, imported only
when one of its commands runs: `outreach --help` lists the commands from the table below
without importing SQLAlchemy, Celery, Flask or rich (0.8 s before, about 0.1 s now), and
`outreach alert send` does not pay for the web app's imports.
"""

from __future__ import annotations

import gc
import importlib
import sys
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

import click

from outreach.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy.exc import OperationalError

    from outreach.context import AppContext


class Lazy(NamedTuple):
    modules: tuple[str, ...]  # outreach.cli.<module>s whose register() adds the command
    help: str  # its help's first paragraph, for the command list (a test keeps them equal)


# `alert` is one group that three modules add subcommands to.
COMMANDS: dict[str, Lazy] = {
    "alert": Lazy(("alerts", "sending", "reports", "guard"),
                  "Write, preview, send and follow alerts."),
    "contacts": Lazy(("contacts",), "The contact list: journalists, NGO staff, politicians."),
    "db": Lazy(("db",), "Database schema."),
    "doctor": Lazy(("doctor",), "Check the configuration end to end: database, broker, "
                                "workers, SMTP, IMAP, DKIM."),
    "demo": Lazy(("demo",), "Import the example contacts, create the example alert and send "
                            "it to a local sink."),
    "inbound": Lazy(("inbound",), "Inbound mail that needs a person: unmatched and "
                                  "unparseable messages."),
    "outlets": Lazy(("contacts",), "Media outlets and NGOs."),
    "poll": Lazy(("inbound",), "Read the inbound mailbox once: bounces, replies, auto-replies, "
                               "complaints, unsubscribes."),
    "replies": Lazy(("inbound",), "Replies with contact, outlet, alert and their new text "
                                  "(auto-replies only with --all)."),
    "report": Lazy(("reports",), "Reach of an alert per outlet (or country, contact type, "
                                 "language)."),
    "audit": Lazy(("users",), "The audit log, newest first: who changed what, from the console "
                              "and the CLI."),
    "users": Lazy(("users",), "Console accounts: invite, list, change role, disable."),
    "tokens": Lazy(("tokens",), "API tokens: `Authorization: Bearer otr_…` on /api/v1."),
    "web": Lazy(("web",), "Serve the web app; put a TLS-terminating proxy in front in "
                          "production (and set OUTREACH_TRUSTED_PROXIES=1 so that it sees "
                          "the client's scheme and host)."),
    "webhooks": Lazy(("webhooks",), "Signed HTTP callbacks on replies, bounces, unsubscribes, "
                                    "complaints and alert states."),
    "worker": Lazy(("worker",), "Start a worker (needs OUTREACH_BROKER_URL; scale out by "
                                "starting more)."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use, from `COMMANDS`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            load(self, cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's own listing, with the short help of commands not imported yet taken from
        the table instead of importing every module just to print one line of each."""
        listed = [(name, self.commands.get(name) or click.Command(name, help=COMMANDS[name].help))
                  for name in self.list_commands(ctx)]
        rows = [(name, cmd) for name, cmd in listed if not cmd.hidden]
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in rows])


def load(group: click.Group, name: str) -> None:
    """Import the modules of command `name`; each `register`s its commands on `group` (a
    module that only adds subcommands to another's group, like `sending`, has no register).

    The cyclic garbage collector is off meanwhile, and what the imports made is frozen
    (`gc.freeze`) before it is back on: hundreds of thousands of objects that live as long as
    the process (modules, classes, functions, SQL constructs). Collecting during the imports
    finds nothing to free and costs a tenth of their time, and without the freeze the first
    passes after them would walk all these objects again, young and then old (together 0.1 s
    of `alert send` before its first batch is published)."""
    gc.disable()
    try:
        for module in COMMANDS[name].modules:
            register = getattr(importlib.import_module(f"outreach.cli.{module}"), "register",
                               None)
            if register is not None:
                register(group)
    finally:
        gc.freeze()
        gc.enable()


class OutreachGroup(LazyGroup):
    """Turns a user's mistake into one line on stderr and exit code 1, never a traceback.

    Covers our own `UserError`s and click's usage errors (unknown option, missing argument),
    which click alone would report with exit code 2 and a usage block.
    """

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            _fail(str(exc))
        except Exception as exc:
            if _is_database_error(exc):
                _fail(database_error(exc, ctx.obj))  # type: ignore[arg-type]
            message = broker_error(exc, ctx.obj)
            if message is None:
                raise  # a bug: the traceback is what a maintainer needs
            _fail(message)

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


def _is_database_error(exc: Exception) -> bool:
    """An unreachable server, a missing directory, a bad login (SQLAlchemy is imported by
    then if the command used a database at all)."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.OperationalError)


def database_error(exc: OperationalError, lazy: object) -> str:
    """One line naming the database (password hidden) and the driver's reason."""
    from sqlalchemy.engine import make_url

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


def broker_error(exc: BaseException, lazy: object) -> str | None:
    """One line naming OUTREACH_BROKER_URL (host and port, no password) and the reason, when
    `exc` is, or was raised from, a broker connection error (kombu, redis); else None.

    Generic on purpose: any command that publishes (send, resume, retry, follow-up ...) may
    meet a broker that is down, and Celery wraps the client's error in its own."""
    found = _connection_error(exc)
    if found is None:
        return None
    settings = getattr(getattr(lazy, "_app", None), "settings", None)
    reason = " ".join(str(found).split()) or type(found).__name__
    url = getattr(settings, "broker_url", None)
    if not url:
        return f"OUTREACH_BROKER_URL: cannot reach the broker: {reason}"
    parts = urlsplit(url)
    if parts.password:
        reason = reason.replace(parts.password, "***")
    where = f"{parts.scheme}://{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return f"OUTREACH_BROKER_URL {where}: cannot reach the broker: {reason}"


def _connection_error(exc: BaseException) -> BaseException | None:
    """The broker client's connection error in `exc`'s cause/context chain, if any (kombu
    and redis are imported by then if the command talked to a broker at all)."""
    kombu, redis = sys.modules.get("kombu.exceptions"), sys.modules.get("redis.exceptions")
    client = (redis.ConnectionError, redis.TimeoutError) if redis is not None else ()
    kinds = client + ((kombu.OperationalError,) if kombu is not None else ())
    seen: BaseException | None = exc
    for _ in range(20):  # causes form a chain, not a cycle; bounded all the same
        if seen is None or not kinds:
            return None
        if isinstance(seen, kinds):
            inner = seen.__cause__ or seen.__context__
            return inner if client and isinstance(inner, client) else seen
        seen = seen.__cause__ or seen.__context__
    return None


def _fail(message: str) -> None:
    from rich.console import Console

    from outreach.cli.output import safe

    Console(stderr=True).print(f"[bold red]error:[/] {safe(message)}", highlight=False,
                               soft_wrap=True)
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
            from outreach.config import load_settings
            from outreach.context import AppContext

            self._app = AppContext(load_settings())
        return self._app


pass_app = click.make_pass_decorator(LazyContext)
