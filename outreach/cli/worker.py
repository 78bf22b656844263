"""`outreach worker`: a Celery worker for the sending (and inbound) queues."""

from __future__ import annotations

import click

from outreach.cli import LazyContext, pass_app
from outreach.errors import UserError


@click.command("worker")
@click.option("--queues", default="urgent,bulk", show_default=True,
              help="Queues to consume, in priority order.")
@click.option("--concurrency", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: OUTREACH_WORKER_CONCURRENCY, else two per "
                   "core).")
@click.option("--beat", is_flag=True,
              help="Also run beat in this worker (only the inbound mailbox poll needs it).")
@pass_app
def worker_cmd(lazy: LazyContext, queues: str, concurrency: int | None, beat: bool) -> None:
    """Start a worker (needs OUTREACH_BROKER_URL; scale out by starting more)."""
    from workers.app import app, use_settings, worker_concurrency

    settings = lazy.app.settings
    if not settings.broker_url:
        raise UserError("OUTREACH_BROKER_URL: not set; a separate worker needs a broker "
                        "(without one, `outreach alert send` runs its own worker)")
    use_settings(settings)
    argv = ["worker", f"--queues={queues}", "--loglevel=INFO",
            f"--concurrency={concurrency or worker_concurrency(settings)}"]
    if beat:
        argv.append("--beat")
    app.worker_main(argv)


def register(main: click.Group) -> None:
    main.add_command(worker_cmd)
