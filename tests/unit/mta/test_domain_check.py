"""Pure parts of the sender-domain check: nameserver syntax, DMARC alignment, tag parsing."""

from __future__ import annotations

import pytest

from outreach.mta.domain_check import alignment, dkim_tags, parse_nameserver


def test_nameservers() -> None:
    assert parse_nameserver("192.0.2.53") == ("192.0.2.53", 53)
    assert parse_nameserver("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_nameserver("[::1]:5353") == ("::1", 5353)
    with pytest.raises(ValueError, match="HOST or HOST:PORT"):
        parse_nameserver("127.0.0.1:port")


@pytest.mark.parametrize(("from_domain", "dkim_domain", "mode", "status"), [
    ("example.org", "example.org", "r", "ok"),
    ("news.example.org", "example.org", "r", "ok"),
    ("news.example.org", "example.org", "s", "fail"),
    ("example.org", "example.net", "r", "fail"),
    ("example.org", None, "r", "warn"),
])
def test_alignment(from_domain: str, dkim_domain: str | None, mode: str, status: str) -> None:
    finding = alignment(from_domain, dkim_domain, mode)
    assert finding.status == status
    assert finding.record.startswith(f"From {from_domain} / DKIM d=")


def test_tags() -> None:
    assert dkim_tags("v=DKIM1; k=rsa; p=AB CD\n EF") == {"v": "DKIM1", "k": "rsa", "p": "ABCDEF"}
    assert dkim_tags("v=DKIM1; p=")["p"] == ""
