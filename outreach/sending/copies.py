"""Test copies: one message marked [TEST], composed exactly as a send would compose it and
sent at once through the configured SMTP server, outside any blast (no Message row: the copy
uses message id 0, so whatever comes back from it matches nothing; see `outreach.mail.preview`).

Here, not in `outreach.mail`, because it both composes and sends: mail never imports mta.
"""

from __future__ import annotations

from outreach.config import Settings
from outreach.contacts.addresses import InvalidAddress, normalize
from outreach.db.models import Alert, Contact
from outreach.errors import UserError
from outreach.mail.preview import StandIn, compose_copy, readdressed
from outreach.mta.smtp import sender_from_settings


def send_test(alert: Alert, contact: Contact | StandIn, to: str, settings: Settings) -> str:
    """Send one copy marked [TEST] to `to`, personalised as `contact`; the server's answer.

    Raises UserError for a bad address, no SMTP server, or a copy the server did not accept.
    """
    settings.require_smtp_url("say which SMTP server sends test copies")
    try:
        address = normalize(to)
    except InvalidAddress as exc:
        raise UserError(f"{to!r}: {exc}") from None
    mail = compose_copy(alert, readdressed(contact, address), settings, test=True)
    sender = sender_from_settings(settings)  # CA file and dev override applied
    try:
        result = sender.send(mail.envelope_from, mail.recipient, mail.data)
    finally:
        sender.close()
    if result.outcome != "sent":
        raise UserError(f"test copy to {address} not accepted: {result.code} {result.text}")
    return f"{result.code} {result.text}"
