"""Idempotency keys: a retried request (same key, same token) gets the first answer again.

The key is stored (with a digest of the request) BEFORE the action runs, committed, and
completed with the response afterwards. A second request with the key therefore either
replays the stored response, or, if the first is still running, is refused (409) instead of
running alongside it: a launch retried by a client whose connection dropped sends once.
A key reused for a different request is refused (422). A 5xx outcome is forgotten so the
client may retry, and so is a key whose first request never finished (its process died)
after ABANDONED: taking it over is safe because the actions keep their own guards (a launched
alert cannot be launched again; importing a file twice creates no duplicate contacts).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from outreach.db.models import IdempotencyKey
from outreach.db.models.base import utcnow

MAX_KEY = 200
ABANDONED = timedelta(minutes=5)  # a key still "running" after this was left by a dead process


@dataclass(frozen=True)
class Stored:
    status: int | None  # None: the first request is still running
    response: dict[str, Any]
    same_request: bool


def request_digest(route: str, body: bytes) -> str:
    return hashlib.sha256(route.encode() + b"\0" + body).hexdigest()


def begin(sessions: sessionmaker[Session], token_id: int, key: str, route: str,
          digest: str) -> tuple[int | None, Stored | None]:
    """Reserve the key: (row id, None) for a new key, (None, what was stored) for a known one."""
    with sessions() as session:
        existing = _find(session, token_id, key)
        if existing is not None and existing.status_code is None \
                and utcnow() - existing.created_at > ABANDONED:
            session.delete(existing)  # its process died; the action's own guards still hold
            session.flush()
            existing = None
        if existing is None:
            row = IdempotencyKey(token_id=token_id, key=key, route=route, request_hash=digest)
            session.add(row)
            try:
                session.commit()
                return row.id, None
            except IntegrityError:  # a concurrent request with the same key won
                session.rollback()
                existing = _find(session, token_id, key)
        if existing is None:
            return None, Stored(None, {}, True)
        return None, Stored(existing.status_code, existing.response,
                            existing.request_hash == digest and existing.route == route)


def finish(sessions: sessionmaker[Session], row_id: int, status: int,
           response: dict[str, Any]) -> None:
    with sessions() as session:
        if status >= 500:
            session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row_id))
        else:
            row = session.get(IdempotencyKey, row_id)
            if row is not None:
                row.status_code, row.response = status, response
        session.commit()


def _find(session: Session, token_id: int, key: str) -> IdempotencyKey | None:
    return session.scalar(select(IdempotencyKey).where(IdempotencyKey.token_id == token_id,
                                                       IdempotencyKey.key == key))
