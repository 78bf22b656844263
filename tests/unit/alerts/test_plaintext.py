"""The text part: same content as the HTML, links as readable URLs."""

from __future__ import annotations

from outreach.alerts.compile import markdown
from outreach.alerts.plaintext import render_text


def text(md: str) -> str:
    return render_text(markdown().parse(md))


def test_links_become_text_and_url() -> None:
    out = text("Read [the briefing](https://example.org/b) now.\n")
    assert out == "Read the briefing (https://example.org/b) now.\n"


def test_mailto_links_show_the_address_once() -> None:
    assert text("Anna – [press@example.org](mailto:press@example.org)\n") == \
        "Anna – press@example.org\n"
    assert text("Write to [Anna](mailto:anna@example.org).\n") == \
        "Write to Anna (anna@example.org).\n"


def test_bare_url_text_is_not_repeated() -> None:
    assert text("<https://example.org/x>\n") == "https://example.org/x\n"


def test_headings_lists_quotes_and_wrapping() -> None:
    out = text("# Title\n\n## Sub\n\n- one\n- two\n\n1. first\n2. second\n\n> quoted text\n\n"
               + "word " * 40 + "\n")
    assert "Title\n=====\n\nSub\n---\n\n- one\n- two\n\n1. first\n2. second\n\n> quoted text" in out
    assert all(len(line) <= 72 for line in out.splitlines())


def test_long_url_is_never_broken() -> None:
    url = "https://example.org/" + "a" * 120
    out = text(f"See [this]({url}).\n")
    assert url in out


def test_images_keep_their_alt_text() -> None:
    assert text("![Protest in Budapest](https://example.org/p.jpg)\n") == \
        "[Protest in Budapest]\n"
