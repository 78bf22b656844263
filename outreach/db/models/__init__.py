"""Typed SQLAlchemy models. Importing this package registers every table on `Base.metadata`."""

from outreach.db.models.alerts import ALERT_STATES, Alert, AlertVariant
from outreach.db.models.api import TOKEN_SCOPES, ApiToken, IdempotencyKey
from outreach.db.models.audit import ACTOR_KINDS, AuditEvent
from outreach.db.models.base import Base, utcnow
from outreach.db.models.console import PendingUpload, SavedSegment
from outreach.db.models.contacts import (
    CONTACT_STATUSES,
    CONTACT_TYPES,
    OUTLET_KINDS,
    SUPPRESSION_REASONS,
    Contact,
    ContactEvent,
    ContactLabel,
    Outlet,
    Suppression,
)
from outreach.db.models.guard import AlertDomainGuard
from outreach.db.models.inbound import INBOUND_KINDS, InboundMail
from outreach.db.models.messages import MESSAGE_STATUSES, Message, MessageEvent
from outreach.db.models.users import USER_ROLES, LoginAttempt, RecoveryCode, User, WebSession
from outreach.db.models.webhooks import (
    WEBHOOK_EVENT_TYPES,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from outreach.db.models.workers import WorkerBeat

__all__ = [
    "ACTOR_KINDS",
    "ALERT_STATES",
    "CONTACT_STATUSES",
    "CONTACT_TYPES",
    "INBOUND_KINDS",
    "MESSAGE_STATUSES",
    "OUTLET_KINDS",
    "SUPPRESSION_REASONS",
    "TOKEN_SCOPES",
    "USER_ROLES",
    "WEBHOOK_EVENT_TYPES",
    "Alert",
    "AlertDomainGuard",
    "AlertVariant",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Contact",
    "ContactEvent",
    "ContactLabel",
    "IdempotencyKey",
    "InboundMail",
    "LoginAttempt",
    "Message",
    "MessageEvent",
    "Outlet",
    "PendingUpload",
    "RecoveryCode",
    "SavedSegment",
    "Suppression",
    "User",
    "WebSession",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
    "WorkerBeat",
    "utcnow",
]
