"""Webhook subscriptions and their delivery log: the one service the CLI, API and console use."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.db.models import (
    WEBHOOK_EVENT_TYPES,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from outreach.errors import UserError
from outreach.webhooks.targets import TargetRefused, resolve


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def parse_events(values: Iterable[str]) -> list[str]:
    """Event types from a list (or comma-separated items); `*` means all of them."""
    wanted = [v.strip() for value in values for v in value.split(",") if v.strip()]
    if "*" in wanted:
        return list(WEBHOOK_EVENT_TYPES)
    unknown = [v for v in wanted if v not in WEBHOOK_EVENT_TYPES]
    if unknown:
        raise UserError(f"events: unknown event type {unknown[0]!r} (one of "
                        f"{', '.join(WEBHOOK_EVENT_TYPES)}, or *)")
    if not wanted:
        raise UserError("events: name at least one event type (or *)")
    return list(dict.fromkeys(wanted))


def add(session: Session, url: str, events: Iterable[str], *, allow_private: bool,
        description: str = "", created_by: str = "") -> WebhookSubscription:
    """Check the URL (public addresses only, unless allowed) and store the subscription."""
    try:
        resolve(url, allow_private=allow_private)
    except TargetRefused as exc:
        raise UserError(str(exc)) from None
    subscription = WebhookSubscription(url=url, events=parse_events(events), secret=new_secret(),
                                       description=description[:200], created_by=created_by)
    session.add(subscription)
    session.flush()
    return subscription


def get(session: Session, subscription_id: int) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise UserError(f"ID {subscription_id}: no such webhook (see `outreach webhooks list`)")
    return subscription


def list_all(session: Session) -> Sequence[WebhookSubscription]:
    return session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)).all()


def remove(session: Session, subscription_id: int) -> None:
    session.delete(get(session, subscription_id))
    session.flush()


def to_json(subscription: WebhookSubscription, *, with_secret: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": subscription.id, "url": subscription.url, "events": list(subscription.events),
        "description": subscription.description, "active": subscription.active,
        "created_at": subscription.created_at.isoformat(),
    }
    if with_secret:
        data["secret"] = subscription.secret
    return data


def deliveries(session: Session, subscription_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """The subscription's latest deliveries, newest first, each with its attempts."""
    get(session, subscription_id)
    rows = session.execute(
        select(WebhookDelivery, WebhookEvent)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc()).limit(limit)).all()
    attempts: dict[int, list[dict[str, Any]]] = {}
    ids = [d.id for d, _ in rows]
    for attempt in session.scalars(select(WebhookAttempt).where(
            WebhookAttempt.delivery_id.in_(ids)).order_by(WebhookAttempt.id)):
        attempts.setdefault(attempt.delivery_id, []).append({
            "at": attempt.at.isoformat(), "status_code": attempt.status_code,
            "latency_ms": attempt.latency_ms, "response_excerpt": attempt.response_excerpt,
            "error": attempt.error})
    return [{"id": d.id, "event_id": e.public_id, "type": e.type, "status": d.status,
             "attempts": d.attempts, "next_attempt_at": d.next_attempt_at.isoformat()
             if d.status == "pending" else None,
             "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
             "log": attempts.get(d.id, [])} for d, e in rows]
