"""New-text extraction and unsubscribe intent on short strings (pure)."""

from __future__ import annotations

import pytest

from outreach.inbound.replytext import asks_to_unsubscribe, new_text


@pytest.mark.parametrize("text", [
    "unsubscribe", "Please remove me from your list", "Stop sending me these emails.",
    "Пожалуйста, удалите меня из рассылки", "Отписаться", "Kérem, iratkoztasson le: leiratkozás",
    "Proszę mnie wypisać z listy", "Bitte abbestellen", "Veuillez me désinscrire",
    "Por favor, denme de baja", "opt out",
])
def test_short_requests_in_seven_languages(text: str) -> None:
    assert asks_to_unsubscribe("Re: Urgent", text)


@pytest.mark.parametrize("text", [
    "Thanks, we will publish tomorrow.", "Can you send the lawyer's number?",
    "Спасибо, опубликуем.", "Köszönjük!", "Danke, wir berichten.",
])
def test_ordinary_replies_are_not_requests(text: str) -> None:
    assert not asks_to_unsubscribe("Re: Urgent", text)


def test_subject_alone_counts_for_an_empty_body() -> None:
    assert asks_to_unsubscribe("Unsubscribe", "")
    assert asks_to_unsubscribe("Re: Abmelden", "")


def test_a_long_answer_mentioning_unsubscribe_is_not_a_request() -> None:
    long = "We read it. " * 30 + "Readers asked how to unsubscribe from other lists."
    assert not asks_to_unsubscribe("Re: Urgent", long)


def test_inline_quote_above_the_answer_is_skipped() -> None:
    body = "> Can you comment?\nYes, call me at noon.\n\n> Old text\n> more"
    assert new_text(body) == "Yes, call me at noon."


def test_a_sentence_ending_in_a_colon_is_kept() -> None:
    body = "She wrote:\nthe hearing is on Monday.\n"
    assert new_text(body) == "She wrote:\nthe hearing is on Monday."


def test_empty_body() -> None:
    assert new_text("") == "" and new_text("   \n") == ""
