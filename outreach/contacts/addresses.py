"""Email address normalisation and the hash that keys suppressions."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from email_validator import EmailNotValidError, caching_resolver, validate_email


class InvalidAddress(ValueError):
    """The address is not a valid email address; the message says why."""


def normalize(address: str, check_deliverability: bool = False) -> str:
    """The canonical form of an address: validated, IDN domain as Unicode, all lower case.

    Local parts are case-sensitive in theory and never in practice; press lists hold the same
    person as `Anna@X` and `anna@x`, so the whole address is folded.
    """
    try:
        result = validate_email(
            address.strip(), check_deliverability=check_deliverability, allow_smtputf8=True,
            dns_resolver=_resolver() if check_deliverability else None,
        )
    except EmailNotValidError as exc:
        raise InvalidAddress(str(exc)) from None
    return result.normalized.lower()


@cache
def _resolver() -> Any:
    """One DNS resolver with a cache: an import checks each domain once, not once per row."""
    return caching_resolver()


def address_hash(address: str) -> str:
    """SHA-256 of the normalised address: lets erased addresses stay suppressed."""
    return hashlib.sha256(b"outreach:" + address.strip().lower().encode("utf-8")).hexdigest()


def ascii_address(address: str) -> str:
    """The address with its domain in IDNA (punycode) form, for SMTP envelopes."""
    local, _, domain = address.rpartition("@")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return address
