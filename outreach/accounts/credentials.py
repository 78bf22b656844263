"""Random tokens and their stored digests, and password hashing.

Invitation links and session cookies carry 256 random bits and recovery codes 64, so storing
their SHA-256 is enough: no digest in a leaked database can be walked back to its value
(2^64 guesses per recovery code, each only good once), and lookup stays one indexed equality.
Passwords are chosen by people and get argon2 (argon2-cffi's defaults,
RFC 9106 low-memory profile), rehashed on login when the parameters change.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from outreach.errors import UserError

MIN_PASSWORD = 10
MAX_PASSWORD = 1024


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def check_password_policy(password: str) -> None:
    """Length only (NIST SP 800-63B): long passphrases beat composition rules."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password: use at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"password: use at most {MAX_PASSWORD} characters")


def hash_password(password: str) -> str:
    check_password_policy(password)
    return _hasher().hash(password)


def verify_password(stored: str | None, given: str) -> bool:
    if not stored or len(given) > MAX_PASSWORD:
        _hasher().hash("timing-equaliser")  # same work whether or not the account exists
        return False
    try:
        return _hasher().verify(stored, given)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher().check_needs_rehash(stored)


def rehashed(stored: str, password: str) -> str | None:
    """A new hash of a just-verified password if `stored` used older parameters, else None."""
    return _hasher().hash(password) if needs_rehash(stored) else None
