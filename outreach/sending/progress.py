"""A live `rich` progress bar for a blast, polling `alert_status` (works from any machine)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from outreach.sending.status import alert_status

WAITING_STATES = ("sending", "scheduled")


def watch(sessions: sessionmaker[Session], alert_id: int, console: Console,
          poll_seconds: float = 0.5, timeout: float | None = None,
          until: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """Show progress until the alert is no longer sending (or `until(status)` is true);
    returns the last status."""
    status = _status(sessions, alert_id)
    started = time.monotonic()
    columns = (SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
               MofNCompleteColumn(), TextColumn("{task.fields[detail]}"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False,
                  refresh_per_second=4) as progress:
        task = progress.add_task(f"alert {alert_id}", total=max(status["total"], 1), detail="")
        while status["state"] in WAITING_STATES:
            if timeout is not None and time.monotonic() - started > timeout:
                break
            if until is not None and until(status):
                break
            _update(progress, task, status, time.monotonic() - started)
            time.sleep(poll_seconds)
            status = _status(sessions, alert_id)
        _update(progress, task, status, time.monotonic() - started)
    return status


def _status(sessions: sessionmaker[Session], alert_id: int) -> dict[str, Any]:
    with sessions() as session:
        status = alert_status(session, alert_id)
        session.rollback()
    return status


def _update(progress: Progress, task: Any, status: dict[str, Any], elapsed: float) -> None:
    counts = status["counts"]
    done = status["total"] - status["open"]
    rate = counts["sent"] / elapsed if elapsed > 0 else 0.0
    detail = (f"sent {counts['sent']} · deferred {counts['deferred']} · "
              f"bounced {counts['bounced']} · {rate:,.0f}/s")
    if status["state"] == "scheduled":
        detail = f"scheduled for {status['scheduled_at']}"
    if status.get("warning"):
        detail += " · [yellow]no worker has swept lately: is one running?[/]"
    progress.update(task, completed=done, total=max(status["total"], 1), detail=detail)


def summary_table(status: dict[str, Any]) -> Table:
    table = Table(title=f"alert {status['alert']}: {status['title']} ({status['state']})")
    table.add_column("status")
    table.add_column("messages", justify="right")
    for name, count in status["counts"].items():
        table.add_row(name, str(count))
    table.add_row("[bold]total", f"[bold]{status['total']}")
    if status["uncertain"]:
        table.add_row("uncertain (may have arrived twice)", str(status["uncertain"]))
    if status.get("warning"):
        table.caption = f"warning: {escape(status['warning'])}"
        table.caption_style = "bold yellow"
    return table
