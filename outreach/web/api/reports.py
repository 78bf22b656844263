"""/alerts/{id}/report: reach per outlet, country, type or language, as JSON or CSV."""

from __future__ import annotations

import io
from typing import Any

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from outreach.reports.reach import reach_report
from outreach.reports.rows import DIMENSIONS
from outreach.reports.table import write_rows
from outreach.web.api.alerts import get_alert
from outreach.web.api.common import ID, db, problems
from outreach.web.api.problems import field_errors

blp = Blueprint("reports", __name__, url_prefix="/alerts", description="Reports")


class ReportArgs(Schema):
    by = fields.String(load_default="outlet", validate=validate.OneOf(DIMENSIONS))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class ReportSchema(Schema):
    alert = fields.Dict(required=True)
    by = fields.String(required=True)
    rows = fields.List(fields.Dict(), required=True)
    totals = fields.Dict(required=True)
    summary = fields.Dict(required=True)


@blp.route(f"/<{ID}:alert_id>/report")
@blp.arguments(ReportArgs, location="query")
@blp.response(200, ReportSchema)
@blp.alt_response(200, description="the same report as CSV (format=csv)",
                  content_type="text/csv", success=True, schema={"type": "string"})
@problems(404)
def report(args: dict[str, Any], alert_id: int) -> Any:
    """Targeted, sent, bounced, replied, reached, engaged per group (`outreach report`)."""
    with db() as session:
        get_alert(session, alert_id)
        with field_errors("by"):
            result = reach_report(session, alert_id, args["by"])
        if args["format"] == "json":
            return result.to_json()
        buffer = io.StringIO()
        write_rows(result, buffer)  # the CLI's and the console's CSV, formula cells neutralised
        body = buffer.getvalue()
    name = f"alert-{alert_id}-reach-by-{args['by']}.csv"
    return Response(body, mimetype="text/csv",
                     headers={"Content-Disposition": f'attachment; filename="{name}"'})
