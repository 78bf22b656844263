"""Render benchmark: per-recipient cost of the naive way vs compile-once, in the same run.

    .venv/bin/python benchmarks/render_benchmark.py [--messages N] [--file examples/alert.md]

naive: per message, Jinja over the Markdown, Markdown -> HTML, layout, premailer (what a
simple implementation does). compiled: `outreach.mail.compose.render` on the variant compiled once
(what the workers do). compose: the full unsigned MIME message per recipient (render included)
as the workers build it (per-variant skeleton); compose_reference: the same message built the
slow way, one `EmailMessage` per recipient (`tests.support.mime_reference`, what compose did
before). Prints one JSON line with milliseconds per message and the ratio naive / compiled.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from markupsafe import Markup

from outreach.alerts import i18n
from outreach.alerts.compile import TEMPLATES, _layout_env, compile_variant, inline_css, markdown
from outreach.alerts.plaintext import render_text
from outreach.alerts.source import AlertSource, read_source
from outreach.alerts.templating import HTML_ENV, TEXT_ENV, contact_view
from outreach.config import Settings
from outreach.db.models import Alert, AlertVariant, Contact, Outlet
from outreach.mail.compose import compose, render
from outreach.mail.links import unsubscribe_url
from tests.support.mime_reference import reference_message

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = Settings(secret_key="benchmark-secret-0123456789", base_url="https://alerts.example.org")


def naive(source: AlertSource, contact: Contact, message_id: int) -> tuple[str, str, str]:
    """Everything per recipient, premailer included."""
    person = contact_view(contact)
    body = TEXT_ENV.from_string(source.body).render(contact=person)
    tokens = markdown().parse(body)
    values: dict[str, Any] = {
        "lang": source.language, "title": source.subject, "preheader":
        source.front.get("preheader", ""), "org_name": SETTINGS.org_name,
        "postal_address": SETTINGS.postal_address,
        "unsubscribe_url": unsubscribe_url(SETTINGS, message_id), "open_pixel_url": None,
        "t": i18n.strings(source.language)}
    env = _layout_env(TEMPLATES)
    html_body = Markup(markdown().renderer.render(tokens, markdown().options, {}))
    html = inline_css(env.get_template("layout.html.j2").render(**values, body=html_body))
    text = env.get_template("layout.txt.j2").render(**values, body=render_text(tokens))
    subject = HTML_ENV.from_string(source.subject or "").render(contact=person)
    return subject, html, text


def _per_message(func: Any, count: int) -> float:
    func(0)
    start = time.perf_counter()
    for n in range(1, count + 1):
        func(n)
    return (time.perf_counter() - start) / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--file", type=Path, default=ROOT / "examples" / "alert.md")
    args = parser.parse_args()
    source = read_source(args.file)
    c = compile_variant(source, SETTINGS)
    variant = AlertVariant(id=1, language=c.language, subject_template=c.subject_template,
                           html_template=c.html_template, text_template=c.text_template,
                           links=c.links, from_address=c.from_address, reply_to=c.reply_to)
    alert = Alert(id=1, title="benchmark", default_language=c.language)
    contact = Contact(id=1, email="bench@example.net", first_name="Anna", last_name="Kovács",
                      language=c.language, attributes={})
    contact.outlet = Outlet(name="Example Daily", name_key="example daily")
    naive_count = max(20, args.messages // 10)  # premailer is slow; fewer rounds suffice
    naive_ms = _per_message(lambda n: naive(source, contact, n), naive_count)
    compiled_ms = _per_message(lambda n: render(variant, alert, contact, n, SETTINGS),
                               args.messages)
    compose_ms = _per_message(lambda n: compose(variant, alert, contact, n, SETTINGS),
                              args.messages)
    reference_ms = _per_message(
        lambda n: reference_message(variant, alert, contact, n, SETTINGS).as_bytes(),
        args.messages)
    print(json.dumps({
        "file": str(args.file.name), "naive_messages": naive_count,
        "compiled_messages": args.messages,
        "naive_ms_per_message": round(naive_ms, 3),
        "compiled_ms_per_message": round(compiled_ms, 4),
        "ratio": round(naive_ms / compiled_ms, 1),
        "compose_mime_ms_per_message": round(compose_ms, 3),
        "compose_mime_minus_render_ms": round(compose_ms - compiled_ms, 3),
        "compose_reference_ms_per_message": round(reference_ms, 3),
        "compose_speedup": round(reference_ms / compose_ms, 1),
    }))


if __name__ == "__main__":
    main()
