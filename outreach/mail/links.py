"""Public URLs carried in mail: unsubscribe, open pixel, click redirect.

Built from OUTREACH_BASE_URL; each carries an itsdangerous-signed payload (never an address).
The web app reads them back with `outreach.mail.tokens.read_link` and the same purposes.
"""

from __future__ import annotations

from outreach.config import Settings
from outreach.mail.tokens import message_token, sign_link


def _base(settings: Settings) -> str:
    return settings.base_url.rstrip("/")


def unsubscribe_url(settings: Settings, message_id: int, token: str | None = None) -> str:
    """`token`: the message's token when the caller already has it (compose does)."""
    token = token or message_token(settings.secret_key, message_id)
    signed = sign_link(settings.secret_key, "unsubscribe", token)
    return f"{_base(settings)}/u/{signed}"


def open_pixel_url(settings: Settings, message_id: int) -> str:
    signed = sign_link(settings.secret_key, "open", message_id)
    return f"{_base(settings)}/o/{signed}.gif"


def click_url(settings: Settings, message_id: int, link_index: int) -> str:
    """Redirect to the alert's own link number `link_index` (never to a URL from the request)."""
    signed = sign_link(settings.secret_key, "click", [message_id, link_index])
    return f"{_base(settings)}/c/{signed}"
