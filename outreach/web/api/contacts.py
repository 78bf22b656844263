"""/contacts: list (segment filters, search, cursor), show with history, create, update,
unsubscribe, resubscribe, erase. Import by upload is in `imports`."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from outreach.audit import record
from outreach.contacts import lifecycle
from outreach.contacts.addresses import InvalidAddress, normalize
from outreach.contacts.queries import contact_history, contact_json
from outreach.contacts.segments import FIELDS, Segment, parse_segment, segment_clause
from outreach.contacts.single import import_one
from outreach.db.models import Contact
from outreach.db.session import LIKE_ESCAPE, escape_like
from outreach.web.api.auth import api_actor
from outreach.web.api.common import ID, app_ctx, db, problems
from outreach.web.api.pagination import PageArgs, decode, page
from outreach.web.api.problems import Problem, field_errors

blp = Blueprint("contacts", __name__, url_prefix="/contacts", description="Contacts")
FILTERS = tuple(f for f in FIELDS if f != "email")


class ContactSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    outlet = fields.String(allow_none=True)
    type = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    beats = fields.List(fields.String())
    attributes = fields.Dict(keys=fields.String(), values=fields.Raw())
    status = fields.String()
    source = fields.String(allow_none=True)
    created_at = fields.String()


class ContactPage(Schema):
    items = fields.List(fields.Nested(ContactSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


ListArgs = type("ListArgs", (PageArgs,), {
    "q": fields.String(load_default=None, validate=validate.Length(max=200),
                       metadata={"description": "search in name and address"}),
    **{name: fields.String(load_default=None, validate=validate.Length(max=1000),
                           metadata={"description": f"comma-separated {name} values"})
       for name in FILTERS},
})


class HistorySchema(Schema):
    contact = fields.Nested(ContactSchema, required=True)
    suppression = fields.Dict(allow_none=True)
    events = fields.List(fields.Dict())
    messages = fields.List(fields.Dict())
    inbound = fields.List(fields.Dict())


class ContactInput(Schema):
    email = fields.String(required=True, validate=validate.Length(1, 320))
    first_name = fields.String(validate=validate.Length(max=200))
    last_name = fields.String(validate=validate.Length(max=200))
    name = fields.String(validate=validate.Length(max=400))
    role = fields.String(validate=validate.Length(max=200))
    outlet = fields.String(validate=validate.Length(max=300))
    website = fields.String(validate=validate.Length(max=500))
    type = fields.String(validate=validate.Length(max=40))
    country = fields.String(validate=validate.Length(max=60))
    language = fields.String(validate=validate.Length(max=20))
    tags = fields.List(fields.String(validate=validate.Length(max=100)),
                       validate=validate.Length(max=50))
    beats = fields.List(fields.String(validate=validate.Length(max=100)),
                        validate=validate.Length(max=50))


class ContactUpdate(ContactInput):
    email = fields.String(dump_only=True)


class ReasonInput(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(max=500))


class RequiredReason(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500))


class ChangeResult(Schema):
    contact_id = fields.Integer(required=True)
    changed = fields.Boolean(required=True)
    status = fields.String(required=True)


def segment_from(args: dict[str, Any]) -> Segment:
    """The CLI's segment parser, fed one filter at a time so an error names its field."""
    where: list[tuple[str, tuple[str, ...]]] = []
    for name in FILTERS:
        if args.get(name) and name != "tag":
            with field_errors(name):
                where.extend(parse_segment([f"{name}={args[name]}"]).where)
    tags = [t for t in (args.get("tag") or "").split(",") if t.strip()]
    with field_errors("tag"):
        return Segment(where=tuple(where), tags=parse_segment((), tags).tags)


@blp.route("")
@blp.arguments(ListArgs, location="query")
@blp.response(200, ContactPage)
@problems()
def list_contacts(args: dict[str, Any]) -> dict[str, Any]:
    """Contacts of a segment (filters as in `outreach contacts list --where`), by id."""
    clause = segment_clause(segment_from(args)) & Contact.email.is_not(None)
    if args.get("q"):
        like = f"%{escape_like(args['q'].strip().lower())}%"
        clause = clause & or_(Contact.email.like(like, escape=LIKE_ESCAPE),
                              Contact.name.ilike(like, escape=LIKE_ESCAPE))
    after = decode(args.get("cursor"))
    with db() as session:
        rows = session.scalars(
            select(Contact).where(clause, Contact.id > after).order_by(Contact.id)
            .options(selectinload(Contact.outlet)).limit(args["limit"] + 1)).all()
        return page([contact_json(c) for c in rows], args["limit"], lambda c: c["id"])


def _contact(session: Any, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.email is None:
        raise Problem(404, f"no contact {contact_id} (or it was erased)", field="contact_id")
    return contact


@blp.route(f"/<{ID}:contact_id>")
@blp.response(200, HistorySchema)
@problems(404)
def show_contact(contact_id: int) -> dict[str, Any]:
    """One contact with suppression state and its history in time order."""
    with db() as session:
        return contact_history(session, _contact(session, contact_id))


def _import(data: dict[str, Any], *, update: bool) -> int:
    report = import_one(app_ctx().sessions, data, update=update,
                        source=f"api:{api_actor().name}")
    if report.errors:
        error = report.errors[0]
        raise Problem(422, error.reason, field=error.field)
    if report.suppressed and not (report.created or report.updated or report.unchanged):
        raise Problem(409, "this address is on the suppression list", field="email")
    with db() as session, field_errors("email"):
        return lifecycle.find_contact(session, data["email"]).id


@blp.route("", methods=["POST"])
@blp.arguments(ContactInput)
@blp.response(201, ContactSchema)
@problems(409)
def create_contact(data: dict[str, Any]) -> dict[str, Any]:
    """Create one contact (through the CSV importer's validation); 409 if it exists."""
    try:
        address = normalize(data["email"])
    except InvalidAddress as exc:
        raise Problem(422, f"not a valid email address: {exc}", field="email") from None
    with db() as session:
        exists = session.scalar(select(Contact.id).where(Contact.email == address))
    if exists:
        raise Problem(409, "a contact with this address exists; PATCH it", field="email")
    contact_id = _import(data, update=False)
    with db() as session:
        record(session, api_actor(), "contact.create", f"contact:{contact_id}")
        return contact_json(_contact(session, contact_id))


@blp.route(f"/<{ID}:contact_id>", methods=["PATCH"])
@blp.arguments(ContactUpdate)
@blp.response(200, ContactSchema)
@problems(404)
def update_contact(data: dict[str, Any], contact_id: int) -> dict[str, Any]:
    """Update the fields given (tags and beats are added, as an import with --update does)."""
    with db() as session:
        email = _contact(session, contact_id).email
    _import({**data, "email": email}, update=True)
    with db() as session:
        record(session, api_actor(), "contact.update", f"contact:{contact_id}",
               fields=sorted(data))
        return contact_json(_contact(session, contact_id))


def _change(contact_id: int, action: str, reason: str | None) -> dict[str, Any]:
    with db() as session:
        contact = _contact(session, contact_id)
        with field_errors("reason"):
            if action == "unsubscribe":
                changed = lifecycle.unsubscribe(session, contact, reason, channel="api")
            elif action == "resubscribe":
                changed = lifecycle.resubscribe(session, contact, reason or "", channel="api")
            else:
                lifecycle.erase(session, contact)
                changed = True
        record(session, api_actor(), f"contact.{action}", f"contact:{contact_id}",
               reason=reason)
        return {"contact_id": contact_id, "changed": changed, "status": contact.status}


@blp.route(f"/<{ID}:contact_id>/unsubscribe", methods=["POST"])
@blp.arguments(ReasonInput)
@blp.response(200, ChangeResult)
@problems(404)
def unsubscribe(data: dict[str, Any], contact_id: int) -> dict[str, Any]:
    """Put the address on the suppression list (idempotent: `changed` false if it was)."""
    return _change(contact_id, "unsubscribe", data.get("reason"))


@blp.route(f"/<{ID}:contact_id>/resubscribe", methods=["POST"])
@blp.arguments(RequiredReason)
@blp.response(200, ChangeResult)
@problems(404)
def resubscribe(data: dict[str, Any], contact_id: int) -> dict[str, Any]:
    """Lift the suppression; the reason is required and logged."""
    return _change(contact_id, "resubscribe", data["reason"])


@blp.route(f"/<{ID}:contact_id>/erase", methods=["POST"])
@blp.arguments(ReasonInput)
@blp.response(200, ChangeResult)
@problems(404)
def erase(data: dict[str, Any], contact_id: int) -> dict[str, Any]:
    """GDPR erasure: personal fields emptied, the address stays suppressed as a hash."""
    return _change(contact_id, "erase", data.get("reason"))
