"""The pure parts of unsubscribing: which signed links are accepted, which language a page uses."""

from __future__ import annotations

import pytest

from outreach.db.models import Alert, AlertVariant, Contact, Message
from outreach.inbound.unsubscribe import LinkTarget, message_id_from_link
from outreach.mail.links import unsubscribe_url
from outreach.mail.tokens import message_token, sign_link
from tests.fixtures.db import TEST_SECRET, make_test_settings

SETTINGS = make_test_settings()


def _signed(message_id: int) -> str:
    return unsubscribe_url(SETTINGS, message_id).rsplit("/u/", 1)[1]


def test_a_link_built_for_mail_names_its_message():
    assert message_id_from_link(TEST_SECRET, _signed(4217)) == 4217


def test_the_signed_token_carries_no_address_and_no_secret():
    url = unsubscribe_url(SETTINGS, 7)
    assert url.startswith("http://127.0.0.1:8000/u/")
    assert "@" not in url and TEST_SECRET not in url


@pytest.mark.parametrize("mangle", [
    pytest.param(lambda s: s[:-1], id="truncated"),
    pytest.param(lambda s: s[: len(s) // 2], id="half"),
    pytest.param(lambda s: s[:-2] + ("A" if s[-2] != "A" else "B") + s[-1], id="altered-sig"),
    pytest.param(lambda s: ("x" if s[0] != "x" else "y") + s[1:], id="altered-payload"),
    pytest.param(lambda s: s + "x", id="extended"),
    pytest.param(lambda s: "", id="empty"),
    pytest.param(lambda s: s * 40, id="huge"),
])
def test_altered_or_truncated_links_are_refused(mangle):
    assert message_id_from_link(TEST_SECRET, mangle(_signed(4217))) is None


def test_links_signed_with_another_key_or_for_another_purpose_are_refused():
    other = "another-secret-key-0123456789abcd"
    assert message_id_from_link(other, _signed(12)) is None
    token = message_token(TEST_SECRET, 12)
    assert message_id_from_link(TEST_SECRET, sign_link(TEST_SECRET, "click", token)) is None
    assert message_id_from_link(TEST_SECRET, sign_link(TEST_SECRET, "open", token)) is None


def test_a_correctly_signed_but_malformed_payload_is_refused():
    """Defence in depth: the signature is fine but the message token inside is not."""
    for payload in (12, [12, 0], "12-aaaaaaaaaaaa", message_token("another-key", 12)):
        assert message_id_from_link(TEST_SECRET, sign_link(TEST_SECRET, "unsubscribe",
                                                           payload)) is None


def _target(contact_language: str | None, variants: tuple[str, ...]) -> LinkTarget:
    alert = Alert(title="t", default_language="en",
                  variants=[AlertVariant(language=lang) for lang in variants])
    contact = Contact(email="anna@example.org", language=contact_language)
    return LinkTarget(message=Message(id=1), contact=contact, alert=alert)


@pytest.mark.parametrize(("contact", "variants", "expected"), [
    ("ru", ("en", "ru", "hu"), "ru"),
    ("hu", ("en", "ru", "hu"), "hu"),
    ("HU", ("en", "hu"), "hu"),
    ("ru", ("en", "hu"), "en"),
    ("de", ("en", "ru"), "en"),
    (None, ("en", "ru"), "en"),
])
def test_the_page_language_is_the_contacts_where_the_alert_has_it(contact, variants, expected):
    assert _target(contact, variants).language == expected
