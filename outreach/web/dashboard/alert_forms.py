"""The alert editor's form, to and from the sources `outreach.alerts.create` stores.

Each language variant is a group of fields (`subject-ru`, `preheader-ru`, `sender-ru`,
`body-ru`); `languages` lists them, the first being the alert's default language. The sender
name is a form field but the sending address is the organisation's (OUTREACH_FROM_ADDRESS), so
nobody can mistype the address replies and bounces come back to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from werkzeug.datastructures import MultiDict

from outreach.alerts.source import AlertSource, body_of, from_fields
from outreach.config import Settings
from outreach.db.models import Alert
from outreach.errors import UserError

LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
LINE_RE = re.compile(r"^(?P<label>[a-z]{2}) body:(?P<line>\d+): ")
LANGUAGE_NAMES = {"en": "English", "ru": "Russian", "uk": "Ukrainian", "hu": "Hungarian",
                  "de": "German", "fr": "French", "es": "Spanish", "pl": "Polish",
                  "ro": "Romanian", "tr": "Turkish", "ar": "Arabic", "ka": "Georgian",
                  "kk": "Kazakh", "ky": "Kyrgyz", "uz": "Uzbek", "az": "Azerbaijani",
                  "hy": "Armenian", "be": "Belarusian", "sr": "Serbian", "it": "Italian"}


@dataclass
class VariantForm:
    language: str
    subject: str = ""
    preheader: str = ""
    sender: str = ""
    body: str = ""

    @property
    def name(self) -> str:
        return LANGUAGE_NAMES.get(self.language, self.language)


@dataclass
class AlertForm:
    variants: list[VariantForm] = field(default_factory=list)
    segment: str = ""  # a saved segment's name, "" for everyone
    track_opens: bool = False
    track_clicks: bool = False

    @property
    def languages(self) -> list[str]:
        return [v.language for v in self.variants]


def blank(settings: Settings) -> AlertForm:
    return AlertForm([VariantForm("en", sender=sender_name(settings.from_address))])


def sender_name(address: str) -> str:
    return parseaddr(address)[0]


def from_request(form: MultiDict[str, str]) -> AlertForm:
    """The submitted form; unknown or repeated languages are dropped, not trusted."""
    languages: list[str] = []
    for language in form.get("languages", "").split(","):
        language = language.strip().lower()
        if LANGUAGE_RE.match(language) and language not in languages:
            languages.append(language)
    variants = [VariantForm(lang, form.get(f"subject-{lang}", "").strip(),
                            form.get(f"preheader-{lang}", "").strip(),
                            form.get(f"sender-{lang}", "").strip(),
                            form.get(f"body-{lang}", "")) for lang in languages[:12]]
    return AlertForm(variants or [VariantForm("en")], form.get("segment", "").strip(),
                     form.get("track_opens") == "1", form.get("track_clicks") == "1")


def from_alert(alert: Alert) -> AlertForm:
    """The stored draft (or launched snapshot) as form values, default language first."""
    ordered = sorted(alert.variants, key=lambda v: (v.language != alert.default_language, v.id))
    variants = [VariantForm(v.language, str(v.front_matter.get("subject") or ""),
                            str(v.front_matter.get("preheader") or ""),
                            sender_name(v.from_address), body_of(v.source_markdown))
                for v in ordered]
    return AlertForm(variants, str((alert.segment or {}).get("name") or ""),
                     alert.track_opens, alert.track_clicks)


def sources(form: AlertForm, settings: Settings) -> list[AlertSource]:
    """Checked sources, one per variant; a problem raises UserError naming `LANG body:LINE`."""
    address = parseaddr(settings.from_address)[1]
    out = []
    for v in form.variants:
        if not v.body.strip():
            raise UserError(f"{v.language} body:1: the {v.name} variant has no text")
        name = " ".join(v.sender.replace('"', "").replace("\\", "").split())
        front: dict[str, Any] = {"subject": v.subject, "preheader": v.preheader,
                                 "from": f'"{name}" <{address}>' if name else None,
                                 "language": v.language}
        out.append(from_fields(f"{v.language} body", front, v.body))
    return out


def friendly(message: str) -> str:
    """`ru body:5: unknown field ...` -> `Russian text, line 5: unknown field ...`."""
    match = LINE_RE.match(message)
    if not match:
        return message
    name = LANGUAGE_NAMES.get(match["label"], match["label"])
    return f"{name} text, line {match['line']}: {message[match.end():]}"


def error_line(message: str, form: AlertForm) -> dict[str, Any] | None:
    """For `ru body:7: ...`: the variant and the line the author typed, to show beside it."""
    match = LINE_RE.match(message)
    if not match:
        return None
    language, number = match["label"], int(match["line"])
    body = next((v.body for v in form.variants if v.language == language), "")
    lines = body.replace("\r\n", "\n").split("\n")
    text = lines[number - 1] if 0 < number <= len(lines) else ""
    return {"language": language, "line": number, "text": text}
