"""Header aliases and pure row parsing: one CSV record -> a `ContactRow` or the reasons it is bad.

No database here: the importer decides what a good row does to the contact list.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from functools import cached_property, lru_cache
from typing import Any

from outreach.contacts.addresses import InvalidAddress, address_hash, normalize
from outreach.contacts.codes import country_code, language_code
from outreach.errors import UserError

# canonical field -> header spellings (compared after `header_key`)
ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "e mail", "email address", "e mail address", "mail", "emailaddress",
              "email adresse", "adres e mail", "e mail cím", "электронная почта"),
    "first_name": ("first name", "firstname", "given name", "forename", "first", "vorname",
                   "prénom", "keresztnév", "imię", "имя"),
    "last_name": ("last name", "lastname", "surname", "family name", "last", "nachname",
                  "nom de famille", "vezetéknév", "nazwisko", "фамилия"),
    "name": ("name", "full name", "contact", "contact name", "nom", "név", "имя и фамилия"),
    "outlet": ("organisation", "organization", "outlet", "media", "org", "company",
               "publication", "media outlet", "newsroom", "employer", "ngo", "redaktion",
               "szervezet", "организация", "издание"),
    "website": ("website", "outlet website", "web", "url", "homepage"),
    "role": ("role", "position", "title", "job title", "function", "beosztás", "должность"),
    "type": ("type", "contact type", "category", "kind"),
    "country": ("country", "country code", "nation", "land", "ország", "страна"),
    "language": ("language", "lang", "language code", "locale", "nyelv", "язык"),
    "tags": ("tags", "tag", "labels", "label", "lists", "groups", "címkék", "tagi", "теги"),
    "beats": ("beats", "beat", "topics", "topic", "areas", "focus", "subjects"),
    "status": ("status",),  # exported by us; status only changes through suppression
}
_BY_ALIAS = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
MAPPABLE = tuple(name for name in ALIASES if name != "status")
PARSED = ("email", "first_name", "last_name", "name", "role", "outlet", "website", "type",
          "country", "language", "tags", "beats")  # the fields `parse_row` reads, in order

TYPE_ALIASES = {
    "journalist": "journalist", "press": "journalist", "media": "journalist",
    "reporter": "journalist", "editor": "journalist", "correspondent": "journalist",
    "freelancer": "journalist", "freelance": "journalist", "journo": "journalist",
    "ngo": "ngo", "nonprofit": "ngo", "non-profit": "ngo", "activist": "ngo",
    "civil society": "ngo", "cso": "ngo", "ngo staff": "ngo",
    "politician": "politician", "mp": "politician", "mep": "politician",
    "official": "politician", "government": "politician", "other": "other",
}
OUTLET_KIND_FOR_TYPE = {"journalist": "media", "ngo": "ngo", "politician": "government"}
MAX_LENGTH = {"first_name": 200, "last_name": 200, "name": 400, "role": 200, "outlet": 300,
              "website": 500, "label": 100}
MAX_ATTRIBUTE = 10_000  # characters of a free-text column (Notes ...): longer is cut, warned
MAX_COLUMNS = 1000  # a wider header row is refused: it is not a contact list
_SHOWN = 60  # characters of a bad cell quoted in an error
_SPLIT_LABELS = re.compile(r"[;,]")


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "reason": self.reason}


@dataclass(slots=True)
class ContactRow:
    """A good row, normalised. Empty fields are None / empty so that merges can skip them."""

    line: int
    email: str
    email_hash: str
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    role: str | None = None
    outlet: str | None = None
    website: str | None = None
    type: str | None = None
    country: str | None = None
    language: str | None = None
    tags: frozenset[str] = frozenset()
    beats: frozenset[str] = frozenset()
    attributes: dict[str, str] = field(default_factory=dict)
    warnings: list[RowError] = field(default_factory=list)  # imported, but changed on the way


@dataclass(frozen=True)
class Header:
    """Which column holds which field; columns with no known meaning become attributes."""

    columns: dict[str, int]
    extra: dict[str, int]

    @cached_property
    def field_indexes(self) -> tuple[int, ...]:
        """The column of each of `PARSED` (sys.maxsize, past any row, where there is none)."""
        return tuple(self.columns.get(name, sys.maxsize) for name in PARSED)

    @classmethod
    def parse(cls, values: list[str], mapping: Mapping[str, str] | None = None) -> Header:
        """`mapping` says what a column the aliases do not know holds: a field name,
        `attribute` (kept as `contact.attributes.LABEL`, the default) or `ignore`."""
        if len(values) > MAX_COLUMNS:
            raise UserError(f"{len(values)} columns in the header row; at most {MAX_COLUMNS} "
                            "are supported (is this a contact list?)")
        columns: dict[str, int] = {}
        extra: dict[str, int] = {}
        repeats: dict[str, int] = {}
        for index, raw in enumerate(values):
            label = header_label(raw)
            target = (mapping or {}).get(label)
            if not label or target == "ignore":
                continue
            name = target if target in MAPPABLE else _BY_ALIAS.get(header_key(label))
            if name is not None and name not in columns:
                columns[name] = index
            elif name is None:
                extra[_unique(label, extra, repeats)] = index
        if "email" not in columns:
            raise UserError(
                "no email column in the header (expected one of: Email, E-mail, "
                f"Email address); found: {', '.join(v.strip() for v in values if v.strip())}"
            )
        return cls(columns=columns, extra=extra)


def header_label(raw: str) -> str:
    """A header cell as the user sees it (BOM and stray spacing dropped)."""
    return " ".join(raw.replace("\ufeff", "").split())


def check_mapping(mapping: Mapping[str, str]) -> dict[str, str]:
    """`{"Sprache": "language"}` checked: each target a field, `attribute` or `ignore`."""
    for label, target in mapping.items():
        if target not in (*MAPPABLE, "attribute", "ignore"):
            raise UserError(f"--map {label}={target}: {target!r} is not a field "
                            f"(one of {', '.join(MAPPABLE)}, attribute, ignore)")
    return {header_label(k): v for k, v in mapping.items()}


def header_key(label: str) -> str:
    """'E-Mail_Address ' -> 'e mail address': case, punctuation and spacing do not matter."""
    return " ".join(re.sub(r"[-_./:*]+", " ", label.casefold()).split())


def _unique(label: str, taken: dict[str, int], repeats: dict[str, int]) -> str:
    """`label`, else `label (n)` for the next free n: `repeats` remembers where each label's
    count stopped, so 16,000 columns named `x` cost linear, not quadratic, time."""
    if label not in taken:
        return label
    n = repeats.get(label, 2)
    while f"{label} ({n})" in taken:  # only a header that also spells out `x (2)` loops
        n += 1
    repeats[label] = n + 1
    return f"{label} ({n})"


def parse_row(header: Header, line: int, values: list[str], *,
              check_deliverability: bool = False) -> ContactRow | list[RowError]:
    """The normalised row, or every problem found in it (each with its field and reason)."""
    count = len(values)
    (email_cell, first, last, name, role, outlet, website, kind, country, language, tags,
     beats) = [values[i].strip() if i < count else "" for i in header.field_indexes]
    errors: list[RowError] = []
    display_name, email = _address(email_cell, line, errors, check_deliverability)
    first_name = _text(first, "first_name", line, errors)
    last_name = _text(last, "last_name", line, errors)
    full_name = _text(name, "name", line, errors)
    role_text, outlet_name, website_url = (_text(role, "role", line, errors),
                                           _text(outlet, "outlet", line, errors),
                                           _text(website, "website", line, errors))
    if full_name is None and (first_name or last_name):
        full_name = " ".join(p for p in (first_name, last_name) if p)
    if full_name is None and display_name:
        full_name = _text(display_name, "name", line, errors)
    row = ContactRow(
        line, email, address_hash(email) if email else "", first_name, last_name, full_name,
        role_text, outlet_name, website_url, _coded(kind, _contact_type, "type", line, errors),
        _coded(country, country_code, "country", line, errors),
        _coded(language, language_code, "language", line, errors),
        _labels(tags, "tags", line, errors), _labels(beats, "beats", line, errors),
        {k: cell for k, i in header.extra.items() if i < count and (cell := values[i].strip())})
    if errors:
        return errors
    for key, value in row.attributes.items():
        if len(value) > MAX_ATTRIBUTE:
            row.attributes[key] = value[:MAX_ATTRIBUTE]
            row.warnings.append(RowError(line, key, f"cut to {MAX_ATTRIBUTE} characters "
                                                    f"(was {len(value)})"))
    return row


def _address(raw: str, line: int, errors: list[RowError], check_deliverability: bool,
             ) -> tuple[str, str]:
    """(display name, normalised address); 'Anna Kovács <anna@x.org>' cells are common."""
    if not raw:
        errors.append(RowError(line, "email", "missing"))
        return "", ""
    display_name, address = "", raw
    if raw.endswith(">") and "<" in raw:
        display_name, address = parseaddr(raw)
    try:
        return display_name, normalize(address, check_deliverability=check_deliverability)
    except InvalidAddress as exc:
        shown = raw if len(raw) <= _SHOWN else raw[:_SHOWN] + "…"
        errors.append(RowError(line, "email", f"{shown!r}: {exc}"))
        return "", ""


def _text(value: str, name: str, line: int, errors: list[RowError]) -> str | None:
    value = " ".join(value.split())  # stray spaces and quoted newlines in one-line fields
    if len(value) > MAX_LENGTH[name]:
        errors.append(RowError(line, name, f"longer than {MAX_LENGTH[name]} characters"))
    return value or None


def _contact_type(value: str) -> str | None:
    return TYPE_ALIASES.get(" ".join(value.casefold().split()))


def _coded(value: str, lookup: Any, name: str, line: int, errors: list[RowError]) -> str | None:
    if not value:
        return None
    code: str | None = lookup(value)
    if code is None:
        expected = {
            "type": "one of journalist, ngo, politician, other",
            "country": "an ISO 3166-1 code or country name, e.g. HU or Hungary",
            "language": "an ISO 639-1 code or language name, e.g. hu or Hungarian",
        }[name]
        errors.append(RowError(line, name, f"unknown {name} {value!r} (expected {expected})"))
    return code


@lru_cache(maxsize=8192)
def split_labels(value: str) -> frozenset[str]:
    """'Press; urgent,  Central Asia' -> {'press', 'urgent', 'central asia'}."""
    return frozenset(" ".join(p.casefold().split()) for p in _SPLIT_LABELS.split(value)
                     if p.strip())


def _labels(value: str, name: str, line: int, errors: list[RowError]) -> frozenset[str]:
    labels, too_long = _checked_labels(value)
    if too_long:
        errors.append(RowError(line, name, f"{too_long[:40]!r}...: longer than "
                                           f"{MAX_LENGTH['label']} characters"))
    return labels


@lru_cache(maxsize=8192)
def _checked_labels(value: str) -> tuple[frozenset[str], str | None]:
    """The labels of a cell and the first (sorted) one that is too long, if any."""
    labels = split_labels(value)
    too_long = sorted(label for label in labels if len(label) > MAX_LENGTH["label"])
    return labels, too_long[0] if too_long else None
