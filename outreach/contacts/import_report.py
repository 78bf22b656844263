"""What an import did, row by row where it matters: counts, rejected rows, suppressed rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from outreach.contacts.fields import RowError


@dataclass(frozen=True)
class SuppressedRow:
    line: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


@dataclass
class ImportReport:
    path: str
    encoding: str = ""
    delimiter: str = ""
    dry_run: bool = False
    update: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    suppressed: int = 0
    rejected: int = 0
    outlets_created: int = 0
    seconds: float = 0.0
    errors: list[RowError] = field(default_factory=list)
    suppressed_rows: list[SuppressedRow] = field(default_factory=list)

    def reject(self, errors: list[RowError]) -> None:
        self.rejected += 1
        self.errors.extend(errors)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path, "encoding": self.encoding, "delimiter": self.delimiter,
            "dry_run": self.dry_run, "update": self.update, "rows": self.rows,
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
            "duplicates": self.duplicates, "suppressed": self.suppressed,
            "rejected": self.rejected, "outlets_created": self.outlets_created,
            "seconds": round(self.seconds, 3),
            "errors": [e.to_json() for e in self.errors],
            "suppressed_rows": [s.to_json() for s in self.suppressed_rows],
        }
