"""Exporting a segment to CSV that spreadsheets open safely and our importer reads back.

Cells that a spreadsheet would run as a formula (starting with = + - @, or a tab or carriage
return that some spreadsheets skip before one) are prefixed with an apostrophe (OWASP's
advice for CSV injection). The file is UTF-8 with a BOM so that Excel shows Cyrillic.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from outreach.contacts.segments import Segment, segment_clause
from outreach.db.models import Contact
from outreach.errors import UserError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ("Email", "First name", "Last name", "Name", "Role", "Outlet", "Type", "Country",
           "Language", "Tags", "Beats", "Status")


def neutralise(value: str) -> str:
    """A cell a spreadsheet shows as text, never evaluates: '=1+1' -> \"'=1+1\"."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def contact_cells(contact: Contact, attribute_keys: list[str]) -> list[str]:
    values: list[Any] = [
        contact.email, contact.first_name, contact.last_name, contact.name, contact.role,
        contact.outlet.name if contact.outlet else None, contact.type, contact.country,
        contact.language, "; ".join(contact.tags), "; ".join(contact.beats), contact.status,
    ]
    values += [(contact.attributes or {}).get(k) for k in attribute_keys]
    return [neutralise(str(v)) if v is not None else "" for v in values]


def export_csv(session: Session, segment: Segment, path: Path) -> int:
    """Write the segment's contacts (erased ones have nothing left to export); the count."""
    clause = segment_clause(segment) & Contact.email.is_not(None)
    keys: set[str] = set()
    for attributes in session.scalars(select(Contact.attributes).where(clause)):
        keys.update(attributes or {})
    attribute_keys = sorted(k for k in keys if k not in COLUMNS)
    query = (select(Contact).where(clause).order_by(Contact.id)
             .options(selectinload(Contact.outlet)).execution_options(yield_per=1000))
    count = 0
    try:
        with Path(path).open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([neutralise(c) for c in (*COLUMNS, *attribute_keys)])
            for contact in session.scalars(query):
                writer.writerow(contact_cells(contact, attribute_keys))
                count += 1
    except OSError as exc:
        raise UserError(f"{path}: cannot write: {exc.strerror}") from None
    return count
