"""Raw inbound bytes -> InboundParsed: the few fields the rest needs. Never raises.

Parsed with the lenient compat32 policy (flufl.bounce wants an `email.message.Message`); header
values are decoded one by one so a single broken header costs only itself. A message with no
usable header at all is returned with `error` set: it is recorded as unparseable, never dropped.

Work per message is bounded whatever its size (a hostile 5 MB body used to cost ~46 s of CPU
inside the poll): `text` is the first TEXT_LIMIT characters of the body (a reply's own words
come first), HTML is converted from its first HTML_LIMIT characters, and an undeclared charset
is detected on a DETECT_BYTES sample.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

from charset_normalizer import from_bytes

ENVELOPE_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To",
                    "X-Rcpt-To", "Received")
_MSGID_RE = re.compile(r"<([^<>\s]+)>")
_MAX_EXTERNAL_ID = 250
TEXT_LIMIT = 32_000  # characters of body text classified and searched for the reply's text
HTML_LIMIT = 200_000  # characters of an HTML-only body turned into text
DETECT_BYTES = 64 * 1024


@dataclass
class InboundParsed:
    raw_sha256: str
    message: Message | None
    message_id: str | None = None
    sender: str | None = None
    sender_name: str | None = None
    subject: str = ""
    date: datetime | None = None
    recipients: str = ""  # To/Cc/Delivered-To/... joined: where tagged tokens are looked for
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    text: str = ""
    error: str | None = None
    raw_preview: str = ""  # the start of the raw bytes, kept for unparseable mail

    @property
    def external_id(self) -> str:
        """The dedupe key: the Message-ID, or the content hash when absent or too long."""
        mid = self.message_id
        if mid and len(mid) + 4 <= _MAX_EXTERNAL_ID and mid.isascii() and mid.isprintable():
            return f"mid:{mid}"
        return f"sha256:{self.raw_sha256}"

    def header(self, name: str) -> str:
        return decoded_header(self.message, name) if self.message is not None else ""


def parse(raw: bytes) -> InboundParsed:
    digest = hashlib.sha256(raw).hexdigest()
    try:
        msg = email.message_from_bytes(raw)
    except Exception as exc:  # the parser is lenient; this is belt and braces
        return InboundParsed(digest, None, error=f"cannot parse: {exc}")
    parsed = InboundParsed(digest, msg, raw_preview=raw[:2000].decode("utf-8", "replace"))
    if not raw.strip() or not any(msg.get(h) for h in ("From", "Message-ID", "Date", "To")):
        parsed.error = "no From, To, Date or Message-ID header: not a mail message"
        return parsed
    try:
        _fill(parsed, msg)
    except Exception as exc:
        parsed.error = f"unreadable: {type(exc).__name__}: {exc}"
    return parsed


def _fill(parsed: InboundParsed, msg: Message) -> None:
    ids = message_ids(decoded_header(msg, "Message-ID"))
    parsed.message_id = ids[0] if ids else None
    name, address = parseaddr(decoded_header(msg, "From"))
    parsed.sender = address.strip().lower() or None
    parsed.sender_name = name or None
    parsed.subject = decoded_header(msg, "Subject")
    parsed.date = _date(decoded_header(msg, "Date"))
    parsed.recipients = "\n".join(
        value for h in ENVELOPE_HEADERS for value in (msg.get_all(h) or [])
        if isinstance(value, str)
    )
    parsed.in_reply_to = message_ids(decoded_header(msg, "In-Reply-To"))
    parsed.references = message_ids(decoded_header(msg, "References"))
    parsed.text = body_text(msg)[:TEXT_LIMIT]


def decoded_header(msg: Message | None, name: str) -> str:
    """A header decoded to one line of text ('' if absent or undecodable)."""
    if msg is None:
        return ""
    value = msg.get(name)
    if value is None:
        return ""
    try:
        text = str(make_header(decode_header(str(value))))
    except Exception:
        text = str(value)
    return " ".join(text.split())


def message_ids(value: str) -> list[str]:
    """`<a@b> <c@d>` -> ['a@b', 'c@d'] (angle brackets dropped, order kept)."""
    return _MSGID_RE.findall(value)


def addresses(value: str) -> list[str]:
    return [addr.lower() for _, addr in getaddresses([value]) if "@" in addr]


def _date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    return parsed.replace(tzinfo=UTC)


def body_text(msg: Message) -> str:
    """The first text/plain part not attached as a file, else the first text/html as text."""
    html = None
    for part in msg.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        ctype = part.get_content_type()
        if ctype == "message/rfc822" or ctype.startswith("message/"):
            break  # the returned original of a report: not the new text
        if ctype == "text/plain":
            return decode_part(part)
        if ctype == "text/html" and html is None:
            html = decode_part(part)
    return html_to_text(html[:HTML_LIMIT]) if html else ""


def decode_part(part: Message) -> str:
    """A part's payload as str: declared charset, else detected, else UTF-8 with replacement."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload() or "")
    charset = part.get_content_charset()
    if charset:
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    best = from_bytes(payload[:DETECT_BYTES]).best()
    encoding = best.encoding if best is not None else "utf-8"
    return payload.decode(encoding, "replace")


class _TextExtractor(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "li", "tr", "blockquote", "h1", "h2", "h3"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self._BREAKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:
        return re.sub(r"<[^>]+>", " ", html)
    lines = (" ".join(line.split()) for line in "".join(extractor.chunks).splitlines())
    return "\n".join(line for line in lines if line)
