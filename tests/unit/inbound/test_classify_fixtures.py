"""Every fixture under tests/data/inbound: parsed, classified, new text and intent (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from outreach.inbound.classify import classify
from outreach.inbound.parse import parse

DATA = Path(__file__).resolve().parents[2] / "data" / "inbound"

# file -> (kind, bounce status or None, bounced recipient or None)
REPORTS = {
    "dsn-postfix.eml": ("bounce", "5.1.1", "nobody.here@example.net"),
    "dsn-postfix-delayed.eml": ("soft_bounce", "4.4.1", "slow.desk@example.net"),
    "dsn-exim.eml": ("bounce", "5.1.1", "gone.reporter@example.net"),
    "dsn-exim-mailbox-full.eml": ("soft_bounce", "4.2.2", "full.box@example.net"),
    "dsn-qmail.eml": ("bounce", "5.1.1", "old.editor@example.com"),
    "dsn-exchange.eml": ("bounce", "5.1.10", "desk@newsroom.example.com"),
    "dsn-gmail.eml": ("bounce", "5.1.1", "no.such.user@gmail.example.com"),
    "arf-complaint.eml": ("complaint", None, "annoyed.reader@example.com"),
}
# file -> (kind, the new text starts with, a piece of the quoted original that must be gone)
HUMAN = {
    "reply-en-quoted.eml": ("reply", "Thanks for the alert. Could we interview", "detained"),
    "reply-en-unquoted.eml": ("reply", "Received, we are running a short piece", None),
    "reply-de-outlook.eml": ("reply", "Guten Tag,", "Betreff:"),
    "reply-ru-quoted.eml": ("reply", "Здравствуйте! Можно ли получить", "задержана"),
    "reply-ru-pishet.eml": ("reply", "Спасибо, опубликуем завтра утром.", "написал"),
    "reply-hu-quoted.eml": ("reply", "Köszönjük, szeretnénk interjút", "írta"),
    "reply-fr-quoted.eml": ("reply", "Bonjour,", "a écrit"),
    "reply-es-quoted.eml": ("reply", "Hola,", "escribió"),
    "reply-pl-quoted.eml": ("reply", "Dzień dobry,", "napisał"),
    "reply-html-only.eml": ("reply", "We will cover this at 18:00 tonight.", "color"),
    "reply-long-mentions-unsubscribe.eml": ("reply", "Thank you for the detailed alert.", None),
    "auto-en-oof.eml": ("auto_reply", "I am out of the office", None),
    "auto-en-body-only.eml": ("auto_reply", "Hi, I'm currently away", None),
    "auto-de.eml": ("auto_reply", "Vielen Dank", None),
    "auto-fr.eml": ("auto_reply", "Bonjour, je suis absente", None),
    "auto-ru.eml": ("auto_reply", "Здравствуйте! Я в отпуске", None),
    "auto-hu-body-only.eml": ("auto_reply", "Házon kívül vagyok", None),
    "auto-pl.eml": ("auto_reply", "Dzień dobry, jestem poza biurem", None),
    "auto-es.eml": ("auto_reply", "Estoy fuera de la oficina", None),
    "unsub-en.eml": ("unsubscribe", "Please remove me from this list.", "wrote:"),
    "unsub-ru.eml": ("unsubscribe", "Пожалуйста, отпишите меня", None),
    "unsub-hu.eml": ("unsubscribe", "Kérem, töröljenek a listáról", None),
    "unsub-pl.eml": ("unsubscribe", "Proszę o usunięcie", None),
    "unsub-de.eml": ("unsubscribe", "Bitte tragen Sie mich aus", None),
    "unsub-fr.eml": ("unsubscribe", "Merci de me désabonner", None),
    "unsub-es.eml": ("unsubscribe", "Por favor, quiero darme de baja", None),
}


def _load(name: str):
    return parse((DATA / name).read_bytes())


def test_every_fixture_is_covered() -> None:
    covered = set(REPORTS) | set(HUMAN) | {"mangled.eml", "unsub-mailto.eml"}
    assert {p.name for p in DATA.glob("*.eml")} == covered


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_reports(name: str) -> None:
    kind, status, recipient = REPORTS[name]
    verdict = classify(_load(name), role="bounce")
    assert verdict.kind == kind, verdict.reason
    assert recipient in verdict.recipients
    if status:
        assert verdict.bounce is not None and verdict.bounce.status == status
        assert verdict.bounce.hard is (kind == "bounce")


@pytest.mark.parametrize("name", sorted(HUMAN))
def test_replies_auto_replies_and_unsubscribe_requests(name: str) -> None:
    kind, starts, gone = HUMAN[name]
    parsed = _load(name)
    assert parsed.error is None and parsed.sender and parsed.date is not None
    verdict = classify(parsed, role="reply")
    assert verdict.kind == kind, verdict.reason
    assert verdict.text.startswith(starts), verdict.text
    if gone:
        assert gone not in verdict.text


def test_mail_to_the_unsubscribe_address_is_an_unsubscribe_by_mailto() -> None:
    verdict = classify(_load("unsub-mailto.eml"), role="unsubscribe")
    assert (verdict.kind, verdict.unsubscribe_channel) == ("unsubscribe", "mailto")
    assert classify(_load("unsub-en.eml"), role="reply").unsubscribe_channel == "reply"


def test_a_mangled_message_is_unparseable_not_an_error() -> None:
    parsed = _load("mangled.eml")
    assert parsed.error and parsed.external_id.startswith("sha256:")
    assert classify(parsed).kind == "unparseable"


@pytest.mark.parametrize("raw", [b"", b"\x00\xff" * 100, b"From: \r\n\r\n", b"Subject: x\n\n",
                                 b"From: a@example.org\nContent-Type: multipart/report; "
                                 b"report-type=delivery-status; boundary=x\n\n--x\nbroken"])
def test_parse_and_classify_never_raise(raw: bytes) -> None:
    verdict = classify(parse(raw))
    assert verdict.kind in ("unparseable", "reply", "bounce", "soft_bounce", "auto_reply")


def test_reports_carry_the_returned_original_ids() -> None:
    from outreach.inbound.bounces import returned_original

    for name in ("dsn-postfix.eml", "dsn-exchange.eml", "dsn-gmail.eml", "arf-complaint.eml",
                 "dsn-exim-mailbox-full.eml"):
        parsed = _load(name)
        assert parsed.message is not None
        original = returned_original(parsed.message)
        assert any(mid.endswith("-abcdefghijkl@example.org") for mid in original.message_ids), name
