"""Compile once: Markdown -> layout -> premailer -> Jinja2 source, checked before it is stored."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from outreach.errors import UserError
from outreach.mail.compose import render
from tests.support.alerts import (
    SIMPLE,
    alert,
    contact,
    settings,
    variant_from_file,
    variant_from_text,
)

CONTENT_TAGS = {"p", "h1", "h2", "h3", "a", "ul", "ol", "li", "strong", "em", "blockquote",
                "table", "td", "body", "img", "hr", "div"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize("name", ["alert.md", "alert.ru.md", "alert.hu.md"])
def test_every_element_is_styled_inline_and_no_style_block_is_left(name: str) -> None:
    variant = variant_from_file(name, track_opens=True, track_clicks=True)
    html = render(variant, alert(track_opens=True, track_clicks=True), contact(), 5,
                  settings()).html
    assert "<style" not in html.lower()
    assert "class=" not in html
    assert '<link rel="stylesheet"' not in html and "@import" not in html
    styled = [(tag, attrs) for tag, attrs in _tags(html) if tag in CONTENT_TAGS]
    assert len(styled) > 15
    for tag, attrs in styled:
        assert attrs.get("style"), f"<{tag}> has no inline style"


def test_layout_is_single_column_600px_with_footer_and_unsubscribe() -> None:
    cfg = settings(org_name="Example Rights Foundation", postal_address="9 Sample Road, Testville")
    variant = variant_from_text(SIMPLE, cfg=cfg)
    html = render(variant, alert(), contact(), 5, cfg).html
    assert 'width="600"' in html and "max-width:600px" in html
    assert 'name="color-scheme" content="light dark"' in html
    assert "Example Rights Foundation" in html and "9 Sample Road, Testville" in html
    assert "keeps you on its list" in html
    assert re.search(r'<a href="http://127\.0\.0\.1:8000/u/[^"]+"[^>]*>Unsubscribe</a>', html)
    assert "Short preview" in html  # preheader
    assert "https://fonts" not in html


def test_snippets_survive_markdown_and_premailer_as_jinja() -> None:
    variant = variant_from_text(SIMPLE)
    assert '{{ contact.first_name | default("colleague") }}' in variant.html_template
    assert "{{ contact.outlet }}" in variant.text_template
    assert "{{ unsubscribe_url }}" in variant.html_template
    assert "ORPH" not in variant.html_template + variant.text_template
    assert variant.subject_template == "Hello {{ contact.first_name | default('colleague') }}"


def test_statement_alone_on_a_line_is_not_wrapped_in_a_paragraph() -> None:
    variant = variant_from_text("# T\n\n{% if contact.outlet %}\n\nAt {{ contact.outlet }}.\n\n"
                                "{% endif %}\n\nEnd.\n")
    assert "<p>{% if" not in variant.html_template
    assert not re.search(r"<p[^>]*>\{% (if|endif)", variant.html_template)
    html = render(variant, alert(), contact(outlet=None), 5, settings()).html
    assert "At " not in html and "End." in html


def test_literal_braces_from_settings_are_not_template_code() -> None:
    cfg = settings(org_name="Org {{ 7 * 7 }} {% raw %}")
    variant = variant_from_text(SIMPLE, cfg=cfg)
    html = render(variant, alert(), contact(), 5, cfg).html
    assert "Org {{ 7 * 7 }} {% raw %}" in html


def test_links_are_collected_in_order_and_kept_without_tracking() -> None:
    variant = variant_from_file("alert.md")
    assert variant.links == ["https://example.org/briefings/esenov-case",
                             "https://example.org/briefings/forced-returns",
                             "https://example.org/briefings/esenov"]
    html = render(variant, alert(), contact(), 5, settings()).html
    assert 'href="https://example.org/briefings/esenov-case"' in html
    assert "/c/" not in html and "/o/" not in html


def test_click_and_open_tracking_when_asked() -> None:
    variant = variant_from_file("alert.md", track_opens=True, track_clicks=True)
    assert "{{ click_url(0) }}" in variant.html_template
    html = render(variant, alert(track_opens=True, track_clicks=True), contact(), 5,
                  settings()).html
    hrefs = re.findall(r'href="([^"]+)"', html)
    clicks = [h for h in hrefs if "/c/" in h]
    assert len(clicks) == 3
    assert 'href="mailto:press@example.org"' in html  # mailto links are never redirected
    assert re.search(r'<img[^>]+src="http://127\.0\.0\.1:8000/o/[^"]+\.gif"[^>]*alt=""', html)
    text = render(variant, alert(), contact(), 5, settings()).text
    assert "(https://example.org/briefings/esenov)" in text  # text part keeps readable URLs


def test_click_urls_name_the_message_and_link_index() -> None:
    from outreach.mail.tokens import read_link

    variant = variant_from_file("alert.md", track_clicks=True)
    html = render(variant, alert(track_clicks=True), contact(), 42, settings()).html
    signed = re.findall(r'href="http://127\.0\.0\.1:8000/c/([^"]+)"', html)
    assert [read_link(settings().secret_key, "click", s) for s in signed] == \
        [[42, 0], [42, 1], [42, 2]]


@pytest.mark.parametrize(("body", "expected"), [
    ("# T\n\nline two\n\nHello {{ contact.frist_name }}\n", "alert.md:5: unknown field "
                                                           "'contact.frist_name'"),
    ("# T\n\n\nHi {{ contact.foo | default('x') }}\n", "alert.md:4: unknown field 'contact.foo'"),
    ("# T\n\n{{ contct.first_name }}\n", "alert.md:3: unknown field 'contct'"),
    ("# T\n\n{% if contact.first_name %}\nno end\n", "alert.md:3: template error"),
    ("# T\n\nx {{ contact.first_name | nosuchfilter }}\n", "alert.md:3: template error"),
    ("# T\n\n\n\n{{ contact.first_name.upper().foo }}\n", "alert.md:5: template error"),
])
def test_template_mistakes_fail_at_create_with_line(body: str, expected: str) -> None:
    with pytest.raises(UserError) as info:
        variant_from_text(body)
    assert expected in str(info.value)


def test_line_numbers_count_the_front_matter() -> None:
    text = "---\nsubject: Hi\n---\n# T\n\n{{ contact.foo }}\n"
    with pytest.raises(UserError, match=r"^alert\.md:6: unknown field 'contact\.foo'$"):
        variant_from_text(text)


def test_subject_mistake_names_the_subject_line() -> None:
    with pytest.raises(UserError, match=r"alert\.md:3: unknown field 'contact\.nme'"):
        variant_from_text("---\nlanguage: en\nsubject: 'Hi {{ contact.nme }}'\n---\nbody\n")


def test_variables_set_in_the_template_are_allowed() -> None:
    variant = variant_from_text("# T\n\n{% set who = contact.first_name or 'all' %}Hi {{ who }}\n"
                                "{% for t in contact.tags %}{{ t }} {% endfor %}\n")
    assert "Hi Anna" in render(variant, alert(), contact(), 1, settings()).text


def test_subject_from_a_headline_loses_its_markdown() -> None:
    variant = variant_from_text("# **Urgent**: stop it, {{ contact.first_name }} & *now*\n\nx\n")
    assert variant.subject_template == "Urgent: stop it, {{ contact.first_name }} & now"
    kept = variant_from_text("---\nsubject: 'Keep *this* & {{ contact.outlet }}'\n---\nx\n")
    assert kept.subject_template == "Keep *this* & {{ contact.outlet }}"
