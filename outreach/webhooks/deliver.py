"""Delivering one webhook: claim, sign, POST to the checked address, log the attempt.

Why it is safe:
- A delivery is claimed with a conditional UPDATE (pending, due, no live lease) before any
  request, so two workers holding the same id (a redelivered task, a dispatch racing a retry)
  never both send; a worker that dies mid-attempt leaves a lease that expires, and the
  delivery becomes due again.
- Every attempt is logged (status, latency, response excerpt) in the same transaction that
  moves the delivery on: delivered on 2xx, otherwise due again after an exponential backoff,
  and `failed` once the event is older than the give-up time (24 h by default).
- The receiver can deduplicate by `webhook-id`, which is the event's id on every attempt.
- Redirects are never followed, and the address connected to is the one just checked
  (see `outreach.webhooks.targets`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import urllib3
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from outreach.db.models import WebhookAttempt, WebhookDelivery
from outreach.db.models.base import utcnow
from outreach.webhooks.config import WebhookConfig
from outreach.webhooks.targets import Target, TargetRefused, resolve

EXCERPT = 500
USER_AGENT = "outreach-webhooks/1"


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    latency_ms: int
    excerpt: str
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def due_ids(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Pending deliveries that are due and not in flight (the dispatch publishes these)."""
    return list(session.scalars(
        select(WebhookDelivery.id).where(
            WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now))
        .order_by(WebhookDelivery.next_attempt_at).limit(limit)))


def claim(session: Session, delivery_id: int, now: datetime, config: WebhookConfig) -> bool:
    """Take the delivery for one attempt; False if it is not due or another worker has it."""
    result = session.execute(
        update(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now))
        .values(lease_until=now + timedelta(seconds=config.lease + config.timeout))
        .execution_options(synchronize_session=False))
    return bool(result.rowcount)


def body_of(delivery: WebhookDelivery) -> str:
    return json.dumps(delivery.event.payload, separators=(",", ":"), ensure_ascii=False)


def signed_headers(delivery: WebhookDelivery, body: str, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers: id (stable across retries), timestamp, v1 signature."""
    public_id = delivery.event.public_id
    signature = Webhook(delivery.subscription.secret).sign(public_id, now, body)
    return {"webhook-id": public_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature, "content-type": "application/json",
            "user-agent": USER_AGENT}


def post(delivery: WebhookDelivery, config: WebhookConfig, now: datetime) -> AttemptResult:
    """One HTTP attempt; never raises for network or target problems (they are results)."""
    started = time.monotonic()
    try:
        target = resolve(delivery.subscription.url, allow_private=config.allow_private)
    except TargetRefused as exc:
        return AttemptResult(None, 0, "", str(exc)[:500])
    body = body_of(delivery)
    headers = {**signed_headers(delivery, body, now), "host": _host_header(target)}
    try:
        response = _pool(target, config).urlopen(
            "POST", target.path, body=body.encode(), headers=headers, redirect=False,
            retries=False, preload_content=False)
        try:
            excerpt = response.read(EXCERPT, decode_content=True)
        finally:
            response.release_conn()
        status: int | None = response.status
        error = None if 200 <= response.status < 300 else f"HTTP {response.status}"
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        status, excerpt, error = None, b"", _describe(exc)
    latency = int((time.monotonic() - started) * 1000)
    text = excerpt.decode("utf-8", "replace").replace("\x00", "\ufffd")[:EXCERPT]
    return AttemptResult(status, latency, text, error)


def _describe(exc: BaseException) -> str:
    """One short line a person can act on ("could not connect: [Errno 111] Connection
    refused", "timed out"), not urllib3's nested repr."""
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        return "could not connect: " + str(exc).rsplit(": ", 1)[-1][:200]
    if isinstance(exc, urllib3.exceptions.TimeoutError | TimeoutError):
        return "timed out"
    if isinstance(exc, urllib3.exceptions.SSLError):
        return f"TLS: {exc}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


def _pool(target: Target, config: WebhookConfig) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(connect=config.timeout, read=config.timeout)
    if target.scheme == "https":  # connect to the checked address, verify the certificate name
        return urllib3.HTTPSConnectionPool(
            target.address, target.port, timeout=timeout, retries=False,
            cert_reqs="CERT_REQUIRED", server_hostname=target.host, assert_hostname=target.host)
    return urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout,
                                      retries=False)


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def record_attempt(session: Session, delivery: WebhookDelivery, result: AttemptResult,
                   config: WebhookConfig, now: datetime) -> float | None:
    """Log the attempt and move the delivery on; returns the delay to the next attempt."""
    session.add(WebhookAttempt(delivery_id=delivery.id, at=now, status_code=result.status_code,
                               latency_ms=result.latency_ms, response_excerpt=result.excerpt,
                               error=result.error))
    delivery.attempts += 1
    delivery.lease_until = None
    delivery.enqueued_at = None
    if result.ok:
        delivery.status, delivery.delivered_at = "delivered", now
        return None
    delay = config.backoff(delivery.attempts)
    age = (now - delivery.event.created_at).total_seconds()
    if age + delay > config.give_up:
        delivery.status = "failed"
        return None
    delivery.next_attempt_at = now + timedelta(seconds=delay)
    return delay


def deliver_one(session: Session, delivery_id: int, config: WebhookConfig) -> float | None:
    """Claim, attempt and record one delivery (commits twice); returns the retry delay, if any.

    The claim is committed before the request so the lease protects the attempt; the outcome
    is committed right after the receiver answers.
    """
    now = utcnow()
    if not claim(session, delivery_id, now, config):
        session.rollback()
        return None
    session.commit()
    delivery = session.get(WebhookDelivery, delivery_id, populate_existing=True)
    if delivery is None:
        return None
    result = post(delivery, config, utcnow())
    delay = record_attempt(session, delivery, result, config, utcnow())
    session.commit()
    return delay


def redeliver(session: Session, delivery_id: int) -> WebhookDelivery | None:
    """"Send again": make the delivery pending and due now, whatever its state (caller commits)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return None
    delivery.status, delivery.next_attempt_at, delivery.lease_until = "pending", utcnow(), None
    delivery.enqueued_at = None
    session.flush()
    return delivery
