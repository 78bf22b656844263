"""/replies: the replies inbox (newest first, cursor by id), filtered by alert and handled,
and marking one handled; the same `outreach.inbound.inbox` the console's inbox uses."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from outreach.audit import record
from outreach.inbound.inbox import inbox, mark_handled
from outreach.web.api.auth import api_actor
from outreach.web.api.common import ID, db, iso, problems
from outreach.web.api.pagination import MAX_ID, PageArgs, decode, page
from outreach.web.api.problems import Problem

blp = Blueprint("replies", __name__, url_prefix="/replies", description="Replies")

ReplyArgs = type("ReplyArgs", (PageArgs,), {
    "alert_id": fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID)),
    "handled": fields.Boolean(load_default=None, allow_none=True,
                              metadata={"description": "only handled (true) or not (false)"}),
    "unmatched": fields.Boolean(load_default=False,
                                metadata={"description": "inbound mail no message matched"}),
})


class ReplySchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    received_at = fields.String(required=True)
    sender = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    text = fields.String(required=True)
    contact_id = fields.Integer(allow_none=True)
    contact = fields.String(allow_none=True)
    outlet_id = fields.Integer(allow_none=True)
    outlet = fields.String(allow_none=True)
    alert_id = fields.Integer(allow_none=True)
    alert = fields.String(allow_none=True)
    handled_at = fields.String(allow_none=True)
    handled_by = fields.String(allow_none=True)


class ReplyPage(Schema):
    items = fields.List(fields.Nested(ReplySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class HandledInput(Schema):
    handled = fields.Boolean(load_default=True)


class HandledResult(Schema):
    id = fields.Integer(required=True)
    handled = fields.Boolean(required=True)


@blp.route("")
@blp.arguments(ReplyArgs, location="query")
@blp.response(200, ReplyPage)
@problems()
def list_replies(args: dict[str, Any]) -> dict[str, Any]:
    """Replies (and auto-replies) across alerts or for one, newest first."""
    with db() as session:
        items = inbox(session, alert_id=args.get("alert_id"), handled=args.get("handled"),
                      unmatched=args["unmatched"], before=decode(args.get("cursor")) or None,
                      size=args["limit"] + 1)
    rows = [{**asdict(i), "received_at": iso(i.received_at), "handled_at": iso(i.handled_at)}
            for i in items]
    return page(rows, args["limit"], lambda r: r["id"])


@blp.route(f"/<{ID}:reply_id>/handled", methods=["POST"])
@blp.arguments(HandledInput)
@blp.response(200, HandledResult)
@problems(404)
def handled(data: dict[str, Any], reply_id: int) -> dict[str, Any]:
    """Mark a reply handled (or, with `handled: false`, not handled again)."""
    with db() as session:
        if not mark_handled(session, reply_id, api_actor().name, data["handled"]):
            raise Problem(404, f"no inbound mail {reply_id}", field="reply_id")
        record(session, api_actor(), "reply.handled" if data["handled"] else "reply.unhandled",
               f"inbound:{reply_id}")
    return {"id": reply_id, "handled": data["handled"]}
