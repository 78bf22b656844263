"""SQL: is a message held back because the guard paused its recipient domain for its alert?

Used by the claim (and so by the enqueue and the sweeper, which share `claimable`): a held
message stays `queued` or `deferred`, untouched, and becomes claimable again the moment the
domain is resumed. Nothing is moved or rewritten, so nothing can be lost by a pause.

The domain is compared as the exact tail of the address after the "@" (no LIKE: a domain
may contain "_", a LIKE wildcard). With no paused domain the anti-join is on an empty set.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, func, literal

from outreach.db.models import AlertDomainGuard, Contact, Message


def address_in(email: ColumnElement[str], domain: ColumnElement[str]) -> ColumnElement[bool]:
    """SQL: `email` ends with "@" + `domain` (both backends: substr/length are portable)."""
    start = func.length(email) - func.length(domain)
    return func.lower(func.substr(email, start)) == literal("@") + domain


def held_by_guard() -> ColumnElement[bool]:
    """SQL on `Message`: its contact's domain is paused for its alert."""
    return exists().where(
        AlertDomainGuard.alert_id == Message.alert_id,
        AlertDomainGuard.paused_at.is_not(None),
        Contact.id == Message.contact_id,
        address_in(Contact.email, AlertDomainGuard.domain),
    )
