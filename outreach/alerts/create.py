"""Storing an alert: an immutable snapshot of its files, compiled once per language variant.

Later edits to the Markdown files never change an alert in flight: the source text and the
compiled templates are copied into the database; `source_path` is informational only.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from outreach.alerts.compile import compile_variant
from outreach.alerts.repository import get_alert
from outreach.alerts.source import AlertSource, read_source, with_language
from outreach.config import Settings
from outreach.contacts.segments import Segment
from outreach.db.models import Alert, AlertVariant, Contact
from outreach.errors import UserError


def create_alert(session: Session, settings: Settings, source: Path, *,
                 variants: dict[str, Path] | None = None, segment: Segment | None = None,
                 track_opens: bool = False, track_clicks: bool = False,
                 follow_up_of: int | None = None) -> Alert:
    """Check, compile and store an alert with its language variants (flushed, not committed).

    The main file's language is the alert's default. Tracking is on when the argument or the
    main file's front matter asks for it; the segment argument wins over the front matter's.
    """
    main = read_source(source)
    sources = [main, *_variant_sources(main, variants or {})]
    opens = track_opens or main.track_opens
    clicks = track_clicks or main.track_clicks
    if follow_up_of is not None:
        get_alert(session, follow_up_of, label="follow-up of alert")
    compiled = [compile_variant(s, settings, track_opens=opens, track_clicks=clicks)
                for s in sources]
    chosen = segment if segment is not None else (main.segment() or Segment())
    alert = Alert(title=_title(main), default_language=main.language, segment=chosen.to_json(),
                  source_path=str(source), track_opens=opens, track_clicks=clicks,
                  follow_up_of=follow_up_of, state="draft")
    for c in compiled:
        alert.variants.append(AlertVariant(
            language=c.language, source_markdown=c.source_markdown, front_matter=c.front_matter,
            subject_template=c.subject_template, html_template=c.html_template,
            text_template=c.text_template, from_address=c.from_address, reply_to=c.reply_to,
            links=c.links))
    session.add(alert)
    session.flush()
    return alert


def _variant_sources(main: AlertSource, variants: dict[str, Path]) -> list[AlertSource]:
    seen = {main.language: main.path}
    out: list[AlertSource] = []
    for language, path in variants.items():
        source = read_source(path)
        if language and source.language != language and "language" in source.front:
            raise UserError(f"{source.where('language')}: language {source.language!r} but the "
                            f"file was given as --variant {language}={path}")
        if language and "language" not in source.front:
            source = with_language(source, language)
        if source.language in seen:
            raise UserError(f"{path}: a second {source.language!r} variant "
                            f"(already {seen[source.language]})")
        seen[source.language] = path
        out.append(source)
    return out


def _title(source: AlertSource) -> str:
    return " ".join((source.subject or str(source.path)).split())[:500]


def pick_variant(alert: Alert, contact: Contact) -> AlertVariant:
    """The variant in the contact's language, else the alert's default language, else any."""
    by_language = {v.language: v for v in alert.variants}
    if not by_language:
        raise UserError(f"alert {alert.id} has no content variants")
    return (by_language.get((contact.language or "").lower())
            or by_language.get(alert.default_language)
            or next(iter(by_language.values())))
