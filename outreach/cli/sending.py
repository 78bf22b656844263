"""`outreach alert send|pause|resume|cancel|status|retry-failed`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from outreach import audit
from outreach.cli import LazyContext, pass_app
from outreach.cli.alerts import alert_group
from outreach.config import Settings
from outreach.contacts.hygiene import stale_in_alert
from outreach.context import AppContext
from outreach.db.session import session_scope
from outreach.errors import UserError
from outreach.sending import control
from outreach.sending.blast import create_blast
from outreach.sending.config import SendingConfig
from outreach.sending.enqueue import enqueue as enqueue_due

PAST_TOLERANCE = timedelta(minutes=5)  # a time typed a moment ago still means "now"


def parse_when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"--at {text!r}: expected a time like 2026-11-26T09:00+01:00") from None
    if when.tzinfo is None:
        raise UserError(f"--at {text!r}: give a timezone, e.g. 2026-11-26T09:00+01:00")
    if when < datetime.now(UTC) - PAST_TOLERANCE:
        raise UserError(f"--at {text!r}: that time is in the past, so an embargo would be broken "
                        "(to send now, leave out --at)")
    return when


@contextmanager
def broker(app_ctx: AppContext, configured: bool = False) -> Iterator[bool]:
    """Configure Celery; with no broker URL, run the embedded worker meanwhile (yields True).
    `configured`: a `BrokerConnection` thread did it (and connected) already."""
    settings = app_ctx.settings
    require_smtp_if_embedded(settings)
    if not configured:
        from workers.app import use_settings

        use_settings(settings)
    if settings.broker_url:
        yield False
        return
    from workers.embedded import embedded_worker

    with embedded_worker(settings):
        yield True


def require_smtp_if_embedded(settings: Settings) -> None:
    """Without a broker this command is the worker: no SMTP server means it would wait forever
    on messages nobody can send. Say so before anything is queued or changed."""
    if not settings.broker_url:
        settings.require_smtp_url("without OUTREACH_BROKER_URL this command sends the mail "
                                  "itself and needs an SMTP server")


def enqueue(app_ctx: AppContext, alert_id: int) -> int:
    """Publish the alert's due messages through the Celery adapter (the entrypoint's part)."""
    from workers.tasks import publish

    config = SendingConfig.from_settings(app_ctx.settings)
    return enqueue_due(app_ctx.sessions, config, alert_id, publish)


def drive(app_ctx: AppContext, alert_id: int, wait: bool, console: Console) -> None:
    """Enqueue and, unless told not to wait, watch the blast to its end and print the summary."""
    with broker(app_ctx) as embedded:
        follow(app_ctx, alert_id, wait or embedded, console)


def follow(app_ctx: AppContext, alert_id: int, wait: bool, console: Console) -> None:
    enqueue(app_ctx, alert_id)
    if wait:
        from outreach.sending.guard.view import describe, guard_view
        from outreach.sending.progress import summary_table, watch

        status = watch(app_ctx.sessions, alert_id, console, until=_held(app_ctx, alert_id))
        console.print(summary_table(status))
        with app_ctx.sessions() as session:  # the deliverability guard's pauses, and why
            lines = describe(guard_view(session, app_ctx.settings, alert_id), alert_id)
        for line in lines:
            console.print(escape(line), highlight=False, soft_wrap=True)
    else:
        console.print(f"alert {alert_id} queued; follow it with `outreach alert status "
                      f"{alert_id}`")


def _held(app_ctx: AppContext, alert_id: int) -> Callable[[dict[str, Any]], bool]:
    """Stop watching when all that is left waits for a domain the guard paused."""
    from outreach.sending.guard.watch import only_held_left

    def check(status: dict[str, Any]) -> bool:
        with app_ctx.sessions() as session:
            return only_held_left(session, alert_id, status["open"])

    return check


def warm_up_broker() -> None:
    """Connect to the broker before the blast exists, so the first batch goes out at once:
    also what Celery does once, on its first publish (build the task registry and the result
    backend, declare the queues), 10 ms otherwise spent between the commit and the first
    batch."""
    from workers.app import app

    app.tasks, app.backend  # noqa: B018  (each built on first use)
    with app.producer_or_acquire() as producer:
        producer.connection.ensure_connection(max_retries=3)
        for queue in app.amqp.queues.values():
            producer.maybe_declare(queue)


class BrokerConnection:
    """Celery configured and connected to the broker before a launch's first publish.

    With OUTREACH_BROKER_URL this happens in a thread started once the launch is confirmed:
    importing Celery, redis and the task module and connecting (about 0.15 s of CPU) overlap
    the blast's INSERT, while the main thread waits on the database, instead of delaying the
    first batch. By then the main thread has imported what it needs (the thread imports
    Celery, kombu, redis and `workers`; the project has no import cycles for two importing
    threads to deadlock on), and nothing else touches Celery until `ready()`. Without a
    broker URL, `broker()` starts the embedded worker and `ready()` connects to it then."""

    def __init__(self, settings: Settings) -> None:
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if settings.broker_url:  # a daemon: an early error exits without waiting for it
            self._thread = threading.Thread(target=self._connect, args=(settings,),
                                            name="outreach-broker-connect", daemon=True)
            self._thread.start()

    @property
    def configured(self) -> bool:
        return self._thread is not None

    def _connect(self, settings: Settings) -> None:
        try:
            from workers.app import use_settings
            from workers.tasks import publish  # noqa: F401  (what the first publish uses)

            use_settings(settings)
            warm_up_broker()
        except BaseException as exc:  # handed to the main thread by `ready()`
            self._error = exc

    def ready(self) -> None:
        """Wait until connected; a broker that cannot be reached raises its error here."""
        if self._thread is None:
            warm_up_broker()
            return
        self._thread.join()
        if self._error is not None:
            raise self._error


@alert_group.command("send")
@click.argument("alert_id", type=int)
@click.option("--urgent", is_flag=True, help="Use the urgent queue (served before bulk).")
@click.option("--at", "at_text", help="Send at this time (embargo), e.g. 2026-11-26T09:00+01:00.")
@click.option("--no-wait", is_flag=True, help="Return once queued (needs OUTREACH_BROKER_URL).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@pass_app
def send_cmd(lazy: LazyContext, alert_id: int, urgent: bool, at_text: str | None,
             no_wait: bool, yes: bool) -> None:
    """Send an alert to its segment (minus suppressed contacts), with live progress.

    Shows how many contacts would get it and asks first (`--yes` for scripts)."""
    from outreach.audit import cli_actor, record
    from outreach.cli.confirm import confirm_launch
    from outreach.sending.plan import launch_plan

    app_ctx = lazy.app
    at = parse_when(at_text)
    if no_wait and not app_ctx.settings.broker_url:
        raise UserError("--no-wait: needs OUTREACH_BROKER_URL (without it the worker runs "
                        "inside this command)")
    sessions = app_ctx.checked_sessions()
    console = Console()
    require_smtp_if_embedded(app_ctx.settings)  # before asking: a send that cannot run
    with session_scope(sessions) as session:  # closed before asking: no lock while waiting
        alert = control.get_alert(session, alert_id)
        if alert.state != "draft":  # say so before asking about a send that cannot happen
            raise UserError(f"alert {alert_id} is {alert.state}: it can only be sent once "
                            "(see `outreach alert status`, `resume`, `retry-failed`)")
        plan = launch_plan(session, alert)
    confirm_launch(plan, console, yes=yes)
    connection = BrokerConnection(app_ctx.settings)  # meanwhile, the blast is inserted
    with broker(app_ctx, configured=connection.configured) as embedded:
        with session_scope(sessions) as session:
            try:
                summary = create_blast(session, control.get_alert(session, alert_id),
                                       urgent=urgent, at=at)
            finally:  # before the commit; an unreachable broker is the error shown, as ever
                connection.ready()
            record(session, cli_actor(), "alert.schedule" if summary.scheduled_at
                   else "alert.launch", f"alert:{alert_id}", count=summary.queued,
                   suppressed=summary.suppressed, urgent=urgent)
            stale = stale_in_alert(session, alert_id)  # before any outcome of this alert
        when = (f", scheduled for {summary.scheduled_at.isoformat()}"
                if summary.scheduled_at else "")
        console.print(f"alert {alert_id}: {summary.queued} messages queued, "
                      f"{summary.suppressed} suppressed contacts skipped, {stale} stale "
                      f"(`contacts list --where status=stale`){when}", highlight=False)
        follow(app_ctx, alert_id, embedded or not no_wait, console)


@alert_group.command("pause")
@click.argument("alert_id", type=int)
@pass_app
def pause_cmd(lazy: LazyContext, alert_id: int) -> None:
    """Stop sending (every worker stops within seconds); `resume` continues."""
    with session_scope(lazy.app.checked_sessions()) as session:
        control.pause(session, alert_id)
        audit.record(session, audit.cli_actor(), "alert.pause", f"alert:{alert_id}")
    Console().print(f"alert {alert_id} paused")


@alert_group.command("resume")
@click.argument("alert_id", type=int)
@click.option("--no-wait", is_flag=True, help="Return once queued (needs OUTREACH_BROKER_URL).")
@pass_app
def resume_cmd(lazy: LazyContext, alert_id: int, no_wait: bool) -> None:
    """Continue a paused alert (on a sending one: publish again what waits)."""
    from outreach.audit import cli_actor
    from outreach.sending.resume import resume_everything

    require_smtp_if_embedded(lazy.app.settings)
    with session_scope(lazy.app.checked_sessions()) as session:
        resumed = resume_everything(session, alert_id, cli_actor())  # and the guard's domains
        if resumed.alert:
            audit.record(session, cli_actor(), "alert.resume", f"alert:{alert_id}")
    console = Console()
    console.print(f"alert {alert_id} resumed" + "".join(
        f"; domain {escape(d)} resumed" for d in resumed.domains), highlight=False)
    drive(lazy.app, alert_id, not no_wait, console)


@alert_group.command("cancel")
@click.argument("alert_id", type=int)
@pass_app
def cancel_cmd(lazy: LazyContext, alert_id: int) -> None:
    """Cancel an alert: nothing more is sent."""
    with session_scope(lazy.app.checked_sessions()) as session:
        count = control.cancel(session, alert_id)
        audit.record(session, audit.cli_actor(), "alert.cancel", f"alert:{alert_id}",
                     cancelled=count)
    Console().print(f"alert {alert_id} cancelled ({count} unsent messages cancelled)")


@alert_group.command("retry-failed")
@click.argument("alert_id", type=int)
@click.option("--no-wait", is_flag=True, help="Return once queued (needs OUTREACH_BROKER_URL).")
@pass_app
def retry_failed_cmd(lazy: LazyContext, alert_id: int, no_wait: bool) -> None:
    """Put the alert's failed messages back in the queue."""
    require_smtp_if_embedded(lazy.app.settings)
    with session_scope(lazy.app.checked_sessions()) as session:
        count = control.retry_failed(session, alert_id)
        audit.record(session, audit.cli_actor(), "alert.retry_failed", f"alert:{alert_id}",
                     requeued=count)
    console = Console()
    console.print(f"alert {alert_id}: {count} failed messages requeued")
    drive(lazy.app, alert_id, not no_wait, console)


@alert_group.command("status")
@click.argument("alert_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def status_cmd(lazy: LazyContext, alert_id: int, as_json: bool) -> None:
    """Counts per message status, and the deliverability guard's pauses with their reasons."""
    from outreach.cli.output import echo_json, table_console
    from outreach.sending.guard.view import describe, guard_view
    from outreach.sending.progress import summary_table
    from outreach.sending.status import alert_status

    stale = lazy.app.settings.sweep_stale_seconds
    with lazy.app.checked_sessions()() as session:
        status = alert_status(session, alert_id, sweep_stale_seconds=stale)
        status["guard"] = guard_view(session, lazy.app.settings, alert_id)
    if as_json:
        echo_json(status)
    else:
        table_console().print(summary_table(status))
        for line in describe(status["guard"], alert_id):
            table_console().print(escape(line), highlight=False, soft_wrap=True)
