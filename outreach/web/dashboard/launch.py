"""The launch page: say what a send would do, then send only what was confirmed.

Before anything is sent the page states the recipients per language, the suppressed contacts
skipped, the lane and the embargo time in the zone it was given in. The confirmation names
the count: the person types the number of recipients, and the launch is refused if the
number typed is not the number the server counts at that moment (contacts imported since the
page was shown change it). An alert without a segment goes to everyone and needs a second,
separate confirmation. The blast itself is `create_blast`, as for `outreach alert send`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from outreach.audit import record
from outreach.errors import UserError
from outreach.sending.blast import create_blast
from outreach.sending.plan import launch_plan
from outreach.web.app import app_context
from outreach.web.dashboard.roles import current_actor, requires
from outreach.web.dashboard.views import alert_or_404, db, enqueue_now

PAST_TOLERANCE = timedelta(minutes=5)
COMMON_ZONES = ("UTC", "Europe/London", "Europe/Berlin", "Europe/Budapest", "Europe/Kyiv",
                "Europe/Moscow", "Asia/Almaty", "Asia/Tbilisi", "America/New_York")


def _embargo(date_text: str, zone: str) -> datetime | None:
    """`2026-11-26T09:00` in `Europe/Budapest` -> an aware datetime; '' -> None (send now)."""
    if not date_text.strip():
        return None
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"time zone {zone!r}: not a known zone like Europe/Budapest") from None
    try:
        when = datetime.fromisoformat(date_text.strip()).replace(tzinfo=tz)
    except ValueError:
        raise UserError(f"embargo {date_text!r}: expected a date and time") from None
    if when < datetime.now(UTC) - PAST_TOLERANCE:
        raise UserError("the embargo time is in the past: leave it empty to send now")
    return when


def _options() -> dict[str, Any]:
    zone = request.values.get("zone", "UTC")
    return {"urgent": request.values.get("urgent") == "1",
            "at_text": request.values.get("at", "")[:16], "zone": zone[:64]}


def _page(alert_id: int, *, error: str | None = None, status: int = 200) -> Any:
    options = _options()
    with db() as session:
        alert = alert_or_404(session, alert_id)
        plan = launch_plan(session, alert)
        session.expunge(alert)
    try:
        at = _embargo(options["at_text"], options["zone"])
    except UserError as exc:
        at, error = None, error or str(exc)
    return render_template(
        "dashboard/launch.html", alert=alert, plan=plan, at=at,
        at_utc=at.astimezone(UTC) if at else None, error=error,
        broker=bool(app_context(current_app).settings.broker_url),
        zones=sorted(available_timezones()), common_zones=COMMON_ZONES, **options,
    ), status


@requires("sender")
def launch_page(alert_id: int) -> Any:
    return _page(alert_id)


@requires("sender")
def launch(alert_id: int) -> Any:
    """POST: create the blast if the typed count is the count now, then queue it."""
    options = _options()
    if not app_context(current_app).settings.broker_url:
        return _page(alert_id, error="No broker is configured, so the console cannot send: "
                                     "use `outreach alert send` on the server.", status=409)
    try:
        at = _embargo(options["at_text"], options["zone"])
        with db() as session:
            alert = alert_or_404(session, alert_id)
            plan = launch_plan(session, alert)
            _check_confirmation(plan.recipients, plan.everyone)
            summary = create_blast(session, alert, urgent=options["urgent"], at=at)
            record(session, current_actor(), "alert.schedule" if at else "alert.launch",
                   f"alert:{alert_id}", count=summary.queued, suppressed=summary.suppressed,
                   urgent=summary.urgent, at=at.isoformat() if at else None,
                   by_language=plan.by_language)
    except UserError as exc:
        return _page(alert_id, error=str(exc), status=422)
    enqueue_now(alert_id)
    when = f", embargoed until {at.isoformat(timespec='minutes')} {options['zone']}" if at else ""
    flash(f"Alert {alert_id} launched: {summary.queued} messages queued"
          f"{' in the urgent lane' if summary.urgent else ''}{when}; "
          f"{summary.suppressed} suppressed contacts skipped.", "ok")
    return redirect(url_for("dashboard.alert", alert_id=alert_id))


def _check_confirmation(recipients: int, everyone: bool) -> None:
    typed = request.form.get("confirm_count", "").strip().replace(",", "").replace(" ", "")
    if typed != str(recipients):
        raise UserError(f"Type the number of recipients ({recipients}) to confirm. "
                        + ("If you typed the number the page showed, the count has changed "
                           "since (contacts imported or suppressed): check it again."
                           if typed.isdigit() else ""))
    if recipients == 0:
        raise UserError("Nobody would get this alert: choose another segment.")
    if everyone and request.form.get("confirm_everyone") != "1":
        raise UserError("This alert has no segment: tick the box to confirm it goes to "
                        "every contact.")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/alerts/<int:alert_id>/launch", "launch", launch_page)
    bp.add_url_rule("/alerts/<int:alert_id>/launch", "launch_post", launch, methods=["POST"])
