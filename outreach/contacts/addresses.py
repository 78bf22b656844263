"""Email address normalisation, the hash that keys suppressions, and an address's domain
(in Python for envelopes, in SQL for grouping and matching by domain)."""

from __future__ import annotations

import hashlib
import re
from functools import cache, lru_cache
from typing import Any

from email_validator import (
    EmailNotValidError,
    EmailSyntaxError,
    ValidatedEmail,
    caching_resolver,
    validate_email,
)
from email_validator.syntax import (
    split_email,
    validate_email_domain_name,
    validate_email_length,
    validate_email_local_part,
)
from sqlalchemy import ColumnElement, func


class InvalidAddress(ValueError):
    """The address is not a valid email address; the message says why."""


def normalize(address: str, check_deliverability: bool = False) -> str:
    """The canonical form of an address: validated, IDN domain as Unicode, all lower case.

    Local parts are case-sensitive in theory and never in practice; press lists hold the same
    person as `Anna@X` and `anna@x`, so the whole address is folded.
    """
    if not check_deliverability:
        fast = _plain_address(address.strip())
        if fast is not None:
            return fast
    try:
        result = validate_email(
            address.strip(), check_deliverability=check_deliverability, allow_smtputf8=True,
            dns_resolver=_resolver() if check_deliverability else None,
        )
    except EmailNotValidError as exc:
        raise InvalidAddress(str(exc)) from None
    return result.normalized.lower()


# An ASCII atom-text local part, one @, and a domain without quotes, brackets, spaces or other
# specials: split_email (a per-character loop) would split it at the @ and change nothing.
_PLAIN = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.\-\u0080-\U0010ffff]+")


def _plain_address(address: str) -> str | None:
    """`validate_email`'s steps for the common shape (ASCII local part, no quotes, no display
    name, a domain name), with the domain's check cached: validating the domain (IDNA, UTS-46
    per character) is three quarters of the work and a list has few domains. Every rule is
    email_validator's own function; other shapes return None and take the full path.
    """
    try:
        if _PLAIN.fullmatch(address):  # nothing for split_email to unquote: split it here
            original, _, domain = address.rpartition("@")
            local = original
        else:
            display, original, local, quoted, domain = split_email(address)
            if display is not None or quoted or not local.isascii() or domain.startswith("["):
                return None
        local_info = validate_email_local_part(local, allow_smtputf8=True)
        domain_info = _domain(domain)
        checked = ValidatedEmail()
        checked.original = f"{original}@{domain}"
        checked.local_part, checked.domain = local_info["local_part"], domain_info["domain"]
        checked.ascii_local_part = local_info["ascii_local_part"]
        checked.ascii_domain = domain_info["ascii_domain"]
        checked.normalized = f"{checked.local_part}@{checked.domain}"
        checked.ascii_email = f"{checked.ascii_local_part}@{checked.ascii_domain}"
        validate_email_length(checked)
    except EmailNotValidError as exc:
        raise InvalidAddress(str(exc)) from None
    return checked.normalized.lower()


@lru_cache(maxsize=4096)
def _domain(domain: str) -> Any:
    """A domain's validation result (or its error, raised again each time it is asked for)."""
    if not domain:
        raise EmailSyntaxError("There must be something after the @-sign.")
    return validate_email_domain_name(domain)


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


def email_domain(email: Any, dialect: str) -> ColumnElement[str]:
    """The domain part of an email column, in this backend's SQL (NULL for erased contacts)."""
    if dialect == "postgresql":
        return func.split_part(email, "@", 2)
    return func.substr(email, func.instr(email, "@") + 1)
