"""The MIME layout of one variant, built once with the `email` package, and the fast per-recipient
encoders that fill it in (DESIGN.md: nothing per recipient that can be done per alert).

`skeleton(...)` builds an `EmailMessage` (policy SMTP) holding every header that is the same for
all recipients of a variant (From, List-Unsubscribe-Post, List-Id, MIME-Version, Content-Type
with a fixed boundary, Content-Language, the two parts' headers) and serialises it once. Per
recipient the composer only encodes the few varying header values and the two bodies and joins
the bytes. Encoders, each matching what the `email` package would write for the same value:

* bodies: line ends normalised like `EmailMessage.set_content`, then quoted-printable
  (`binascii.b2a_qp`, 76-column lines) or base64 (76-column lines), CRLF; always 7-bit;
* display names: `outreach.mail.phrase` (never the `email` package's folder, which lets a
  crafted name add or drop a recipient);
* unstructured values (Subject): ASCII folded at its spaces, otherwise base64 encoded-words
  (`email.header.Header` does the same but tries every split point: 0.25 ms a subject);
* anything unusual (a quoted local part, an over-long word) goes through the policy's own
  header factory and folder, so every line stays within 998 octets.

Values reaching here are single-line already (`composer.header_text`); CR/LF are refused again
as a last line of defence.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import quote
from functools import lru_cache
from typing import Any

from outreach.mail.phrase import display_text, phrase_tokens

CRLF = "\r\n"
FOLD_AT = 78  # RFC 5322 recommended line length; 998 is the hard limit
_ATEXT = r"[^\x00-\x20\x7f()<>\[\]:;@\\,.\"]+"  # RFC 6532: non-ASCII is atext too
_DOT_ATOM_RE = re.compile(rf"{_ATEXT}(\.{_ATEXT})*")
_PLACEHOLDER_TEXT = "outreach text part\n"
_PLACEHOLDER_HTML = "outreach html part\n"


@dataclass(frozen=True)
class Skeleton:
    """A variant's serialised constant bytes, in the order the message is joined."""

    from_line: bytes
    list_lines: bytes  # List-Unsubscribe-Post, List-Id
    mime_lines: bytes  # MIME-Version, Content-Type (boundary), Content-Language
    before_text: bytes  # blank line, boundary, text part headers, blank line
    between: bytes  # boundary, html part headers, blank line
    after_html: bytes  # closing boundary
    boundary: bytes

    def join(self, top: list[bytes], middle: list[bytes], text: bytes, html: bytes) -> bytes:
        """The whole message: `top` = Message-ID, Date (From goes after them), To, Reply-To,
        Subject, List-Unsubscribe; `middle` = optional per-message headers after List-Id."""
        if self.boundary in text or self.boundary in html:  # cannot happen with QP/base64
            raise ValueError("MIME boundary found in an encoded body")
        return b"".join((*top[:2], self.from_line, *top[2:], self.list_lines, *middle,
                         self.mime_lines, self.before_text, text, self.between, html,
                         self.after_html))


@lru_cache(maxsize=256)
def skeleton(from_name: str, from_addr: str, org_name: str, sender_domain: str, language: str,
             text_cte: str, html_cte: str) -> Skeleton:
    """Build and serialise the constant part of a variant's messages with the `email` package."""
    key = repr((from_name, from_addr, org_name, sender_domain, language, text_cte, html_cte))
    boundary = "==outreach-" + hashlib.sha256(key.encode()).hexdigest()[:32] + "=="
    msg = EmailMessage(policy=SMTP)
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["List-Id"] = f'"{quote(org_name)}" <alerts.{sender_domain}>'
    msg.set_content(_PLACEHOLDER_TEXT, subtype="plain", charset="utf-8", cte=text_cte)
    msg.add_alternative(_PLACEHOLDER_HTML, subtype="html", charset="utf-8", cte=html_cte)
    msg["Content-Language"] = language  # after: set_content clears it
    msg.set_boundary(boundary)
    head, _, body = msg.as_bytes().partition(b"\r\n\r\n")
    lines = _header_blocks(head + b"\r\n")
    # each placeholder body as serialised: its encoded lines, CRLF-terminated (like ours)
    text_part, html_part = (p.get_payload().rstrip("\r\n").encode("ascii") + b"\r\n"
                            for p in msg.iter_parts())
    before_text, _, rest = body.partition(text_part)
    between, _, after_html = rest.partition(html_part)
    if not (rest and after_html):
        raise RuntimeError("placeholder bodies not found in the serialised skeleton")
    return Skeleton(
        from_line=address_line("From", from_name, from_addr),  # never the stdlib folder
        list_lines=lines["list-unsubscribe-post"] + lines["list-id"],
        mime_lines=lines["mime-version"] + lines["content-type"] + lines["content-language"],
        before_text=b"\r\n" + before_text, between=between, after_html=after_html,
        boundary=boundary.encode("ascii"))


def _header_blocks(head: bytes) -> dict[str, bytes]:
    """Serialised header fields by lower-case name, each with its folded lines and CRLF."""
    blocks: dict[str, bytes] = {}
    for field in re.split(rb"\r\n(?![ \t])", head.rstrip(b"\r\n")):
        blocks[field.split(b":", 1)[0].decode("ascii").lower()] = field + b"\r\n"
    return blocks


def encode_body(text: str, cte: str) -> bytes:
    """A text part's body as `set_content` would encode it: 7-bit, CRLF, lines <= 76."""
    lines = text.encode("utf-8").splitlines()
    if cte == "base64":
        encoded = binascii.b2a_base64(b"\r\n".join(lines) + b"\r\n", newline=False)
        return b"".join(encoded[i:i + 76] + b"\r\n" for i in range(0, len(encoded), 76))
    if cte != "quoted-printable":
        raise ValueError(f"unsupported transfer encoding {cte!r}")
    return binascii.b2a_qp(b"\n".join(lines) + b"\n", istext=True).replace(b"\n", b"\r\n")


def header_line(name: str, value: str) -> bytes:
    """`Name: value` for an ASCII token-like value (Message-ID, Date, References ...)."""
    _refuse_breaks(value)
    line = f"{name}: {value}\r\n"
    if not value.isascii() or len(line) > 998:
        return _stdlib_line(name, value)
    return line.encode("ascii")


def unstructured_line(name: str, value: str) -> bytes:
    """An unstructured field (Subject): ASCII folded at its spaces, else RFC 2047."""
    _refuse_breaks(value)
    if value.isascii() and "=?" not in value:
        folded = _fold_words(f"{name}: {value}")
        if folded is not None:
            return folded.encode("ascii")
    return f"{name}: {_encoded_words(value)}\r\n".encode("ascii")


def address_line(name: str, display: str, addr: str, *, utf8: bool = False) -> bytes:
    """`Name: display <addr>`, parsing back to exactly this one address and display name
    (`outreach.mail.phrase`); a non-ASCII addr only with `utf8` (SMTPUTF8 messages)."""
    _refuse_breaks(display + addr)
    if not (utf8 or addr.isascii()):
        raise ValueError("a non-ASCII address needs an SMTPUTF8 message")
    local, _, domain = addr.rpartition("@")
    if not (_DOT_ATOM_RE.fullmatch(local) and _DOT_ATOM_RE.fullmatch(domain)):
        addr = Address(username=local, domain=domain).addr_spec  # quotes the local part
    tokens = phrase_tokens(display_text(display))
    return _fold_tokens(f"{name}:", [*tokens, f"<{addr}>"] if tokens else [addr])


def _fold_tokens(head: str, tokens: list[str]) -> bytes:
    """`head` and the tokens joined by single spaces, folded before a token that would pass
    FOLD_AT columns: unfolding gives the same single spaces back."""
    lines, current = [], head
    for token in tokens:
        if len(current) + 1 + len(token) > FOLD_AT and current != head:
            lines.append(current)
            current = " " + token
        else:
            current = f"{current} {token}"
    lines.append(current)
    return (CRLF.join(lines) + CRLF).encode()


def _encoded_words(value: str) -> str:
    """RFC 2047 base64 encoded-words, cut on character boundaries, one per folded line.

    42 octets -> 56 base64 characters: each word is 68 columns, so even the first line
    ("Subject: " + word) stays within 78. Decoders drop the folding space between the words.
    """
    data = value.encode("utf-8")
    words, start = [], 0
    while start < len(data):
        end = min(start + 42, len(data))
        while end < len(data) and 0x80 <= data[end] < 0xC0:  # inside a UTF-8 sequence
            end -= 1
        chunk = binascii.b2a_base64(data[start:end], newline=False).decode("ascii")
        words.append(f"=?utf-8?b?{chunk}?=")
        start = end
    return (CRLF + " ").join(words)


def _fold_words(line: str) -> str | None:
    """`line` folded at its single spaces within 78 columns (unfolding gives `line` back);
    None if that is not possible (a word longer than the 998 limit, runs of spaces)."""
    if len(line) <= FOLD_AT:
        return line + CRLF
    if "  " in line or line.endswith(" "):
        return None
    words = line.split(" ")
    out: list[str] = []
    current = words[0]
    for word in words[1:]:
        if len(word) > 990:
            return None
        if len(current) + 1 + len(word) > FOLD_AT:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}"
    out.append(current)
    return (CRLF + " ").join(out) + CRLF


def _stdlib_line(name: str, value: Any, policy: Any = SMTP) -> bytes:
    """The `email` package's own parse and fold, for values the fast paths do not cover."""
    return policy.fold_binary(*policy.header_store_parse(name, value))


def _refuse_breaks(value: str) -> None:
    if "\r" in value or "\n" in value:
        raise ValueError("line break in a header value")
