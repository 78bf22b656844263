"""Per-recipient rendering: defaults, empty fields, escaping, speed."""

from __future__ import annotations

import time

from outreach.mail.compose import render
from tests.support.alerts import SIMPLE, alert, contact, settings, variant_from_text

BODY = "# T\n\nHi {{ contact.first_name | default(\"colleague\") }}! [{{ contact.role }}]\n" \
       "Lang {{ contact.language }} / {{ contact.attributes.region }}.\n"


def test_default_applies_to_missing_and_empty_names() -> None:
    variant = variant_from_text(BODY)
    for first in (None, ""):
        out = render(variant, alert(), contact(first_name=first), 1, settings())
        assert "Hi colleague!" in out.text and "Hi colleague!" in out.html
    out = render(variant, alert(), contact(first_name="Zsófia"), 1, settings())
    assert "Hi Zsófia!" in out.text


def test_known_but_empty_fields_render_empty_not_none() -> None:
    out = render(variant_from_text(BODY), alert(), contact(role=None, language=None), 1,
                 settings())
    assert "[]" in out.text
    assert "None" not in out.text and "None" not in out.html
    assert "Lang / ." in " ".join(out.text.split())  # a missing extra attribute is empty too


def test_contact_fields_are_data_not_markup() -> None:
    variant = variant_from_text(SIMPLE)
    evil = contact(first_name='<script>alert("x")</script>', outlet="<b>Daily</b> & Co")
    out = render(variant, alert(), evil, 1, settings())
    assert "<script>" not in out.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in out.html
    assert "&lt;b&gt;Daily&lt;/b&gt; &amp; Co" in out.html
    assert '<script>alert("x")</script>' in out.text  # plain text is not HTML-escaped
    assert "<b>Daily</b> & Co" in out.text
    assert out.subject == 'Hello <script>alert("x")</script>'


def test_subject_is_personalised_and_single_line() -> None:
    variant = variant_from_text(SIMPLE)
    out = render(variant, alert(), contact(first_name="Ann\r\nBcc: x@example.com"), 1,
                 settings())
    assert out.subject == "Hello Ann Bcc: x@example.com"
    assert "\n" not in out.subject and "\r" not in out.subject


def test_render_costs_a_fraction_of_a_millisecond() -> None:
    variant = variant_from_text(SIMPLE)
    person, cfg, a = contact(), settings(), alert()
    render(variant, a, person, 0, cfg)
    start = time.perf_counter()
    for n in range(200):
        render(variant, a, person, n, cfg)
    per_message = (time.perf_counter() - start) / 200
    assert per_message < 0.001, per_message


def test_text_paragraphs_with_fields_are_wrapped_for_each_recipient() -> None:
    variant = variant_from_text("# T\n\n" + "Word " * 10 + "{{ contact.outlet }} " +
                                "word " * 20 + "\n")
    for outlet in ("X", "A Very Long Outlet Name Indeed " * 2):
        text = render(variant, alert(), contact(outlet=outlet.strip()), 1, settings()).text
        body = text.split("\n\n")[1]
        assert all(len(line) <= 72 for line in body.splitlines())
        assert " ".join(body.split()).startswith("Word " * 10 + outlet.strip())
