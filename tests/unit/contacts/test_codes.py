"""Country and language codes from what people type."""

from __future__ import annotations

import pytest

from outreach.contacts.codes import country_code, language_code


@pytest.mark.parametrize(("value", "code"), [
    ("HU", "HU"), ("hu", "HU"), ("HUN", "HU"), ("Hungary", "HU"), (" magyarország ", "HU"),
    ("UK", "GB"), ("United Kingdom", "GB"), ("Deutschland", "DE"), ("Қазақстан", "KZ"),
    ("Россия", "RU"), ("Russian Federation", "RU"), ("Polska", "PL"),
    ("XX", None), ("Narnia", None), ("", None),
])
def test_country_code(value: str, code: str | None) -> None:
    assert country_code(value) == code


@pytest.mark.parametrize(("value", "code"), [
    ("hu", "hu"), ("HU", "hu"), ("hun", "hu"), ("Hungarian", "hu"), ("Magyar", "hu"),
    ("hu-HU", "hu"), ("pt_BR", "pt"), ("Русский", "ru"), ("Українська", "uk"), ("kk", "kk"),
    ("German", "de"), ("xx", None), ("Klingon", None), ("", None),
])
def test_language_code(value: str, code: str | None) -> None:
    assert language_code(value) == code
