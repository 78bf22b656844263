"""Users and invitations: who may use the console, with which role.

An invitation is a random token whose digest is stored on the user; accepting it sets the
password and clears the digest in one transaction, so a link works once, and never after
`INVITE_HOURS`. Disabling a user ends their sessions at once (the rows are deleted), and a
password change ends every session of that user: a copied cookie stops working.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from outreach.accounts.credentials import (
    digest,
    hash_password,
    new_token,
    rehashed,
    verify_password,
)
from outreach.contacts.addresses import InvalidAddress, normalize
from outreach.db.models import USER_ROLES, User, WebSession, utcnow
from outreach.errors import UserError

INVITE_HOURS = 72


def any_users(session: Session) -> bool:
    """Once true, the shared dashboard password stops working."""
    return bool(session.scalar(select(exists().where(User.id.is_not(None)))))


def role_at_least(role: str, floor: str) -> bool:
    """Roles rank viewer < sender < admin."""
    return USER_ROLES.index(role) >= USER_ROLES.index(floor)


def check_role(role: str) -> str:
    if role not in USER_ROLES:
        raise UserError(f"--role {role!r}: use one of {', '.join(USER_ROLES)}")
    return role


def normalized_email(email: str) -> str:
    try:
        return normalize(email)
    except InvalidAddress as exc:
        raise UserError(f"email {email!r}: {exc}") from None


def get_user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == normalized_email(email)))
    if user is None:
        raise UserError(f"{email}: no such user (see `outreach users list`)")
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(func.lower(User.email))).all()


def invite(session: Session, email: str, role: str, by: str,
           now: datetime | None = None) -> tuple[User, str]:
    """A new user (no password yet) and the invitation token to put in their link."""
    address, role = normalized_email(email), check_role(role)
    if session.scalar(select(User.id).where(User.email == address)) is not None:
        raise UserError(f"{address}: already a user (use `outreach users reinvite` for a new link)")
    user = User(email=address, role=role, created_by=by[:320])
    session.add(user)
    token = _set_invitation(user, now)
    session.flush()
    return user, token


def reinvite(session: Session, user: User, now: datetime | None = None) -> str:
    """A fresh link (the old one stops working), e.g. for a forgotten password."""
    return _set_invitation(user, now)


def _set_invitation(user: User, now: datetime | None) -> str:
    token = new_token()
    user.invite_hash = digest(token)
    user.invite_expires_at = (now or utcnow()) + timedelta(hours=INVITE_HOURS)
    return token


def invited_user(session: Session, token: str, now: datetime | None = None) -> User | None:
    """The user a still-valid invitation token belongs to, or None (unknown, used, expired)."""
    if not token or len(token) > 200:
        return None
    user = session.scalar(select(User).where(User.invite_hash == digest(token)))
    if user is None or user.disabled_at is not None or user.invite_expires_at is None:
        return None
    if (now or utcnow()) >= user.invite_expires_at:
        return None
    return user


def accept_invitation(session: Session, token: str, password: str,
                      now: datetime | None = None) -> User:
    """Set the password and burn the link. The link is cleared by a conditional UPDATE, so of
    two requests racing with one link only one can win."""
    user = invited_user(session, token, now)
    password_hash = hash_password(password)  # policy checked before the link is spent
    spent = user is not None and session.execute(
        update(User).where(User.id == user.id, User.invite_hash == digest(token))
        .values(invite_hash=None, invite_expires_at=None, password_hash=password_hash)
        .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if user is None or not spent:
        raise UserError("This invitation link is not valid any more. Ask an administrator "
                        "for a new one.")
    user.invite_hash = user.invite_expires_at = None
    user.password_hash = password_hash
    end_sessions_of(session, user.id)
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """New password; every existing session of the user ends (a copied cookie dies too)."""
    user.password_hash = hash_password(password)
    end_sessions_of(session, user.id)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same cost either way)."""
    try:
        address = normalize(email)
    except InvalidAddress:
        address = ""
    user = session.scalar(select(User).where(User.email == address)) if address else None
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or user.disabled_at is not None or user.password_hash is None:
        return None
    user.password_hash = rehashed(user.password_hash, password) or user.password_hash
    return user


def set_role(session: Session, user: User, role: str) -> None:
    check_role(role)
    if user.role == "admin" and role != "admin":
        _keep_an_admin(session, user)
    user.role = role


def disable(session: Session, user: User, now: datetime | None = None) -> None:
    if user.role == "admin":
        _keep_an_admin(session, user)
    user.disabled_at = now or utcnow()
    user.invite_hash = user.invite_expires_at = None
    end_sessions_of(session, user.id)


def enable(user: User) -> None:
    user.disabled_at = None


def _keep_an_admin(session: Session, leaving: User) -> None:
    """Refuse to remove the last active admin: nobody could manage users afterwards."""
    others = session.scalar(select(func.count(User.id)).where(
        User.role == "admin", User.disabled_at.is_(None), User.id != leaving.id))
    if not others:
        raise UserError(f"{leaving.email}: the last active admin; make someone else admin first")


def end_sessions_of(session: Session, user_id: int | None) -> int:
    if user_id is None:
        return 0
    result = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def invitation_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/dashboard/invite/{token}"
