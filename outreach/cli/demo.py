"""`outreach demo`: the whole product on a machine with no services.

A SQLite database in a demo directory, the example contacts and alert, a local SMTP sink
(aiosmtpd, writing every received message to a Maildir), and the embedded Celery worker.
Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import click
from rich.console import Console

from outreach.config import Settings
from outreach.contacts.segments import Segment
from outreach.context import AppContext
from outreach.db.session import session_scope, upgrade
from outreach.errors import UserError

DEMO_TUNING = {"sweep_seconds": 0.5, "retry_schedule": (1.0, 2.0, 5.0)}


def find_example(name: str) -> Path:
    """An example file shipped with the package (the repository's examples/ folder), so that
    the demo runs from an installed wheel, in any directory."""
    path = Path(str(resources.files("outreach.examples") / name))
    if not path.is_file():
        raise UserError(f"{name}: not found in {path.parent} (a broken install?)")
    return path


@contextmanager
def maildir_sink(maildir: Path) -> Iterator[int]:
    """An aiosmtpd server on 127.0.0.1 that stores what it receives in `maildir`."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Mailbox(maildir), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@click.command("demo")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=Path("outreach-demo"), show_default=True,
              help="Where the demo database and the received mail go (recreated).")
def demo_cmd(directory: Path) -> None:
    """Import the example contacts, create the example alert and send it to a local sink."""
    from outreach.cli.sending import drive

    console = Console()
    contacts_csv, alert_md = find_example("contacts.csv.example"), find_example("alert.md")
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("demo.sqlite*"):
        old.unlink()
    maildir = directory / "maildir"
    shutil.rmtree(maildir, ignore_errors=True)
    with maildir_sink(maildir) as port:
        settings = Settings(database_url=f"sqlite:///{(directory / 'demo.sqlite').resolve()}",
                            smtp_url=f"smtp://127.0.0.1:{port}", **DEMO_TUNING)
        ctx = AppContext(settings)
        alert_id = _prepare(ctx, contacts_csv, alert_md, console)
        drive(ctx, alert_id, True, console)
        _report(ctx, alert_id, maildir, console)
        ctx.engine.dispose()


def _prepare(ctx: AppContext, contacts_csv: Path, alert_md: Path, console: Console) -> int:
    from outreach.alerts.create import create_alert
    from outreach.contacts.importer import import_csv
    from outreach.sending.blast import create_blast

    upgrade(ctx.engine)
    report = import_csv(ctx.sessions, contacts_csv, source="demo")
    console.print(f"imported {contacts_csv.name}: {report.created} contacts created, "
                  f"{report.rejected} rejected", highlight=False)
    variants = {p.suffixes[0].lstrip("."): p for p in alert_md.parent.glob("alert.*.md")}
    with session_scope(ctx.sessions) as session:
        alert = create_alert(session, ctx.settings, alert_md, variants=variants,
                             segment=Segment())
        summary = create_blast(session, alert)
    console.print(f"alert {alert.id} ({', '.join(['en', *sorted(variants)])}): "
                  f"{summary.queued} messages queued", highlight=False)
    return alert.id


def _report(ctx: AppContext, alert_id: int, maildir: Path, console: Console) -> None:
    from outreach.sending.status import alert_status

    with ctx.sessions() as session:
        status = alert_status(session, alert_id)
    files = sorted((maildir / "new").glob("*")) if (maildir / "new").exists() else []
    console.print(f"\n{len(files)} messages received by the local SMTP sink, one file each "
                  f"(Maildir; open them with any mail client or a text editor):\n  "
                  f"{(maildir / 'new').resolve()}", highlight=False)
    every = status["counts"]["sent"] == status["total"]
    console.print(f"{status['counts']['sent']} of {status['total']} contacts sent"
                  + (": every example contact got the alert." if every else "."),
                  highlight=False)


def register(main: click.Group) -> None:
    main.add_command(demo_cmd)
