"""/alerts/{id}/follow-ups: a threaded follow-up to the original's non-responders, with its
language variants (`outreach.alerts.followup.create_follow_up`, as the CLI and console)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from outreach.alerts.followup import create_follow_up
from outreach.audit import record
from outreach.errors import UserError
from outreach.web.api.alerts import (
    LANGUAGE,
    MAX_SOURCE,
    AlertSchema,
    alert_json,
    field_of,
    get_alert,
    sources_of,
)
from outreach.web.api.auth import api_actor
from outreach.web.api.common import ID, db, problems, settings
from outreach.web.api.problems import Problem

blp = Blueprint("followups", __name__, url_prefix="/alerts", description="Follow-ups")


class FollowUpInput(Schema):
    markdown = fields.String(required=True, validate=validate.Length(1, MAX_SOURCE))
    variants = fields.Dict(keys=fields.String(validate=LANGUAGE),
                           values=fields.String(validate=validate.Length(1, MAX_SOURCE)),
                           validate=validate.Length(max=20))
    not_replied = fields.Boolean(load_default=False)
    not_reached = fields.Boolean(load_default=False)
    outlets = fields.Boolean(load_default=False, metadata={
        "description": "skip whole outlets where someone replied / was reached"})


@blp.route(f"/<{ID}:alert_id>/follow-ups", methods=["POST"])
@blp.arguments(FollowUpInput)
@blp.response(201, AlertSchema)
@problems(404, 409)
def create(data: dict[str, Any], alert_id: int) -> dict[str, Any]:
    """A draft aimed at non-responders (default) or the not reached; launch it like any alert."""
    sources = sources_of(data)
    with db() as session:
        get_alert(session, alert_id)
        try:
            alert, _ = create_follow_up(session, settings(), alert_id, sources,
                                        not_replied=data["not_replied"],
                                        not_reached=data["not_reached"],
                                        by_outlet=data["outlets"], created_by=api_actor().name)
        except UserError as exc:
            if "never sent" in str(exc):
                raise Problem(409, str(exc), field="alert_id") from None
            raise Problem(422, str(exc), field=field_of(str(exc))) from None
        alert.source_path = f"api:{api_actor().name}"
        record(session, api_actor(), "alert.follow_up", f"alert:{alert.id}", of=alert_id)
        return alert_json(session, alert, audience=True)
