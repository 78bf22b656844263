"""Storing an alert: an immutable snapshot of its files, compiled once per language variant.

Later edits to the Markdown files never change an alert in flight: the source text and the
compiled templates are copied into the database; `source_path` is informational only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from outreach.alerts.compile import compile_variant
from outreach.alerts.repository import get_alert
from outreach.alerts.source import AlertSource, read_source, with_language
from outreach.config import Settings
from outreach.contacts.segments import Segment
from outreach.db.models import Alert, AlertVariant
from outreach.errors import UserError


def create_alert(session: Session, settings: Settings, source: Path, *,
                 variants: dict[str, Path] | None = None, segment: Segment | None = None,
                 track_opens: bool = False, track_clicks: bool = False,
                 follow_up_of: int | None = None, created_by: str | None = None) -> Alert:
    """Check, compile and store an alert with its language variants (flushed, not committed).

    The main file's language is the alert's default. Tracking is on when the argument or the
    main file's front matter asks for it; the segment argument wins over the front matter's.
    """
    main = read_source(source)
    alert = create_from_sources(
        session, settings, [main, *_variant_sources(main, variants or {})], segment=segment,
        track_opens=track_opens, track_clicks=track_clicks, follow_up_of=follow_up_of,
        created_by=created_by)
    alert.source_path = str(source)
    return alert


def create_from_sources(session: Session, settings: Settings, sources: list[AlertSource], *,
                        segment: Segment | dict[str, Any] | None = None,
                        track_opens: bool = False, track_clicks: bool = False,
                        follow_up_of: int | None = None, created_by: str | None = None
                        ) -> Alert:
    """The files' or the console's sources (the first is the default language) as a draft."""
    main = sources[0]
    opens = track_opens or main.track_opens
    clicks = track_clicks or main.track_clicks
    if follow_up_of is not None:
        get_alert(session, follow_up_of, label="follow-up of alert")
    alert = Alert(title=_title(main), default_language=main.language,
                  segment=_segment_json(main, segment), track_opens=opens, track_clicks=clicks,
                  follow_up_of=follow_up_of, state="draft", created_by=created_by)
    _add_variants(alert, sources, settings)
    session.add(alert)
    session.flush()
    return alert


def replace_draft(session: Session, settings: Settings, alert: Alert,
                  sources: list[AlertSource], *, segment: Segment | dict[str, Any] | None = None
                  ) -> Alert:
    """New content for a draft; an alert that was launched stays the snapshot it was sent as."""
    if alert.state != "draft":
        raise UserError(f"alert {alert.id} is {alert.state}: only a draft can be edited "
                        "(write a follow-up instead)")
    compiled_check = [s.language for s in sources]
    if len(set(compiled_check)) != len(compiled_check):
        raise UserError("two variants in the same language")
    alert.variants.clear()
    session.flush()  # old variants gone before the new ones take their (alert, language)
    _add_variants(alert, sources, settings)
    alert.title = _title(sources[0])
    alert.default_language = sources[0].language
    if segment is not None:
        alert.segment = _segment_json(sources[0], segment)
    session.flush()
    return alert


def _segment_json(main: AlertSource, segment: Segment | dict[str, Any] | None
                  ) -> dict[str, Any]:
    if isinstance(segment, dict):
        return segment
    chosen = segment if segment is not None else (main.segment() or Segment())
    return chosen.to_json()


def _add_variants(alert: Alert, sources: list[AlertSource], settings: Settings) -> None:
    compiled = [compile_variant(s, settings, track_opens=alert.track_opens,
                                track_clicks=alert.track_clicks) for s in sources]
    for c in compiled:
        alert.variants.append(AlertVariant(
            language=c.language, source_markdown=c.source_markdown, front_matter=c.front_matter,
            subject_template=c.subject_template, html_template=c.html_template,
            text_template=c.text_template, from_address=c.from_address, reply_to=c.reply_to,
            links=c.links))


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
