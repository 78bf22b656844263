"""/segments: recipient counts, and segments saved by name (shared with the console's segment
builder and the CLI's `--segment NAME`, through `outreach.contacts.saved`)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from outreach.audit import record
from outreach.contacts import saved
from outreach.contacts.segments import Segment
from outreach.web.api.auth import api_actor
from outreach.web.api.common import db, problems
from outreach.web.api.contacts import FILTERS, segment_from
from outreach.web.api.problems import field_errors

blp = Blueprint("segments", __name__, url_prefix="/segments", description="Segments")
FILTER_FIELDS = {name: fields.String(load_default=None, validate=validate.Length(max=1000),
                                     metadata={"description": f"comma-separated {name} values"})
                 for name in FILTERS}
CountArgs = type("CountArgs", (Schema,), {
    **FILTER_FIELDS,
    "name": fields.String(load_default=None, validate=validate.Length(1, 100),
                          metadata={"description": "a saved segment instead of filters"}),
})
SaveInput = type("SaveInput", (Schema,), {
    **FILTER_FIELDS,
    "name": fields.String(required=True, validate=validate.Length(1, 100)),
})


class CountSchema(Schema):
    recipients = fields.Integer(required=True)
    suppressed = fields.Integer(required=True)
    segment = fields.String(required=True)


class SavedSchema(Schema):
    name = fields.String(required=True)
    segment = fields.String(required=True)
    definition = fields.Dict(required=True)
    created_by = fields.String(allow_none=True)
    updated_at = fields.String(required=True)


def _saved_json(row: Any) -> dict[str, Any]:
    return {"name": row.name, "segment": Segment.from_json(row.definition).describe(),
            "definition": row.definition, "created_by": row.created_by,
            "updated_at": row.updated_at.isoformat()}


@blp.route("/count")
@blp.arguments(CountArgs, location="query")
@blp.response(200, CountSchema)
@problems()
def count(args: dict[str, Any]) -> dict[str, Any]:
    """Recipients now (what a launch must confirm) and suppressed contacts skipped."""
    with db() as session:
        if args.get("name"):
            with field_errors("name", 404):
                segment = saved.load_segment(session, args["name"])
        else:
            segment = segment_from(args)
        counted = saved.count_segment(session, segment)
    return {"recipients": counted.recipients, "suppressed": counted.suppressed,
            "segment": segment.describe()}


@blp.route("")
@blp.response(200, SavedSchema(many=True))
@problems()
def list_saved() -> list[dict[str, Any]]:
    """Saved segments, by name."""
    with db() as session:
        return [_saved_json(row) for row in saved.list_segments(session)]


@blp.route("", methods=["POST"])
@blp.arguments(SaveInput)
@blp.response(200, SavedSchema)
@problems()
def save(data: dict[str, Any]) -> dict[str, Any]:
    """Save the filters under a name (replacing a segment of that name); alerts already
    created keep the definition they copied."""
    segment = segment_from(data)
    with db() as session:
        with field_errors("name"):
            row = saved.save_segment(session, data["name"], segment, api_actor().name)
        record(session, api_actor(), "segment.save", f"segment:{row.name}",
               definition=row.definition)
        return _saved_json(row)
