"""One recipient's message: render the variant's compiled templates, build MIME, sign.

Everything per alert (Markdown, layout, premailer) happened in `outreach.alerts.compile`; here
only the per-recipient fields are filled in (cached compiled templates, a fraction of a
millisecond) and the RFC 5322 message is built with the standard `email` package.

Addresses carry the message token (`outreach.tokens`): the envelope sender is the tagged
role-"b" address (bounces), Reply-To the tagged role-"r" address of the polled mailbox (so
replies are matched to this message; its display name is the front matter's `reply_to` name),
and the List-Unsubscribe mailto the role-"u" address. Message-ID is `<TOKEN@sender-domain>`.

Test sends (`test=True`) are marked with `X-Outreach-Test: yes` and a "[TEST] " subject prefix;
they use message id 0 by convention (no Message row: its token matches no message, so a reply,
bounce or unsubscribe from a test copy is ignored) and a random `<test-HEX@domain>` Message-ID
so that mail clients do not fold several test copies into one.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import lru_cache

from outreach.addresses import ascii_address
from outreach.alerts import mail_policy
from outreach.alerts.create import pick_variant
from outreach.alerts.templating import compiled, contact_view, display_name, recipient_context
from outreach.dkim import sign_message
from outreach.links import click_url, open_pixel_url, unsubscribe_url
from outreach.models import Alert, AlertVariant, Contact
from outreach.settings import Settings
from outreach.tokens import message_token, tagged_address

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
TEST_MESSAGE_ID = 0

__all__ = ["TEST_MESSAGE_ID", "ComposedMail", "compose", "header_text", "pick_variant", "render"]


@dataclass(frozen=True)
class ComposedMail:
    envelope_from: str
    recipient: str
    message_id_header: str
    data: bytes


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def header_text(value: str | None) -> str:
    """A single-line header value: CR, LF and other control characters become spaces."""
    return " ".join(_CONTROL_RE.sub(" ", value or "").split())


def render(variant: AlertVariant, alert: Alert, contact: Contact, message_id: int,
           settings: Settings) -> Rendered:
    """The three per-recipient parts (subject, HTML, text); the cheap per-message step."""
    subject_t, html_t, text_t = compiled(variant.subject_template, variant.html_template,
                                         variant.text_template)
    pixel = open_pixel_url(settings, message_id) if alert.track_opens else ""
    context = recipient_context(contact_view(contact), unsubscribe_url(settings, message_id),
                                pixel, lambda n: click_url(settings, message_id, int(n)))
    return Rendered(header_text(subject_t.render(context)), html_t.render(context),
                    text_t.render(context))


def compose(variant: AlertVariant, alert: Alert, contact: Contact, message_id: int,
            settings: Settings, *, in_reply_to: str | None = None,
            test: bool = False) -> ComposedMail:
    """The full message for one recipient, CRLF line ends, DKIM-signed when configured."""
    if not contact.email:
        raise ValueError(f"contact {contact.id} has no address (erased)")
    parts = render(variant, alert, contact, message_id, settings)
    token = message_token(settings.secret_key, message_id)
    domain = settings.sender_domain
    message_id_header = f"<test-{uuid.uuid4().hex}@{domain}>" if test else f"<{token}@{domain}>"
    recipient = _checked_address(ascii_address(contact.email))
    msg = EmailMessage(policy=_policy_for(recipient))
    msg["Message-ID"] = message_id_header
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["From"] = _address(variant.from_address)
    local, _, recipient_domain = recipient.rpartition("@")  # (addr_spec= refuses UTF-8)
    msg["To"] = Address(display_name=header_text(display_name(contact)),
                        username=local, domain=recipient_domain)
    reply_name = _address(variant.reply_to or variant.from_address).display_name
    msg["Reply-To"] = Address(display_name=reply_name,
                              addr_spec=tagged_address(settings.mailbox_address, "r", token))
    msg["Subject"] = ("[TEST] " if test else "") + parts.subject
    _list_headers(msg, settings, message_id, token)
    if in_reply_to:
        reference = _message_id_value(in_reply_to)
        msg["In-Reply-To"] = reference
        msg["References"] = reference
    if test:
        msg["X-Outreach-Test"] = "yes"
    msg.set_content(parts.text, subtype="plain", charset="utf-8", cte=_cte(parts.text))
    msg.add_alternative(parts.html, subtype="html", charset="utf-8", cte=_cte(parts.html))
    msg["Content-Language"] = header_text(variant.language)  # after: set_content clears it
    data = sign_message(msg.as_bytes(), settings)
    return ComposedMail(envelope_from=tagged_address(settings.mailbox_address, "b", token),
                        recipient=recipient, message_id_header=message_id_header, data=data)


def _list_headers(msg: EmailMessage, settings: Settings, message_id: int, token: str) -> None:
    """RFC 2369 / RFC 8058 one-click unsubscribe and RFC 2919 List-Id."""
    mailto = tagged_address(settings.mailbox_address, "u", token)
    msg["List-Unsubscribe"] = (f"<{unsubscribe_url(settings, message_id)}>, "
                               f"<mailto:{mailto}?subject=unsubscribe>")
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    org = header_text(settings.org_name).replace('"', "'")
    msg["List-Id"] = f'"{org}" <alerts.{settings.sender_domain}>'


@lru_cache(maxsize=256)
def _address(value: str) -> Address:
    """A variant's From / reply_to (the same for every message, so parsed once)."""
    name, addr = parseaddr(header_text(value))
    return Address(display_name=header_text(name), addr_spec=_checked_address(addr))


def _checked_address(addr: str) -> str:
    if not addr or "@" not in addr or _CONTROL_RE.search(addr) or any(c.isspace() for c in addr):
        raise ValueError(f"not a usable address: {addr!r}")
    return addr


def _message_id_value(value: str) -> str:
    inner = header_text(value).strip("<>").replace("<", "").replace(">", "").replace(" ", "")
    return f"<{inner}>"


def _policy_for(recipient: str) -> policy.EmailPolicy:
    """SMTP policy; SMTPUTF8 only for an address that cannot be written in ASCII."""
    return mail_policy.SMTP if recipient.isascii() else mail_policy.SMTPUTF8


def _cte(text: str) -> str:
    """quoted-printable for mostly-Latin text (readable), base64 for other scripts (shorter)."""
    extra_octets = len(text.encode("utf-8")) - len(text)  # about one per non-ASCII letter
    return "base64" if extra_octets * 3 > len(text) else "quoted-printable"
