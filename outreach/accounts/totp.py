"""The optional second factor: TOTP (RFC 6238) with single-use recovery codes.

A code is accepted for the current 30-second step or one either side (clock drift), and only
once: the step of the last accepted code is stored, so a code seen over a shoulder or
replayed from a proxy log cannot log in again. Recovery codes are random, shown once,
stored as digests and struck off when used.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from outreach.accounts.credentials import digest
from outreach.db.models import RecoveryCode, User, utcnow

ISSUER = "outreach"
RECOVERY_CODES = 10
STEP = 30


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str = ISSUER) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (current or one either side) whose code equals `code`, or None."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp, now = pyotp.TOTP(secret), time.time() if now is None else now
    for offset in (0, -1, 1):
        at = now + offset * STEP
        if secrets.compare_digest(totp.at(at), code):
            return int(at // STEP)
    return None


def verify(session: Session, user: User, code: str, now: float | None = None) -> bool:
    """Check a login code for an enrolled user and burn its step (no replay).

    The step is raised by a conditional UPDATE, so two requests racing with one code cannot
    both win.
    """
    if not user.totp_secret:
        return False
    step = matching_step(user.totp_secret, code, now)
    if step is None:
        return False
    won = session.execute(update(User).where(User.id == user.id, User.totp_last_step < step)
                          .values(totp_last_step=step).execution_options(synchronize_session=False))
    if not won.rowcount:  # type: ignore[attr-defined]
        return False
    user.totp_last_step = step
    return True


def enable(session: Session, user: User, secret: str, code: str,
           now: float | None = None) -> list[str] | None:
    """Confirm enrolment with a first code; returns fresh recovery codes (or None: wrong code)."""
    step = matching_step(secret, code, now)
    if step is None:
        return None
    user.totp_secret, user.totp_last_step = secret, step
    return new_recovery_codes(session, user)


def disable(session: Session, user: User) -> None:
    user.totp_secret, user.totp_last_step = None, 0
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace the user's recovery codes; the plain codes are returned once, never stored."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=digest(c)) for c in codes)
    return codes


def use_recovery_code(session: Session, user: User, code: str,
                      now: datetime | None = None) -> bool:
    """Strike off an unused code (a conditional UPDATE: it can be used once, even in a race)."""
    wanted = digest("".join(code.split()).lower())
    used = session.execute(update(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == wanted,
        RecoveryCode.used_at.is_(None)).values(used_at=now or utcnow())
        .execution_options(synchronize_session=False))
    return bool(used.rowcount)  # type: ignore[attr-defined]


def recovery_codes_left(session: Session, user_id: int) -> int:
    return int(session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))) or 0)
