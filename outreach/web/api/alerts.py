"""/alerts: create from Markdown (with language variants), list, show, preview, test send.

The posted Markdown goes through the same parser and compiler as `outreach alert create` and
the console's editor (`outreach.alerts.source.parse_source`, `create.create_from_sources`):
one compile path, the same template errors (with their line) for every client. A mistake
names the field it is in: `markdown` or `variants.ru`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from outreach.alerts import repository
from outreach.alerts.create import create_from_sources
from outreach.alerts.source import AlertSource, parse_source, with_language
from outreach.audit import record
from outreach.contacts import saved
from outreach.contacts.addresses import InvalidAddress, normalize
from outreach.db.models import Alert, Contact
from outreach.errors import UserError
from outreach.mail import preview
from outreach.sending import copies
from outreach.sending.plan import launch_plan
from outreach.web.api.auth import api_actor
from outreach.web.api.common import ID, db, iso, problems, settings
from outreach.web.api.contacts import FILTERS, segment_from
from outreach.web.api.pagination import MAX_ID, PageArgs, decode, page
from outreach.web.api.problems import Problem, field_errors

blp = Blueprint("alerts", __name__, url_prefix="/alerts", description="Alerts")
LANGUAGE = validate.Regexp(r"^[a-z]{2}$", error="a two-letter language code such as en")
MAX_SOURCE = 200_000


class AudienceSchema(Schema):
    """What a launch now would do (the count `expected_recipients` must repeat)."""

    recipients = fields.Integer(required=True)
    suppressed = fields.Integer(required=True)
    by_language = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    segment = fields.String(required=True)


class AlertSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    state = fields.String(required=True)
    default_language = fields.String(required=True)
    languages = fields.List(fields.String(), required=True)
    segment = fields.Dict(required=True)
    urgent = fields.Boolean(required=True)
    follow_up_of = fields.Integer(allow_none=True)
    created_at = fields.String(required=True)
    created_by = fields.String(allow_none=True)
    scheduled_at = fields.String(allow_none=True)
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    audience = fields.Nested(AudienceSchema)


class AlertPage(Schema):
    items = fields.List(fields.Nested(AlertSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


SegmentInput = type("SegmentInput", (Schema,), {
    name: fields.String(validate=validate.Length(max=1000)) for name in FILTERS})


class AlertInput(Schema):
    markdown = fields.String(required=True, validate=validate.Length(1, MAX_SOURCE),
                             metadata={"description": "the alert source with front matter"})
    variants = fields.Dict(keys=fields.String(validate=LANGUAGE),
                           values=fields.String(validate=validate.Length(1, MAX_SOURCE)),
                           validate=validate.Length(max=20),
                           metadata={"description": "language -> Markdown of that variant"})
    segment = fields.Nested(SegmentInput, metadata={"description": "overrides front matter"})
    segment_name = fields.String(validate=validate.Length(1, 100),
                                 metadata={"description": "a saved segment, by name"})
    track_opens = fields.Boolean(load_default=False)
    track_clicks = fields.Boolean(load_default=False)


class PreviewArgs(Schema):
    contact_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    language = fields.String(validate=LANGUAGE)


class PreviewSchema(Schema):
    language = fields.String(required=True)
    subject = fields.String(required=True)
    text = fields.String(required=True)
    html = fields.String(required=True)


class TestInput(Schema):
    to = fields.List(fields.String(validate=validate.Length(1, 320)), required=True,
                     validate=validate.Length(1, 10))
    contact_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    language = fields.String(validate=LANGUAGE)


class TestResult(Schema):
    sent = fields.List(fields.String(), required=True)


def alert_json(session: Any, alert: Alert, *, audience: bool = False) -> dict[str, Any]:
    data = {"id": alert.id, "title": alert.title, "state": alert.state,
            "default_language": alert.default_language,
            "languages": sorted(v.language for v in alert.variants), "segment": alert.segment,
            "urgent": alert.urgent, "follow_up_of": alert.follow_up_of,
            "created_at": iso(alert.created_at), "created_by": alert.created_by,
            "scheduled_at": iso(alert.scheduled_at),
            "started_at": iso(alert.started_at), "finished_at": iso(alert.finished_at)}
    if audience:
        plan = launch_plan(session, alert)
        data["audience"] = {"recipients": plan.recipients, "suppressed": plan.suppressed,
                            "by_language": plan.by_language, "segment": plan.segment}
    return data


def get_alert(session: Any, alert_id: int) -> Alert:
    """The alert read fresh (the core's one reader), or 404 naming `alert_id`."""
    with field_errors("alert_id", 404):
        return repository.get_alert(session, alert_id, label="alert_id")


MAIN = "markdown"


def sources_of(data: dict[str, Any]) -> list[AlertSource]:
    """The posted Markdown as sources, each labelled by its field (errors name it)."""
    with field_errors(MAIN):
        sources = [parse_source(data["markdown"], Path(MAIN))]
    for language, text in (data.get("variants") or {}).items():
        field = f"variants.{language}"
        with field_errors(field):
            source = parse_source(text, Path(field))
            if "language" not in source.front:
                source = with_language(source, language)
        if source.language != language:
            raise Problem(422, f"front matter says language {source.language!r}", field=field)
        sources.append(source)
    languages = [s.language for s in sources]
    if len(set(languages)) != len(languages):
        raise Problem(422, "two sources have the same language", field="variants")
    return sources


def field_of(message: str) -> str:
    """Which field a compile error is in: its message starts with the source's label."""
    label = message.split(":", 1)[0]
    return label if label == MAIN or label.startswith("variants.") else MAIN


def segment_input(session: Any, data: dict[str, Any]) -> Any:
    if data.get("segment_name"):
        with field_errors("segment_name"):
            segment = saved.load_segment(session, data["segment_name"])
        return saved.named_json(data["segment_name"], segment)
    return segment_from(data["segment"]) if "segment" in data else None


@blp.route("", methods=["POST"])
@blp.arguments(AlertInput)
@blp.response(201, AlertSchema)
@problems()
def create(data: dict[str, Any]) -> dict[str, Any]:
    """Check, compile and store an alert (a draft until launched)."""
    sources = sources_of(data)
    with db() as session:
        segment = segment_input(session, data)
        try:
            alert = create_from_sources(session, settings(), sources, segment=segment,
                                        track_opens=data["track_opens"],
                                        track_clicks=data["track_clicks"],
                                        created_by=api_actor().name)
        except UserError as exc:
            raise Problem(422, str(exc), field=field_of(str(exc))) from None
        alert.source_path = f"api:{api_actor().name}"
        record(session, api_actor(), "alert.create", f"alert:{alert.id}")
        session.flush()
        return alert_json(session, alert, audience=True)


@blp.route("")
@blp.arguments(PageArgs, location="query")
@blp.response(200, AlertPage)
@problems()
def list_alerts(args: dict[str, Any]) -> dict[str, Any]:
    """Alerts, newest first."""
    query = select(Alert).order_by(Alert.id.desc()).limit(args["limit"] + 1)
    if before := decode(args.get("cursor")):
        query = query.where(Alert.id < before)
    with db() as session:
        rows = session.scalars(query).all()
        return page([alert_json(session, a) for a in rows], args["limit"], lambda a: a["id"])


@blp.route(f"/<{ID}:alert_id>")
@blp.response(200, AlertSchema)
@problems(404)
def show(alert_id: int) -> dict[str, Any]:
    """One alert, with the audience a launch would reach now (`audience.recipients`)."""
    with db() as session:
        return alert_json(session, get_alert(session, alert_id), audience=True)


def _stand_in(session: Any, alert: Alert, args: dict[str, Any]) -> Any:
    if args.get("contact_id"):
        contact = session.get(Contact, args["contact_id"])
        if contact is None or contact.email is None:
            raise Problem(404, f"no contact {args['contact_id']}", field="contact_id")
        return contact
    return preview.sample_contact(args.get("language") or alert.default_language)


@blp.route(f"/<{ID}:alert_id>/preview")
@blp.arguments(PreviewArgs, location="query")
@blp.response(200, PreviewSchema)
@problems(404)
def preview_alert(args: dict[str, Any], alert_id: int) -> dict[str, Any]:
    """Exactly what a send produces for a contact (or a sample in a language)."""
    with db() as session:
        alert = get_alert(session, alert_id)
        contact = _stand_in(session, alert, args)
        mail = preview.compose_copy(alert, contact, settings())
        msg, text, html = preview.parts(mail)
        language = repository.pick_variant(alert, contact).language
        return {"language": language, "subject": str(msg["Subject"]), "text": text,
                "html": html}


@blp.route(f"/<{ID}:alert_id>/test", methods=["POST"])
@blp.arguments(TestInput)
@blp.response(200, TestResult)
@problems(404, 409)
def test_send(data: dict[str, Any], alert_id: int) -> dict[str, Any]:
    """Send one copy marked [TEST] to each address, through OUTREACH_SMTP_URL."""
    if not settings().smtp_url:
        raise Problem(409, "OUTREACH_SMTP_URL is not set on the server")
    addresses = []
    for i, raw in enumerate(data["to"]):
        try:
            addresses.append(normalize(raw))
        except InvalidAddress as exc:
            raise Problem(422, f"{exc}", field=f"to[{i}]") from None
    with db() as session:
        alert = get_alert(session, alert_id)
        contact = _stand_in(session, alert, data)
        for i, address in enumerate(addresses):
            try:
                copies.send_test(alert, contact, address, settings())
            except UserError as exc:
                raise Problem(409, str(exc), field=f"to[{i}]") from None
        record(session, api_actor(), "alert.test", f"alert:{alert_id}", to=addresses)
    return {"sent": addresses}
