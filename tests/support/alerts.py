"""Building alert variants and contacts in memory (no database) for rendering tests."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from outreach.alerts.compile import compile_variant
from outreach.alerts.source import parse_source, read_source
from outreach.config import Settings
from outreach.db.models import Alert, AlertVariant, Contact, Outlet
from tests.fixtures.db import make_test_settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def settings(**overrides: Any) -> Settings:
    return make_test_settings(**overrides)


def variant_from_text(text: str, *, track_opens: bool = False, track_clicks: bool = False,
                      path: str = "alert.md", cfg: Settings | None = None) -> AlertVariant:
    source = parse_source(text, Path(path))
    return _variant(compile_variant(source, cfg or settings(), track_opens=track_opens,
                                    track_clicks=track_clicks))


def variant_from_file(name: str, **kwargs: Any) -> AlertVariant:
    cfg = kwargs.pop("cfg", None) or settings()
    return _variant(compile_variant(read_source(EXAMPLES / name), cfg, **kwargs))


def _variant(c: Any) -> AlertVariant:
    return AlertVariant(id=1, language=c.language, subject_template=c.subject_template,
                        html_template=c.html_template, text_template=c.text_template,
                        links=c.links, from_address=c.from_address, reply_to=c.reply_to,
                        source_markdown=c.source_markdown, front_matter=c.front_matter)


def parse(data: bytes) -> EmailMessage:
    """Raw message bytes -> EmailMessage with the modern policy (decoded headers)."""
    return cast(EmailMessage, message_from_bytes(data, policy=policy.default))


def alert(*, track_opens: bool = False, track_clicks: bool = False) -> Alert:
    return Alert(id=1, title="t", default_language="en", track_opens=track_opens,
                 track_clicks=track_clicks)


def contact(**fields: Any) -> Contact:
    values: dict[str, Any] = {"id": 7, "email": "anna.kovacs@example.net", "first_name": "Anna",
                              "last_name": "Kovács", "language": "en", "attributes": {}}
    outlet = fields.pop("outlet", "Example Daily")
    values.update(fields)
    c = Contact(**values)
    if outlet:
        c.outlet = Outlet(name=outlet, name_key=outlet.casefold())
    return c


SIMPLE = """---
subject: "Hello {{ contact.first_name | default('colleague') }}"
preheader: "Short preview"
---
# Headline

Dear {{ contact.first_name | default("colleague") }} at {{ contact.outlet }},

Read [the briefing](https://example.org/briefing) or write to
[press@example.org](mailto:press@example.org).
"""
