"""Reading stored alerts: by id (the one place that turns an unknown id into the user's
mistake), and the content variant a contact gets."""

from __future__ import annotations

from sqlalchemy.orm import Session

from outreach.db.models import Alert, AlertVariant, Contact
from outreach.errors import UserError


def get_alert(session: Session, alert_id: int, *, label: str = "ALERT_ID") -> Alert:
    """The alert, read fresh from the database (a worker or another console may have just
    paused or finished it), or a UserError naming what the user typed: `label` is the
    argument or option that carried the id."""
    alert = session.get(Alert, alert_id, populate_existing=True)
    if alert is None:
        raise UserError(f"{label} {alert_id}: no such alert (see `outreach alert list`)")
    return alert


def pick_variant(alert: Alert, contact: Contact) -> AlertVariant:
    """The variant in the contact's language, else the alert's default language, else any."""
    by_language = {v.language: v for v in alert.variants}
    if not by_language:
        raise UserError(f"alert {alert.id} has no content variants")
    return (by_language.get((contact.language or "").lower())
            or by_language.get(alert.default_language)
            or next(iter(by_language.values())))
