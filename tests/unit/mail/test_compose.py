"""The MIME message: headers, tokens, encodings, line ends, and header injection attempts."""

from __future__ import annotations

import re

import pytest

from outreach.db.models import Alert, AlertVariant
from outreach.mail.compose import compose, pick_variant, render
from outreach.mail.tokens import find_tagged, message_token, read_link
from tests.support.alerts import (
    SIMPLE,
    alert,
    contact,
    parse,
    settings,
    variant_from_file,
    variant_from_text,
)

CFG = settings(from_address="Example Rights Foundation <press@example.org>",
               mailbox="inbox@example.org")


def test_headers_and_tokens() -> None:
    variant = variant_from_file("alert.md")
    mail = compose(variant, alert(), contact(), 42, CFG)
    token = message_token(CFG.secret_key, 42)
    assert mail.message_id_header == f"<{token}@example.org>"
    assert mail.envelope_from == f"inbox+b-{token}@example.org"
    assert mail.recipient == "anna.kovacs@example.net"
    msg = parse(mail.data)
    assert msg["Message-ID"] == mail.message_id_header
    assert msg["Date"] and msg["Date"].datetime.tzinfo is not None
    assert msg["From"] == "Example Rights Foundation <press@example.org>"
    assert msg["To"] == "Anna Kovács <anna.kovacs@example.net>"
    assert msg["Reply-To"] == f"Press Office <inbox+r-{token}@example.org>"
    assert find_tagged(CFG.secret_key, msg["Reply-To"]) == ("reply", 42)
    assert msg["Subject"] == "Urgent: stop the extradition of Daniyar Esenov from Hungary"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["List-Id"] == '"Example Rights Foundation" <alerts.example.org>'
    assert msg["Content-Language"] == "en"
    assert "X-Outreach-Test" not in msg and "In-Reply-To" not in msg


def test_list_unsubscribe_has_signed_https_url_and_mailto() -> None:
    cfg = settings(base_url="https://alerts.example.org", mailbox="inbox@example.org")
    mail = compose(variant_from_text(SIMPLE, cfg=cfg), alert(), contact(), 42, cfg)
    raw = mail.data.split(b"\r\n\r\n", 1)[0].decode()
    assert "=?" not in raw.split("List-Unsubscribe:")[1].split("\r\nList-Unsubscribe-Post")[0]
    value = parse(mail.data)["List-Unsubscribe"]
    url, mailto = re.fullmatch(r"<(https://[^>]+)>,\s*<(mailto:[^>]+)>", value).groups()
    signed = url.rsplit("/u/", 1)[1]
    assert read_link(cfg.secret_key, "unsubscribe", signed) == message_token(cfg.secret_key, 42)
    assert find_tagged(cfg.secret_key, mailto) == ("unsubscribe", 42)
    assert mailto.endswith("?subject=unsubscribe")


def test_multipart_alternative_parses_back_to_the_same_parts() -> None:
    variant = variant_from_file("alert.ru.md")
    person = contact(first_name="Иван", last_name="Петров", language="ru")
    mail = compose(variant, alert(), person, 9, CFG)
    msg = parse(mail.data)
    assert msg.get_content_type() == "multipart/alternative"
    text_part, html_part = msg.get_payload()
    assert text_part.get_content_type() == "text/plain"
    assert html_part.get_content_type() == "text/html"
    assert text_part.get_content_charset() == html_part.get_content_charset() == "utf-8"
    expected = render(variant, alert(), person, 9, CFG)
    # base64 text parts travel with canonical CRLF line ends; the content is the same
    assert text_part.get_content().replace("\r\n", "\n") == expected.text
    assert html_part.get_content().replace("\r\n", "\n") == expected.html
    assert "Уважаемый(ая) Иван" in text_part.get_content()


def test_crlf_line_ends_and_line_length() -> None:
    long_line = "# T\n\n" + "x" * 3000 + " [l](https://example.org/" + "y" * 1200 + ")\n"
    mail = compose(variant_from_text(long_line), alert(), contact(), 1, CFG)
    assert b"\n" not in mail.data.replace(b"\r\n", b"")
    assert b"\r" not in mail.data.replace(b"\r\n", b"")
    assert max(len(line) for line in mail.data.split(b"\r\n")) <= 998
    assert mail.data.isascii()  # 7-bit clean: quoted-printable / base64 / RFC 2047


@pytest.mark.parametrize("evil", [
    "Anna\r\nBcc: victim@example.com",
    "Anna\nBcc: victim@example.com",
    "Anna\rBcc: victim@example.com",
    "Anna\u2028Bcc: victim@example.com",
    "Anna\x00\r\n\r\n<html>injected",
])
def test_crlf_in_contact_names_cannot_add_a_header(evil: str) -> None:
    variant = variant_from_text(SIMPLE)
    mail = compose(variant, alert(), contact(first_name=evil, last_name=None), 3, CFG)
    msg = parse(mail.data)
    assert msg["Bcc"] is None
    head = mail.data.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"^(Bcc|<html>)", head, re.MULTILINE | re.IGNORECASE)
    assert len(msg.get_all("To")) == 1
    assert msg["To"].addresses[0].addr_spec == "anna.kovacs@example.net"
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    assert msg.get_content_type() == "multipart/alternative"


def test_crlf_in_stored_variant_fields_cannot_add_a_header() -> None:
    variant = variant_from_text(SIMPLE)
    variant.subject_template = "Hi\r\nBcc: victim@example.com"
    variant.reply_to = "Press\r\nBcc: victim@example.com <press@example.org>"
    variant.language = "en\r\nX-Evil: 1"
    msg = parse(compose(variant, alert(), contact(), 3, CFG).data)
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert msg["Subject"] == "Hi Bcc: victim@example.com"


def test_address_with_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="not a usable address"):
        compose(variant_from_text(SIMPLE), alert(), contact(email="a@example.org\r\nBcc: b@x"),
                3, CFG)


def test_erased_contact_is_refused() -> None:
    with pytest.raises(ValueError, match="erased"):
        compose(variant_from_text(SIMPLE), alert(), contact(email=None), 3, CFG)


@pytest.mark.parametrize(("name", "first", "last"), [
    ("alert.ru.md", "Иван", "Петров"),
    ("alert.hu.md", "Zsófia", "Kővári-Szűcs"),
])
def test_rfc2047_subject_and_display_names_round_trip(name: str, first: str, last: str) -> None:
    variant = variant_from_file(name)
    mail = compose(variant, alert(), contact(first_name=first, last_name=last), 5, CFG)
    head = mail.data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert b"=?utf-8?" in head
    msg = parse(mail.data)
    assert msg["Subject"] == variant.subject_template
    assert msg["To"].addresses[0].display_name == f"{first} {last}"
    expected_reply = {"alert.ru.md": "Пресс-служба", "alert.hu.md": "Sajtóiroda"}[name]
    assert msg["Reply-To"].addresses[0].display_name == expected_reply


def test_quoted_display_name_characters() -> None:
    person = contact(name='Kovács, "Anna" <editor>', first_name="Anna")
    msg = parse(compose(variant_from_text(SIMPLE), alert(), person, 5, CFG).data)
    assert msg["To"].addresses[0].display_name == 'Kovács, "Anna" <editor>'
    assert msg["To"].addresses[0].addr_spec == "anna.kovacs@example.net"


def test_test_copies_are_marked() -> None:
    mail = compose(variant_from_text(SIMPLE), alert(), contact(), 0, CFG, test=True)
    msg = parse(mail.data)
    assert msg["X-Outreach-Test"] == "yes"
    assert msg["Subject"] == "[TEST] Hello Anna"
    assert re.fullmatch(r"<test-[0-9a-f]{32}@example\.org>", mail.message_id_header)
    again = compose(variant_from_text(SIMPLE), alert(), contact(), 0, CFG, test=True)
    assert again.message_id_header != mail.message_id_header


def test_in_reply_to_threads_a_follow_up() -> None:
    mail = compose(variant_from_text(SIMPLE), alert(), contact(), 8, CFG,
                   in_reply_to="<1-abc@example.org>\r\nBcc: x@example.com")
    msg = parse(mail.data)
    assert msg["In-Reply-To"] == msg["References"]
    assert msg["In-Reply-To"].startswith("<1-abc@example.org")
    assert msg["Bcc"] is None


def test_pick_variant_by_language_then_default() -> None:
    a = Alert(id=1, title="t", default_language="hu")
    a.variants = [AlertVariant(language="en"), AlertVariant(language="hu"),
                  AlertVariant(language="ru")]
    assert pick_variant(a, contact(language="ru")).language == "ru"
    assert pick_variant(a, contact(language="RU")).language == "ru"
    assert pick_variant(a, contact(language="de")).language == "hu"
    assert pick_variant(a, contact(language=None)).language == "hu"


def test_idn_domain_is_sent_as_punycode() -> None:
    mail = compose(variant_from_text(SIMPLE), alert(), contact(email="anna@bücher.example.org"), 4,
                   CFG)
    assert mail.recipient == "anna@xn--bcher-kva.example.org"
    assert parse(mail.data)["To"].addresses[0].domain == "xn--bcher-kva.example.org"
    assert mail.data.isascii()


def test_non_ascii_local_part_uses_smtputf8() -> None:
    mail = compose(variant_from_text(SIMPLE), alert(), contact(email="анна@example.net"), 4, CFG)
    assert mail.recipient == "анна@example.net"
    head = mail.data.split(b"\r\n\r\n", 1)[0]
    assert "<анна@example.net>".encode() in head  # raw UTF-8: needs a server with SMTPUTF8


def test_list_id_survives_quotes_and_backslashes_in_the_org_name() -> None:
    cfg = settings(org_name='Rights \\ "Watch" Foundation', mailbox="inbox@example.org")
    msg = parse(compose(variant_from_text(SIMPLE), alert(), contact(), 7, cfg).data)
    list_id = str(msg["List-Id"])
    assert list_id.endswith("<alerts.example.org>")
    assert "Rights" in list_id and "Watch" in list_id and "Foundation" in list_id
