"""Per-user API tokens: shown once, stored hashed, prefixed, scoped, revocable.

A token is `otr_` + 43 URL-safe characters (32 random bytes). The database keeps its SHA-256
digest (a fast hash suffices for a random secret) and its first 12 characters, so a token
found in a log or a repository can be matched to its row by prefix and revoked. A token acts
with its user's role, or with a narrower scope: the effective role is the lower of the two,
so demoting or disabling the user narrows every token at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from outreach.db.models import TOKEN_SCOPES, ApiToken, User
from outreach.db.models.base import utcnow
from outreach.errors import UserError

PREFIX = "otr_"
SHOWN = 12  # characters kept in clear: "otr_" + 8
ROLES = ("viewer", "sender", "admin")
ROLE_OF_SCOPE = {"read": "viewer", "send": "sender", "admin": "admin"}
LAST_USED_RESOLUTION = timedelta(minutes=1)  # no write per request, at most one a minute


@dataclass(frozen=True)
class TokenAuth:
    token_id: int
    user_id: int
    email: str
    role: str  # effective role: min(user's role, token's scope)
    name: str

    def has(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def effective_role(user_role: str, scope: str | None) -> str:
    if user_role not in ROLES:
        return "viewer"
    if scope is None:
        return user_role
    return min(user_role, ROLE_OF_SCOPE[scope], key=ROLES.index)


def find_user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise UserError(f"--user {email!r}: no such user (add one with `outreach users add`)")
    if user.disabled_at is not None:
        raise UserError(f"--user {email!r}: the account is disabled")
    return user


def create(session: Session, user: User, *, scope: str | None = None, name: str = "",
           created_by: str = "") -> tuple[ApiToken, str]:
    """Store a new token; returns the row and the plaintext (shown to the user once)."""
    if scope is not None and scope not in TOKEN_SCOPES:
        raise UserError(f"--scope {scope!r}: one of {', '.join(TOKEN_SCOPES)}")
    plaintext = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name[:100], prefix=plaintext[:SHOWN],
                   token_hash=digest(plaintext), scope=scope, created_by=created_by[:320])
    session.add(row)
    session.flush()
    return row, plaintext


def authenticate(session: Session, plaintext: str) -> TokenAuth | None:
    """The token's identity, or None (unknown, revoked, or its user disabled)."""
    if not plaintext.startswith(PREFIX) or len(plaintext) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(plaintext)))
    if row is None or not hmac.compare_digest(row.token_hash, digest(plaintext)):
        return None
    if row.revoked_at is not None or row.user.disabled_at is not None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        session.execute(update(ApiToken).where(ApiToken.id == row.id)
                        .values(last_used_at=now).execution_options(synchronize_session=False))
        session.commit()
    return TokenAuth(row.id, row.user_id, row.user.email, effective_role(row.user.role,
                                                                         row.scope), row.name)


def revoke(session: Session, token_id_or_prefix: str) -> ApiToken:
    """Revoke by id or by visible prefix (as found in a leak); UserError if none or several."""
    query = select(ApiToken)
    if token_id_or_prefix.isdigit():
        query = query.where(ApiToken.id == int(token_id_or_prefix))
    else:
        query = query.where(ApiToken.prefix == token_id_or_prefix[:SHOWN])
    rows = session.scalars(query).all()
    if len(rows) != 1:
        raise UserError(f"TOKEN {token_id_or_prefix!r}: "
                        + ("no such token" if not rows else "several tokens match; use the id"))
    if rows[0].revoked_at is None:
        rows[0].revoked_at = utcnow()
    session.flush()
    return rows[0]


def list_tokens(session: Session, user_id: int | None = None) -> Sequence[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return session.scalars(query).all()


def to_json(row: ApiToken) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "prefix": row.prefix, "user": row.user.email,
            "scope": row.scope, "role": effective_role(row.user.role, row.scope),
            "created_at": row.created_at.isoformat(),
            "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
            "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None}
