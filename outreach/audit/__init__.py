"""The audit log: every state-changing action, from the console, the API and the CLI alike.

`record` adds a row in the caller's session, so the action and its audit row commit together
(or not at all): the log never claims an action that did not happen, nor misses one that did.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.db.models import ACTOR_KINDS, AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who acts: a console user (by email), a CLI user (by OS login), an API token, the system."""

    name: str
    kind: str = "user"

    def __post_init__(self) -> None:
        if self.kind not in ACTOR_KINDS:
            raise ValueError(f"actor kind {self.kind!r} is not one of {ACTOR_KINDS}")


def cli_actor() -> Actor:
    """The operating-system user running the CLI."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = "unknown"
    return Actor(f"cli:{user}", "cli")


SYSTEM = Actor("system", "system")


def record(session: Session, actor: Actor, action: str, target: str = "",
           **detail: Any) -> AuditEvent:
    """Add one audit row to `session` (committed with the action itself)."""
    event = AuditEvent(actor=actor.name[:320], actor_kind=actor.kind, action=action,
                       target=target[:200], detail=detail)
    session.add(event)
    return event


def list_events(session: Session, *, action: str | None = None, actor: str | None = None,
                since: datetime | None = None, limit: int = 200) -> Sequence[AuditEvent]:
    """Newest first, filtered by action prefix (`alert.` matches every alert action) and actor."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if since:
        query = query.where(AuditEvent.at >= since)
    return session.scalars(query.limit(limit)).all()
