"""Point 3: a contact's name can never add, change or drop a recipient of its message.

Every `To:` header is parsed back by `email.headerregistry` (the modern parser) and must hold
exactly one address, the contact's, with the contact's name (normalised to one line) as its
display name. Hypothesis explores names, outlet names and subjects through the real composer;
a bounded fuzz run checks 100,000 random and adversarial names on the header encoder itself.
"""

from __future__ import annotations

import time
import unicodedata
from email import message_from_bytes, policy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outreach.mail import mime_template
from outreach.mail.compose import compose, header_text
from outreach.mail.phrase import DISPLAY_MAX, DISPLAY_MAX_BYTES
from tests.hostile.names import ADVERSARIAL, ATTACKER, RECIPIENT, random_names
from tests.support.alerts import alert, contact, variant_from_text
from tests.support.alerts import settings as make_settings

CFG = make_settings(from_address="Example Rights Foundation <press@example.org>",
                    mailbox="inbox@example.org", base_url="https://alerts.example.org")
TEMPLATE = """---
subject: "{{ contact.outlet }}: {{ contact.name }}"
---
# Headline

Dear {{ contact.name }} at {{ contact.outlet }}.
"""
_VARIANT = variant_from_text(TEMPLATE, cfg=CFG)


def expected_display(name: str) -> str:
    """What the reader should see: controls and whitespace runs as one space, at most
    DISPLAY_MAX characters and DISPLAY_MAX_BYTES octets (written out here, not borrowed from
    the code under test)."""
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cs") else c
                   for c in name)
    text = " ".join(text.split())[:DISPLAY_MAX]
    while len(text.encode()) > DISPLAY_MAX_BYTES:
        text = text[:-1]
    return text.rstrip()


def parsed_to(header_block: bytes) -> list[tuple[str, str]]:
    msg = message_from_bytes(header_block, policy=policy.default)
    return [(a.display_name, a.addr_spec) for a in msg["To"].addresses]


def check_to_line(name: str, line: bytes) -> None:
    assert line.isascii() and line.endswith(b"\r\n"), line
    assert all(len(part) <= 998 for part in line.split(b"\r\n")), line
    assert parsed_to(line + b"\r\n") == [(expected_display(name), RECIPIENT)], (name, line)


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_adversarial_names_through_the_composer_give_one_recipient(name: str) -> None:
    c = contact(name=name, email=RECIPIENT, first_name=None, last_name=None)
    mail = compose(_VARIANT, alert(), c, 7, CFG)
    msg = message_from_bytes(mail.data, policy=policy.default)
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [
        (expected_display(name), RECIPIENT)]
    assert mail.recipient == RECIPIENT
    assert ATTACKER not in str(msg["Reply-To"]) and msg["Bcc"] is None and msg["Cc"] is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(max_size=300), outlet=st.text(max_size=120),
       subject_name=st.text(max_size=120))
def test_property_any_name_outlet_or_subject_gives_exactly_one_recipient(
        name: str, outlet: str, subject_name: str) -> None:
    c = contact(name=name or None, email=RECIPIENT, outlet=outlet or None,
                first_name=subject_name or None, last_name=None)
    mail = compose(_VARIANT, alert(), c, 7, CFG)
    msg = message_from_bytes(mail.data, policy=policy.default)
    addresses = [(a.display_name, a.addr_spec) for a in msg["To"].addresses]
    shown = name or subject_name
    assert addresses == [(expected_display(shown), RECIPIENT)]
    assert len(msg.get_all("To")) == 1 and msg["Cc"] is None and msg["Bcc"] is None


def test_fuzz_100000_random_and_adversarial_names() -> None:
    """Bounded: pure logic (encode, then parse with the modern parser), no servers."""
    names = ADVERSARIAL + random_names(100_000 - len(ADVERSARIAL))
    started = time.process_time()
    for name in names:
        check_to_line(name, mime_template.address_line("To", header_text(name), RECIPIENT))
    print(f"\n100,000 names encoded and parsed back in {time.process_time() - started:.1f} s CPU")
