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


MAX_OUTCOMES = 5000  # rows listed one by one (counts are always complete)


@dataclass(frozen=True)
class RowOutcome:
    """What a good row does: create, update, unchanged, merge (a duplicate), suppressed."""

    line: int
    email: str
    action: str
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "email": self.email, "action": self.action,
                "detail": self.detail}


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
    warnings: list[RowError] = field(default_factory=list)  # rows imported with a change
    suppressed_rows: list[SuppressedRow] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)  # kept as attributes, unmapped
    outcomes: list[RowOutcome] = field(default_factory=list)

    @property
    def listing(self) -> bool:
        """Whether rows are still listed one by one (say so before building a long detail)."""
        return len(self.outcomes) < MAX_OUTCOMES

    def note(self, line: int, email: str, action: str, detail: str = "") -> None:
        if self.listing:
            self.outcomes.append(RowOutcome(line, email, action, detail))

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
            "warnings": [w.to_json() for w in self.warnings],
            "suppressed_rows": [s.to_json() for s in self.suppressed_rows],
            "unknown_columns": self.unknown_columns,
            "outcomes": [o.to_json() for o in self.outcomes],
        }
