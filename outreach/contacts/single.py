"""One contact created or updated through the CSV importer (API and console forms).

Going through `import_csv` with a one-row file keeps ONE implementation of validation,
normalisation, outlet matching, merging and suppression checks for every way contacts enter.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from outreach.contacts.import_report import ImportReport
from outreach.contacts.importer import import_csv

COLUMNS = ("email", "first_name", "last_name", "name", "role", "outlet", "website", "type",
           "country", "language", "tags", "beats")


def import_one(sessions: sessionmaker[Session], data: Mapping[str, Any], *, update: bool,
               source: str) -> ImportReport:
    """Import the fields given (lists joined for tags/beats); the report says what happened."""
    row = {name: _cell(data.get(name)) for name in COLUMNS}
    with tempfile.TemporaryDirectory(prefix="outreach-contact-") as tmp:
        path = Path(tmp) / "contact.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerow([row[name] for name in COLUMNS])
        return import_csv(sessions, path, update=update, source=source)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Iterable) and not isinstance(value, str):
        return "; ".join(str(v) for v in value)
    return str(value)
