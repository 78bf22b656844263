"""The unsubscribe pages' words and small helpers of the web layer."""

from __future__ import annotations

import pytest

from outreach.cli.web import bind_address, redact_path
from outreach.web.unsubscribe.text import EN, STRINGS, masked, strings_for


@pytest.mark.parametrize("lang", sorted(STRINGS))
def test_every_language_has_every_string_and_its_placeholders(lang):
    text = STRINGS[lang]
    assert text.keys() == EN.keys()
    for key, value in text.items():
        for name in ("{org}", "{address}"):
            assert (name in value) == (name in EN[key]), (lang, key, name)
        value.format(org="Org", address="a•••@example.org")


def test_unknown_languages_fall_back_to_english():
    assert strings_for("hu")[0] == "hu"
    assert strings_for("RU")[0] == "ru"
    assert strings_for("de") == ("en", EN)
    assert strings_for(None) == ("en", EN)


def test_masked_address_keeps_first_letter_and_domain():
    assert masked("anna@example.org") == "a•••@example.org"
    assert masked("x@example.net") == "x•••@example.net"


def test_bind_address_brackets_ipv6():
    assert bind_address("127.0.0.1", 8000) == "127.0.0.1:8000"
    assert bind_address("::1", 8000) == "[::1]:8000"


def test_access_log_paths_hide_link_tokens():
    assert redact_path("/u/IjEta2Fi.sig") == "/u/…"
    assert redact_path("/u/IjEta2Fi.sig/undo") == "/u/…/undo"
    assert redact_path("/c/abc") == "/c/…" and redact_path("/o/abc.gif") == "/o/…"
    assert redact_path("/dashboard/alerts/1") == "/dashboard/alerts/1"
