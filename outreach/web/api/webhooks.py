"""/webhooks: subscriptions, their delivery log and "send again" (admin)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from outreach.audit import record
from outreach.db.models import WEBHOOK_EVENT_TYPES
from outreach.web.api.auth import api_actor, requires
from outreach.web.api.common import ID, db, problems, settings
from outreach.web.api.problems import Problem, field_errors
from outreach.webhooks import subscriptions
from outreach.webhooks.config import WebhookConfig
from outreach.webhooks.deliver import redeliver

blp = Blueprint("webhooks", __name__, url_prefix="/webhooks", description="Webhooks")


class WebhookInput(Schema):
    url = fields.String(required=True, validate=validate.Length(1, 2000))
    events = fields.List(fields.String(validate=validate.OneOf((*WEBHOOK_EVENT_TYPES, "*"))),
                         required=True, validate=validate.Length(1, 10))
    description = fields.String(load_default="", validate=validate.Length(max=200))


class WebhookSchema(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    description = fields.String(required=True)
    active = fields.Boolean(required=True)
    created_at = fields.String(required=True)
    secret = fields.String(metadata={"description": "only in the answer to the creation"})


class AttemptSchema(Schema):
    at = fields.String(required=True)
    status_code = fields.Integer(allow_none=True)
    latency_ms = fields.Integer(required=True)
    response_excerpt = fields.String(required=True)
    error = fields.String(allow_none=True)


class DeliverySchema(Schema):
    id = fields.Integer(required=True)
    event_id = fields.String(required=True)
    type = fields.String(required=True)
    status = fields.String(required=True)
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.String(allow_none=True)
    delivered_at = fields.String(allow_none=True)
    log = fields.List(fields.Nested(AttemptSchema), required=True)


class Empty(Schema):
    pass


@blp.route("")
@blp.response(200, WebhookSchema(many=True))
@problems()
@requires("admin")
def list_webhooks() -> list[dict[str, Any]]:
    """Subscriptions (secrets are shown only once, at creation)."""
    with db() as session:
        return [subscriptions.to_json(s) for s in subscriptions.list_all(session)]


@blp.route("", methods=["POST"])
@blp.arguments(WebhookInput)
@blp.response(201, WebhookSchema)
@problems()
@requires("admin")
def create(data: dict[str, Any]) -> dict[str, Any]:
    """Subscribe a URL (public addresses only); the answer carries the signing secret."""
    allow = WebhookConfig.from_settings(settings()).allow_private
    with db() as session, field_errors("url"):
        sub = subscriptions.add(session, data["url"], data["events"], allow_private=allow,
                                description=data["description"], created_by=api_actor().name)
        record(session, api_actor(), "webhook.add", f"webhook:{sub.id}", url=sub.url)
        return subscriptions.to_json(sub, with_secret=True)


@blp.route(f"/<{ID}:webhook_id>", methods=["DELETE"])
@blp.response(204)
@problems(404)
@requires("admin")
def remove(webhook_id: int) -> None:
    """Delete the subscription and its delivery log."""
    with db() as session, field_errors("webhook_id", 404):
        subscriptions.remove(session, webhook_id)
        record(session, api_actor(), "webhook.remove", f"webhook:{webhook_id}")


@blp.route(f"/<{ID}:webhook_id>/deliveries")
@blp.response(200, DeliverySchema(many=True))
@problems(404)
@requires("admin")
def deliveries(webhook_id: int) -> list[dict[str, Any]]:
    """Latest deliveries, each with every attempt (status, latency, response excerpt)."""
    with db() as session, field_errors("webhook_id", 404):
        return subscriptions.deliveries(session, webhook_id)


@blp.route(f"/deliveries/<{ID}:delivery_id>/redeliver", methods=["POST"])
@blp.response(202, Empty)
@problems(404)
@requires("admin")
def send_again(delivery_id: int) -> dict[str, Any]:
    """Send the delivery again, whatever its state."""
    with db() as session:
        if redeliver(session, delivery_id) is None:
            raise Problem(404, f"no delivery {delivery_id}", field="delivery_id")
        record(session, api_actor(), "webhook.redeliver", f"delivery:{delivery_id}")
    if settings().broker_url:
        from workers.app import use_settings
        from workers.tasks_webhooks import publish_dispatch

        use_settings(settings())
        publish_dispatch()
    return {}
