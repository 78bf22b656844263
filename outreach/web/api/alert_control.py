"""/alerts/{id}/launch|pause|resume|cancel|status: the blast, guarded against stale clients.

Launch requires `expected_recipients`, the count the client showed its user. The messages are
created (`create_blast`) and the number actually queued is compared with it IN THE SAME
TRANSACTION: if they differ (someone imported, unsubscribed or edited the segment meanwhile),
the transaction is rolled back, nothing is queued or sent, and the answer is 409 with the
current count. With an `Idempotency-Key`, a retried launch replays the first answer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from outreach.audit import record
from outreach.errors import UserError
from outreach.sending import control
from outreach.sending.blast import create_blast
from outreach.sending.plan import LaunchPlan, launch_plan
from outreach.sending.status import alert_status
from outreach.web.api.alerts import get_alert
from outreach.web.api.auth import api_actor
from outreach.web.api.common import ID, app_ctx, db, problems, settings
from outreach.web.api.idempotent import DOC as IDEMPOTENT_DOC
from outreach.web.api.idempotent import idempotent
from outreach.web.api.problems import Problem

blp = Blueprint("alert_control", __name__, url_prefix="/alerts", description="Sending")
PAST_TOLERANCE = timedelta(minutes=5)


class LaunchInput(Schema):
    expected_recipients = fields.Integer(required=True, validate=validate.Range(0, 10**9),
                                         metadata={"description": "the count you confirmed"})
    urgent = fields.Boolean(load_default=False)
    confirm_everyone = fields.Boolean(load_default=False, metadata={
        "description": "required when the alert has no segment (every contact)"})
    at = fields.AwareDateTime(load_default=None, metadata={
        "description": "embargo: send at this time (with its time zone)"})


class LaunchResult(Schema):
    alert_id = fields.Integer(required=True)
    state = fields.String(required=True)
    queued = fields.Integer(required=True)
    suppressed = fields.Integer(required=True)
    urgent = fields.Boolean(required=True)
    scheduled_at = fields.String(allow_none=True)


class StatusSchema(Schema):
    alert = fields.Integer(required=True)
    title = fields.String(required=True)
    state = fields.String(required=True)
    urgent = fields.Boolean(required=True)
    total = fields.Integer(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    uncertain = fields.Integer(required=True)
    open = fields.Integer(required=True)
    scheduled_at = fields.String(allow_none=True)
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)


class Empty(Schema):
    pass


def _broker_required() -> None:
    if not settings().broker_url:
        raise Problem(409, "OUTREACH_BROKER_URL is not set on the server: the API queues "
                           "blasts for workers and cannot send them itself")


def enqueue(alert_id: int) -> int:
    """Publish the alert's due messages (queue after commit), as `outreach alert send` does."""
    from outreach.sending.config import SendingConfig
    from outreach.sending.enqueue import enqueue as enqueue_due  # the core service, as the
    from workers.app import use_settings  # console's enqueue_now and `outreach alert send`
    from workers.tasks import publish

    try:
        use_settings(settings())
        return enqueue_due(app_ctx().sessions, SendingConfig.from_settings(settings()),
                           alert_id, publish)
    except Exception:  # committed: the workers' sweeper publishes what is still queued
        current_app.logger.exception("API: enqueue of alert %s failed", alert_id)
        return 0


@blp.route(f"/<{ID}:alert_id>/launch", methods=["POST"])
@blp.doc(**IDEMPOTENT_DOC)
@idempotent
@blp.arguments(LaunchInput)
@blp.response(202, LaunchResult)
@problems(404, 409)
def launch(data: dict[str, Any], alert_id: int) -> dict[str, Any]:
    """Send (or schedule, with `at`) to the segment, if it still has the expected count."""
    _broker_required()
    at: datetime | None = data.get("at")
    if at is not None and at < datetime.now(UTC) - PAST_TOLERANCE:
        raise Problem(422, "that time is in the past (leave it out to send now)", field="at")
    session = app_ctx().sessions()
    try:
        alert = get_alert(session, alert_id)
        _check_audience(launch_plan(session, alert), data)
        try:
            summary = create_blast(session, alert, urgent=data["urgent"], at=at)
        except UserError as exc:
            raise Problem(409, str(exc), field="alert_id") from None
        if summary.queued != data["expected_recipients"]:
            raise Problem(409, f"the segment now has {summary.queued} recipients, not "
                               f"{data['expected_recipients']}; nothing was sent",
                          field="expected_recipients")
        record(session, api_actor(), "alert.schedule" if summary.scheduled_at else "alert.launch",
               f"alert:{alert_id}", recipients=summary.queued, urgent=data["urgent"])
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    if summary.scheduled_at is None:
        enqueue(alert_id)
    return {"alert_id": alert_id, "state": summary.state, "queued": summary.queued,
            "suppressed": summary.suppressed, "urgent": summary.urgent,
            "scheduled_at": summary.scheduled_at.isoformat() if summary.scheduled_at else None}


def _check_audience(plan: LaunchPlan, data: dict[str, Any]) -> None:
    """The console's rules: nobody to send to is refused; everyone needs a second yes."""
    if plan.recipients == 0:
        raise Problem(409, "nobody would get this alert: choose another segment",
                      field="alert_id")
    if plan.everyone and not data["confirm_everyone"]:
        raise Problem(409, "this alert has no segment: it would go to every contact; send "
                           "confirm_everyone: true to mean it", field="confirm_everyone")


def _control(alert_id: int, action: str) -> dict[str, Any]:
    with db() as session:
        get_alert(session, alert_id)
        try:
            getattr(control, action)(session, alert_id)
        except UserError as exc:
            raise Problem(409, str(exc), field="alert_id") from None
        record(session, api_actor(), f"alert.{action}", f"alert:{alert_id}")
    if action == "resume":
        enqueue(alert_id)
    with db() as session:
        return alert_status(session, alert_id)


@blp.route(f"/<{ID}:alert_id>/pause", methods=["POST"])
@blp.response(200, StatusSchema)
@problems(404, 409)
def pause(alert_id: int) -> dict[str, Any]:
    """Stop sending; every worker stops within about a second."""
    return _control(alert_id, "pause")


@blp.route(f"/<{ID}:alert_id>/resume", methods=["POST"])
@blp.response(200, StatusSchema)
@problems(404, 409)
def resume(alert_id: int) -> dict[str, Any]:
    """Continue a paused alert."""
    _broker_required()
    return _control(alert_id, "resume")


@blp.route(f"/<{ID}:alert_id>/cancel", methods=["POST"])
@blp.response(200, StatusSchema)
@problems(404, 409)
def cancel(alert_id: int) -> dict[str, Any]:
    """Cancel: nothing more is sent."""
    return _control(alert_id, "cancel")


@blp.route(f"/<{ID}:alert_id>/status")
@blp.response(200, StatusSchema)
@problems(404)
def status(alert_id: int) -> dict[str, Any]:
    """Counts per message status (what `outreach alert status --json` prints)."""
    with db() as session:
        get_alert(session, alert_id)
        return alert_status(session, alert_id)
