"""Bounce and complaint reports: RFC 3464 DSNs and RFC 5965 ARF read with the standard library,
the non-standard formats of other MTAs (qmail, old Exim, Exchange, ...) with flufl.bounce.

Pure functions of an `email.message.Message`. flufl.bounce's detectors run regexes over every
line of every part (about 18 s of CPU a MB here), so they are given parts cut to SCAN_CHARS:
a report's own words are at the top of its parts.
"""

from __future__ import annotations

import copy
import email
import logging
import re
from dataclasses import dataclass, field
from email.message import Message

from flufl.bounce import all_failures

from outreach.inbound.parse import addresses, decode_part, decoded_header, message_ids

_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_BASIC = re.compile(r"(?<![\d.])([45])\d\d(?=[\s\-])")
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status notification|failure|has failed)|returned mail|"
    r"failure notice|mail delivery (failed|system)|non[- ]?delivery|could not be delivered|"
    r"unzustellbar|non remis|no se puede entregar|nie dostarczon|kézbesíthetetlen|"
    r"не доставлено|недоставлен", re.I)
_RETURNED_TYPES = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")
SCAN_CHARS = 16 * 1024  # of each part, for flufl.bounce
_ORIGINAL_HEADERS = ("Message-ID", "From", "Reply-To", "Return-Path", "List-Unsubscribe", "To")


@dataclass
class BounceInfo:
    hard: bool
    status: str | None = None  # enhanced status code, e.g. "5.1.1"
    diagnostic: str | None = None
    recipients: list[str] = field(default_factory=list)
    detector: str = "dsn"


@dataclass
class ReturnedOriginal:
    """What a report quotes of our original message: where its token can still be found."""

    message_ids: list[str] = field(default_factory=list)
    addresses: str = ""


def report_type(msg: Message) -> str | None:
    if msg.get_content_type() != "multipart/report":
        return None
    value = msg.get_param("report-type")
    return str(value).lower() if isinstance(value, str) else None


def parse_dsn(msg: Message) -> BounceInfo | None:
    """Status/Diagnostic-Code of a `multipart/report; report-type=delivery-status` message."""
    if report_type(msg) != "delivery-status":
        return None
    blocks = _status_blocks(msg)
    failed = [b for b in blocks if b.get("action", "").lower() in ("failed", "delayed")]
    chosen = failed or [b for b in blocks if b.get("status")]
    if not chosen:
        return None
    first = chosen[0]
    status = _enhanced(first.get("status", "")) or _enhanced(first.get("diagnostic-code", ""))
    recipients = [addr for b in chosen for addr in _recipient_of(b)]
    delayed = first.get("action", "").lower() == "delayed"
    hard = bool(status and status.startswith("5")) and not delayed
    return BounceInfo(hard=hard, status=status, diagnostic=first.get("diagnostic-code") or None,
                      recipients=recipients, detector="dsn")


def _status_blocks(msg: Message) -> list[dict[str, str]]:
    """Per-recipient field blocks of the message/delivery-status part, lower-cased names."""
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            blocks = [{k.lower(): " ".join(str(v).split()) for k, v in sub.items()}
                      for sub in payload if isinstance(sub, Message)]
        else:
            blocks = _blocks_from_text(decode_part(part))
        return [b for b in blocks if "action" in b or "final-recipient" in b]
    return []


def _blocks_from_text(text: str) -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = []
    for chunk in re.split(r"\r?\n\s*\r?\n", text):
        fields: dict[str, str] = {}
        for line in re.sub(r"\r?\n[ \t]+", " ", chunk).splitlines():
            name, sep, value = line.partition(":")
            if sep:
                fields[name.strip().lower()] = value.strip()
        if fields:
            blocks.append(fields)
    return blocks


def _recipient_of(block: dict[str, str]) -> list[str]:
    value = block.get("original-recipient") or block.get("final-recipient") or ""
    address = value.split(";", 1)[-1].strip()
    return [address.lower()] if "@" in address else []


def _enhanced(text: str) -> str | None:
    match = _ENHANCED.search(text or "")
    return match.group(0) if match else None


def scan_other_formats(msg: Message, text: str) -> BounceInfo | None:
    """flufl.bounce's detectors; hard/soft from the detector, the code from the text if any."""
    try:
        temporary, permanent = all_failures(bounded(msg))
    except Exception:  # a detector choking on a mangled message is not a bounce
        logging.getLogger(__name__).debug("flufl.bounce failed", exc_info=True)
        return None
    if not temporary and not permanent:
        return None
    recipients = sorted(_decode(a) for a in (permanent or temporary))
    status = _enhanced(text) or _basic_as_enhanced(text)
    hard = bool(permanent) and not (status and status.startswith("4"))
    if status is None:
        status = "5.0.0" if hard else "4.0.0"
    return BounceInfo(hard=hard, status=status, diagnostic=_diagnostic_line(text, recipients),
                      recipients=recipients, detector="flufl.bounce")


def bounded(msg: Message, limit: int = SCAN_CHARS) -> Message:
    """`msg` itself, or a copy whose leaf parts are cut to `limit` characters."""
    if all(len(str(p.get_payload())) <= limit for p in msg.walk() if not p.is_multipart()):
        return msg
    cut = copy.deepcopy(msg)
    for part in cut.walk():
        payload = part.get_payload()
        if isinstance(payload, str) and len(payload) > limit:
            part.set_payload(payload[:limit])
    return cut


def _decode(address: bytes | str) -> str:
    return (address.decode("utf-8", "replace") if isinstance(address, bytes) else address).lower()


def _basic_as_enhanced(text: str) -> str | None:
    match = _BASIC.search(text or "")
    return f"{match.group(1)}.0.0" if match else None


def _diagnostic_line(text: str, recipients: list[str]) -> str | None:
    """The line of the report that names the failure (an SMTP reply or the recipient line)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if _ENHANCED.search(line) or _BASIC.search(line):
            return line[:500]
    for line in lines:
        if any(r in line.lower() for r in recipients):
            return line[:500]
    return None


def from_mail_system(msg: Message, sender: str | None) -> bool:
    """Written by a mail server: MAILER-DAEMON/postmaster, a null return path, or X-Failed-..."""
    return (bool(sender and _BOUNCE_SENDER.match(sender))
            or decoded_header(msg, "Return-Path").strip() == "<>"
            or bool(msg.get("X-Failed-Recipients")))


def looks_like_bounce(msg: Message, sender: str | None, subject: str) -> bool:
    """A mail-system message about a failed delivery whose format nothing recognised."""
    return from_mail_system(msg, sender) and bool(_BOUNCE_SUBJECT.search(subject))


def is_complaint(msg: Message) -> bool:
    return report_type(msg) == "feedback-report"


def returned_original(msg: Message) -> ReturnedOriginal:
    """Message-IDs and addresses of the original our report quotes (rfc822 part or headers)."""
    found = ReturnedOriginal()
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype not in _RETURNED_TYPES:
            continue
        original = _as_message(part)
        if original is None:
            continue
        found.message_ids += message_ids(decoded_header(original, "Message-ID"))
        found.addresses += "\n".join(decoded_header(original, h) for h in _ORIGINAL_HEADERS)
    return found


def _as_message(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    text = decode_part(part)
    return email.message_from_string(text) if text else None


def complaint_recipients(msg: Message) -> list[str]:
    """Original-Rcpt-To of an ARF report (often redacted; matching prefers the returned ids)."""
    for part in msg.walk():
        if part.get_content_type() == "message/feedback-report":
            payload = part.get_payload()
            fields = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(fields, Message):
                return addresses(decoded_header(fields, "Original-Rcpt-To"))
            return addresses(" ".join(re.findall(r"Original-Rcpt-To:\s*(\S+)",
                                                 decode_part(part), re.I)))
    return []
