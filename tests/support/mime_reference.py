"""The slow, obviously-correct way to build a recipient's message: one `EmailMessage` per
recipient, every header parsed and folded by the `email` package (what `compose` did before
the per-variant skeleton). Not used for sending (nothing under `outreach` imports it): the unit
tests (`tests/unit/mail/test_mime_template.py`) check that `compose`'s output parses back to
the same headers and parts as this, and `benchmarks/render_benchmark.py` times both.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from typing import Any

from outreach.alerts.templating import display_name
from outreach.config import Settings
from outreach.contacts.addresses import ascii_address
from outreach.db.models import Alert, AlertVariant, Contact
from outreach.mail import compose as composer
from outreach.mail.links import unsubscribe_url
from outreach.mail.tokens import message_token, tagged_address

header_text = composer.header_text


class _ReferencePolicy(EmailPolicy):
    """policy.SMTP, with List-Unsubscribe folded after its comma only, as `compose` writes it.

    The stock folder turns a URL longer than 78 columns into RFC 2047 encoded-words, which no
    mail client would read as a URL.
    """

    def fold_binary(self, name: str, value: Any) -> bytes:
        text = str(value)
        if name.lower() == "list-unsubscribe" and text.isascii() and len(text) < 900 \
                and "\r" not in text and "\n" not in text:
            return f"{name}: {text.replace(', <', f',{self.linesep} <')}{self.linesep}".encode()
        return super().fold_binary(name, value)


_SMTP = _ReferencePolicy(linesep="\r\n")
_SMTPUTF8 = _SMTP.clone(utf8=True)


def reference_message(variant: AlertVariant, alert: Alert, contact: Contact, message_id: int,
                      settings: Settings, *, in_reply_to: str | None = None,
                      test: bool = False) -> EmailMessage:
    """`compose`'s message (unsigned) built header by header with `EmailMessage`."""
    parts = composer.render(variant, alert, contact, message_id, settings)
    token = message_token(settings.secret_key, message_id)
    domain = settings.sender_domain
    recipient = composer._checked_address(ascii_address(contact.email or ""))
    msg = EmailMessage(policy=_SMTP if recipient.isascii() else _SMTPUTF8)
    msg["Message-ID"] = f"<test-{uuid.uuid4().hex}@{domain}>" if test else f"<{token}@{domain}>"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["From"] = composer._address(variant.from_address)
    local, _, recipient_domain = recipient.rpartition("@")  # (addr_spec= refuses UTF-8)
    msg["To"] = Address(display_name=header_text(display_name(contact)),
                        username=local, domain=recipient_domain)
    reply_name = composer._address(variant.reply_to or variant.from_address).display_name
    msg["Reply-To"] = Address(display_name=reply_name,
                              addr_spec=tagged_address(settings.mailbox_address, "r", token))
    msg["Subject"] = ("[TEST] " if test else "") + parts.subject
    mailto = tagged_address(settings.mailbox_address, "u", token)
    msg["List-Unsubscribe"] = (f"<{unsubscribe_url(settings, message_id)}>, "
                               f"<mailto:{mailto}?subject=unsubscribe>")
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    org = header_text(settings.org_name).replace('"', "'")
    msg["List-Id"] = f'"{org}" <alerts.{settings.sender_domain}>'
    if in_reply_to:
        msg["In-Reply-To"] = msg["References"] = composer._message_id_value(in_reply_to)
    if test:
        msg["X-Outreach-Test"] = "yes"
    msg.set_content(parts.text, subtype="plain", charset="utf-8", cte=composer._cte(parts.text))
    msg.add_alternative(parts.html, subtype="html", charset="utf-8",
                        cte=composer._cte(parts.html))
    msg["Content-Language"] = header_text(variant.language)  # after: set_content clears it
    return msg
