"""`normalize`'s cached fast path must say exactly what email_validator's full path says."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email

from outreach.contacts.addresses import InvalidAddress, normalize

ADDRESSES = [
    "anna@example.org", "Anna.Kovacs@Example.ORG", "  spaced@example.org ", "a+tag@example.net",
    "x@bücher.example", "x@xn--bcher-kva.example", "user@EXAMPLE.test", "o'brien@example.org",
    "first..last@example.org", ".dot@example.org", "dot.@example.org", "no-at.example.org",
    "a@", "@example.org", "a@b", "a@-bad-.example", "a@example..org", "a@localhost",
    "a@[192.0.2.1]", '"quoted"@example.org', "Anna <anna@example.org>", "ünï@example.org",
    "a b@example.org", "a@exa mple.org", "x" * 65 + "@example.org",
    "a@" + "b" * 64 + ".example", "a@" + ".".join(["abcdefghij"] * 25) + ".org",
    "a@example.invalid", "a@example.com.", "tab\t@example.org", "a@example.org\n",
    "a@ex_ample.org", "A@EXAMPLE.ORG", "postmaster@example.org", "a@123.example",
    "a@exa\u00a0mple.org", "a@example.org>", "a@b@example.org", "a\\b@example.org",
    "a@ex\u2028ample.org", "x@пример.испытание", "x@EXAMPLE.\u00c9", "a@example.org.",
]


def _library(address: str) -> str:
    try:
        return validate_email(address.strip(), check_deliverability=False,
                              allow_smtputf8=True).normalized.lower()
    except EmailNotValidError as exc:
        return f"error: {exc}"


@pytest.mark.parametrize("address", ADDRESSES)
def test_same_verdict_as_email_validator(address: str) -> None:
    expected = _library(address)
    for _ in range(2):  # second time from the domain cache
        try:
            got = normalize(address)
        except InvalidAddress as exc:
            got = f"error: {exc}"
        assert got == expected


def test_reason_is_the_libraries() -> None:
    with pytest.raises(InvalidAddress, match="period"):
        normalize("first..last@example.org")
    for _ in range(2):
        with pytest.raises(InvalidAddress, match="@-sign"):
            normalize("anna@")
