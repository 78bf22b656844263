"""The per-variant MIME skeleton: `compose`'s bytes parse back to the same headers and parts as
the message built the slow way (one `EmailMessage` per recipient, `mime_reference`)."""

from __future__ import annotations

import binascii
import re
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest

from outreach.alerts.templating import display_name
from outreach.db.models import AlertVariant
from outreach.mail import mime_template
from outreach.mail.compose import compose, header_text
from tests.support.alerts import (
    SIMPLE,
    alert,
    contact,
    parse,
    settings,
    variant_from_file,
    variant_from_text,
)
from tests.support.mime_reference import reference_message

CFG = settings(from_address="Example Rights Foundation <press@example.org>",
               mailbox="inbox@example.org", base_url="https://alerts.example.org")
LONG_SUBJECT = ('---\nsubject: "Urgent: {{ contact.first_name }}, ' + "please read " * 12 + '"\n'
                "---\n# T\n\nDear {{ contact.first_name }}.\n")

CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "ascii": ("alert.md", {"first_name": "Anna", "last_name": "Smith"}, {}),
    "hungarian": ("alert.hu.md", {"first_name": "Zsófia", "last_name": "Kővári-Szűcs"}, {}),
    "cyrillic": ("alert.ru.md", {"first_name": "Иван", "last_name": "Петров"}, {}),
    "script-name": ("simple", {"first_name": "<script>alert(1)</script>", "last_name": None}, {}),
    "crlf-injection": ("simple", {"first_name": "Anna\r\nBcc: victim@example.com",
                                  "last_name": None}, {}),
    "quoted-name": ("simple", {"name": 'Kovács, "Anna" <editor>'}, {}),
    "specials-name": ("simple", {"name": 'J. R. "Bob" Smith (Desk)\\'}, {}),
    "long-name": ("simple", {"name": "Anna Maria " * 12 + "Kovács"}, {}),
    "long-cyrillic-name": ("simple", {"name": "Александра Константиновна Преображенская"}, {}),
    "cyrillic-name-in-english": ("alert.md", {"first_name": "Иван", "last_name": "Петров"}, {}),
    "no-name": ("simple", {"first_name": None, "last_name": None}, {}),
    "idn-domain": ("simple", {"email": "anna@bücher.example.org"}, {}),
    "smtputf8": ("simple", {"email": "анна@example.net"}, {}),
    "smtputf8-long-name": ("simple", {"email": "анна@example.net",
                                      "name": "Александра Константиновна Преображенская"}, {}),
    "follow-up": ("alert.md", {}, {"in_reply_to": "<1-abc@example.org>"}),
    "test-send": ("alert.ru.md", {"first_name": "Иван"}, {"test": True}),
    "long-subject": ("long", {"first_name": "Anna"}, {}),
}


def _variant(name: str) -> AlertVariant:
    if name == "simple":
        return variant_from_text(SIMPLE, cfg=CFG)
    if name == "long":
        return variant_from_text(LONG_SUBJECT, cfg=CFG)
    return variant_from_file(name, cfg=CFG)


def _headers(msg: EmailMessage, skip: set[str]) -> list[tuple[str, str]]:
    """Decoded headers; the boundary differs by design (fixed per variant vs random)."""
    return [(k.lower(), re.sub(r'boundary="[^"]+"', "boundary", str(v)))
            for k, v in msg.items() if k.lower() not in skip]


def _parts(msg: EmailMessage) -> list[tuple[str, str | None, str, str]]:
    return [(p.get_content_type(), p.get_content_charset(), p["Content-Transfer-Encoding"],
             p.get_content().replace("\r\n", "\n")) for p in msg.iter_parts()]


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_path_parses_back_like_the_reference(case: str) -> None:
    name, fields, options = CASES[case]
    variant, person = _variant(name), contact(**fields)
    mail = compose(variant, alert(), person, 42, CFG, **options)
    fast = parse(mail.data)
    slow = parse(reference_message(variant, alert(), person, 42, CFG, **options).as_bytes())
    skip = {"date", "to"} | ({"message-id"} if options.get("test") else set())
    assert [k for k, _ in _headers(fast, set())] == [k for k, _ in _headers(slow, set())]
    assert _headers(fast, skip) == _headers(slow, skip)
    # To: the reference's folder splits long names (a space inside a word; see
    # outreach.mail.phrase): the fast path must give the name back exactly.
    to = fast["To"].addresses
    assert [(a.display_name, _raw(a.addr_spec)) for a in to] == [
        (header_text(display_name(person)), mail.recipient)]
    assert fast["Date"].datetime.tzinfo is not None
    assert fast["Message-ID"] == mail.message_id_header
    assert fast.get_content_type() == "multipart/alternative"
    assert not fast.defects and all(not p.defects for p in fast.iter_parts())
    assert _parts(fast) == _parts(slow)
    _check_wire_format(mail.data, smtputf8=not mail.recipient.isascii())


def _raw(text: str) -> str:
    """An SMTPUTF8 header's text as parsed from bytes (surrogate-escaped) back to text."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8")


def _check_wire_format(data: bytes, *, smtputf8: bool) -> None:
    assert b"\n" not in data.replace(b"\r\n", b"") and b"\r" not in data.replace(b"\r\n", b"")
    lines = data.split(b"\r\n")
    assert max(map(len, lines)) <= 998
    head, body = data.split(b"\r\n\r\n", 1)
    assert body.isascii()
    assert head.isascii() or smtputf8
    assert not re.search(rb"^(bcc|<html>|<script)", head, re.MULTILINE | re.IGNORECASE)
    assert all(len(line) <= 76 for line in body.split(b"\r\n") if not line.startswith(b"--"))


def test_encoded_word_lookalike_name_stays_literal() -> None:
    """The slow way writes it raw, so parsers decode it to "Evil"; the fast path encodes it."""
    person = contact(name="=?utf-8?q?Evil?=")
    msg = parse(compose(_variant("simple"), alert(), person, 3, CFG).data)
    assert msg["To"].addresses[0].display_name == "=?utf-8?q?Evil?="


def test_crlf_injection_keeps_one_to_and_no_bcc() -> None:
    person = contact(first_name="Anna\r\nBcc: victim@example.com", last_name=None)
    msg = parse(compose(_variant("simple"), alert(), person, 3, CFG).data)
    assert msg["Bcc"] is None and len(msg.get_all("To")) == 1
    assert msg["To"].addresses[0].display_name == "Anna Bcc: victim@example.com"


@pytest.mark.parametrize("subject", [
    "Sürgős: ne adják ki Daniyar Esenovot Kazahsztánnak – " * 4,
    "Срочно 🚨 " * 20, "a" * 1500, "x" + "é" * 300, "[TEST] Hello Zsófia",
])
def test_subjects_round_trip_within_line_limits(subject: str) -> None:
    line = mime_template.unstructured_line("Subject", subject)
    assert line.isascii() and line.endswith(b"\r\n")
    assert all(len(part) <= 78 for part in line.split(b"\r\n"))
    assert parse(line + b"\r\nbody\r\n")["Subject"] == subject


def test_encoders_refuse_line_breaks() -> None:
    with pytest.raises(ValueError, match="line break"):
        mime_template.unstructured_line("Subject", "a\r\nBcc: b@example.com")
    with pytest.raises(ValueError, match="line break"):
        mime_template.address_line("To", "x\nBcc: y", "a@example.org")
    with pytest.raises(ValueError, match="line break"):
        mime_template.header_line("In-Reply-To", "<a@b>\r\nBcc: c@example.com")


@pytest.mark.parametrize("text", ["", "a", "x = y  \n\tz\n", "line\r\nwith\rmixed\nends",
                                  "é" * 500, "." + "\n.\n" * 3, "a" * 5000 + "\n"])
@pytest.mark.parametrize("cte", ["quoted-printable", "base64"])
def test_body_encoding_round_trips_like_set_content(text: str, cte: str) -> None:
    reference = EmailMessage(policy=policy.SMTP)
    reference.set_content(text, charset="utf-8", cte=cte)
    encoded = mime_template.encode_body(text, cte)
    assert all(len(line) <= 76 for line in encoded.split(b"\r\n"))
    assert encoded.endswith(b"\r\n") and b"\n" not in encoded.replace(b"\r\n", b"")
    decoded = (binascii.a2b_base64(encoded) if cte == "base64"
               else binascii.a2b_qp(encoded.replace(b"\r\n", b"\n")))
    assert decoded.replace(b"\r\n", b"\n") == \
        reference.get_payload(decode=True).replace(b"\r\n", b"\n")


def test_skeleton_is_built_once_per_variant() -> None:
    variant = _variant("simple")
    mime_template.skeleton.cache_clear()
    for n in range(5):
        compose(variant, alert(), contact(first_name=f"Anna{n}"), n + 1, CFG)
    assert mime_template.skeleton.cache_info().misses == 1
