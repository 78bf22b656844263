"""Dashboard pages: alerts with live progress, one alert's reach, replies and controls."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import Session

from outreach.alerts.repository import get_alert
from outreach.audit import record
from outreach.db.models import MESSAGE_STATUSES, Alert
from outreach.db.session import session_scope
from outreach.errors import UserError
from outreach.reports.reach import alert_overview, reach_report, reply_counts, status_counts
from outreach.reports.rows import DIMENSIONS, filter_rows, summary
from outreach.reports.table import write_rows
from outreach.sending.guard.view import guard_view
from outreach.sending.resume import resume_everything
from outreach.web.app import app_context
from outreach.web.dashboard.chart import outcomes_svg
from outreach.web.dashboard.queries import outcome_timeline, replies
from outreach.web.dashboard.roles import current_actor, requires

ACTIONS = ("pause", "resume", "cancel")
REACH_FILTERS = ("", "reached", "not_reached", "engaged", "not_engaged")
TABLE_PAGE = 100
LIVE_STATES = ("scheduled", "sending")


@contextmanager
def db() -> Iterator[Session]:
    with session_scope(app_context(current_app).sessions) as session:
        yield session


def alert_or_404(session: Session, alert_id: int) -> Alert:
    """The alert (`outreach.alerts.repository.get_alert`), or 404 for the browser."""
    try:
        return get_alert(session, alert_id)
    except UserError:
        abort(404)


def index() -> Any:
    return redirect(url_for("dashboard.alerts"))


@requires("viewer")
def alerts() -> Any:
    with db() as session:
        rows = alert_overview(session, limit=200)
    live = any(r["state"] in LIVE_STATES for r in rows)
    return render_template("dashboard/alerts.html", alerts=rows, live=live)


@requires("viewer")
def alerts_json() -> Any:
    with db() as session:
        return jsonify({"alerts": alert_overview(session, limit=200)})


def _live(session: Session, alert: Alert) -> dict[str, Any]:
    from outreach.sending.liveness import last_sweep
    from outreach.sending.states import OPEN_STATUSES
    from outreach.sending.status import sweep_warning

    counts = status_counts(session, [alert.id]).get(alert.id, dict.fromkeys(MESSAGE_STATUSES, 0))
    waiting = sum(counts.get(s, 0) for s in OPEN_STATUSES)
    stale = app_context(current_app).settings.sweep_stale_seconds
    return {"alert": alert.id, "state": alert.state, "total": sum(counts.values()),
            "counts": counts, "replies": reply_counts(session, [alert.id]).get(alert.id, 0),
            "actions": _allowed_actions(alert.state),
            "warning": sweep_warning(alert.state, waiting, last_sweep(session), stale) or ""}


@requires("viewer")
def alert_page(alert_id: int) -> Any:
    by = request.args.get("by", "outlet")
    reach_filter = request.args.get("reach", "")
    country = request.args.get("country", "").strip()[:2]
    page = request.args.get("page", "1")
    if by not in DIMENSIONS or reach_filter not in REACH_FILTERS or not page.isdigit():
        abort(400)
    with db() as session:
        alert = alert_or_404(session, alert_id)
        report = reach_report(session, alert_id, by)
        rows = filter_rows(report.rows, reach=reach_filter, country=country)
        totals = report.totals  # a sum over every row: once
        context = dict(
            alert=alert, live=_live(session, alert), statuses=MESSAGE_STATUSES,
            totals=totals, summary=summary(report.rows), by=by, dimensions=DIMENSIONS,
            reach_filter=reach_filter, reach_filters=REACH_FILTERS, country=country,
            countries=sorted({r.country for r in report.rows if r.country}),
            replies=replies(session, alert_id),
            actions=ACTIONS, rare=[s for s in MESSAGE_STATUSES if not totals.statuses[s]
                                   and s not in ("sent", "bounced", "failed")],
            **_table_page(rows, int(page)),
            guard=guard_view(session, app_context(current_app).settings, alert_id),
        )
    return render_template("dashboard/alert.html", **context)


@requires("viewer")
def alert_chart(alert_id: int) -> Any:
    """The outcomes chart as its own image: the page does not wait for the events query."""
    with db() as session:
        alert_or_404(session, alert_id)
        start, width, series = outcome_timeline(session, alert_id)
    return Response(str(outcomes_svg(start, width, series, standalone=True)),
                    mimetype="image/svg+xml")


@requires("viewer")
def reach_csv(alert_id: int) -> Any:
    """The whole reach table as CSV, the file `outreach report ID --csv` writes."""
    by = request.args.get("by", "outlet")
    if by not in DIMENSIONS:
        abort(400)
    with db() as session:
        alert_or_404(session, alert_id)
        report = reach_report(session, alert_id, by)
        out = io.StringIO()
        write_rows(report, out)
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="alert-{alert_id}-reach-by-{by}.csv"'})


def _table_page(rows: list[Any], page: int) -> dict[str, Any]:
    """One page of the reach table (largest groups first): a few hundred rows at most."""
    pages = max(1, -(-len(rows) // TABLE_PAGE))
    page = min(max(page, 1), pages)
    return {"rows": rows[(page - 1) * TABLE_PAGE:page * TABLE_PAGE], "page": page,
            "pages": pages, "matching": len(rows)}


@requires("viewer")
def alert_json(alert_id: int) -> Any:
    with db() as session:
        return jsonify(_live(session, alert_or_404(session, alert_id)))


def _allowed_actions(state: str) -> list[str]:
    from outreach.sending.states import ALERT_TRANSITIONS

    return [a for a in ACTIONS if a in ALERT_TRANSITIONS.get(state, {})]


@requires("sender")
def control(alert_id: int, action: str) -> Any:
    """POST (CSRF-checked by the guard): the sending engine's pause/resume/cancel."""
    if action not in ACTIONS:
        abort(404)
    from outreach.sending import control as engine

    try:
        with db() as session:
            alert_or_404(session, alert_id)
            if action == "resume":  # the alert and whatever the deliverability guard paused
                resume_everything(session, alert_id, current_actor())
                result = None
            else:
                result = getattr(engine, action)(session, alert_id)
            detail = {"count": result} if isinstance(result, int) else {}
            record(session, current_actor(), f"alert.{action}", f"alert:{alert_id}", **detail)
    except UserError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Alert {alert_id}: {action} done.", "ok")
        if action == "resume":
            enqueue_now(alert_id)
    return redirect(url_for("dashboard.alert", alert_id=alert_id))


def enqueue_now(alert_id: int) -> None:
    """Put the alert's due messages on the broker now, as `outreach alert send|resume` do.

    Without a broker (embedded mode) no worker runs beside the web app: say how to continue.
    A broker error is not fatal: the workers' sweeper re-enqueues what is still queued.
    """
    app_ctx = app_context(current_app)
    if not app_ctx.settings.broker_url:
        flash("No broker is configured (embedded mode): run `outreach alert resume "
              f"{alert_id}` to deliver.", "error")
        return
    from outreach.sending.config import SendingConfig
    from outreach.sending.enqueue import enqueue
    from workers.app import use_settings
    from workers.tasks import publish

    try:
        use_settings(app_ctx.settings)
        enqueue(app_ctx.sessions, SendingConfig.from_settings(app_ctx.settings), alert_id,
                publish)
    except Exception:  # the sweeper will pick the messages up; log for the operator
        current_app.logger.exception("enqueue of alert %s failed", alert_id)
        flash("Queued, but the broker did not answer: the workers will pick the alert up "
              "within seconds.", "error")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/", "index", index)
    bp.add_url_rule("/alerts", "alerts", alerts)
    bp.add_url_rule("/alerts.json", "alerts_json", alerts_json)
    bp.add_url_rule("/alerts/<int:alert_id>", "alert", alert_page)
    bp.add_url_rule("/alerts/<int:alert_id>.json", "alert_json", alert_json)
    bp.add_url_rule("/alerts/<int:alert_id>/reach.csv", "reach_csv", reach_csv)
    bp.add_url_rule("/alerts/<int:alert_id>/chart.svg", "alert_chart", alert_chart)
    bp.add_url_rule("/alerts/<int:alert_id>/<action>", "control", control, methods=["POST"])
