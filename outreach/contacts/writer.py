"""Writing one batch of good rows: what each row does to the contact list.

Per batch: one lookup of the contacts already stored, one of the suppressions, one of the
outlets not seen yet (and their labels when rows merge into stored contacts); then the new
contacts with their labels and events in bulk, and the merges. The statements themselves are
in `bulk`. Suppressed addresses are never created, changed or reactivated (an erased contact
has no address left to match, and its suppression keeps the hash, so it is not re-created
either).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from outreach.contacts.bulk import STORED, NewContact, store_for
from outreach.contacts.fields import OUTLET_KIND_FOR_TYPE, ContactRow
from outreach.contacts.import_report import ImportReport, SuppressedRow
from outreach.contacts.merge import contact_changes, new_labels
from outreach.db.models.base import utcnow


@lru_cache(maxsize=8192)
def outlet_key(name: str) -> str:
    """The outlet's identity: 'The  Kyiv Example' and 'the kyiv example' are one outlet."""
    return " ".join(name.casefold().split())


Batch = tuple[dict[str, ContactRow], dict[str, ContactRow]]  # (first occurrences, repeats)


class BatchWriter:
    def __init__(self, session: Session, report: ImportReport, *, update: bool, source: str):
        self.report, self.update, self.source = report, update, source
        self.now = utcnow()
        self.store = store_for(session, source=source, now=self.now)
        self.outlets: dict[str, int] = {}
        self.frozen: set[str] = set()  # addresses this import must leave alone
        self._updates: list[dict[str, Any]] = []
        self._labels: list[tuple[int, str, str]] = []
        self._events: list[tuple[int, str, str]] = []  # (contact id, address hash, detail)

    def write_all(self, batches: Iterator[Batch]) -> None:
        """Write every batch, parsing the next one meanwhile in a helper thread.

        The database's time (PostgreSQL's, SQLite's C code) releases the GIL, so the next
        batch is parsed while this one is written: started by `BulkStore.create` where this
        thread has the least to do, after the batch's lookups (`_plan`: short round trips that
        a parser holding the GIL would each delay by up to the switch interval, 5 ms).
        Only this thread touches the session, and the parser is advanced by one future at a
        time, so rows are still read, rejected and reported in file order, with at most two
        batches in memory.
        """
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-parse") as parser:
            upcoming: list[Future[Batch | None]] = []

            def parse_next() -> None:
                upcoming.append(parser.submit(next, batches, None))

            batch = next(batches, None)
            while batch is not None:
                creates = self._plan(*batch)
                self.store.create(creates, meanwhile=parse_next)
                self._apply(creates)
                batch = upcoming.pop().result()

    def _plan(self, firsts: dict[str, ContactRow], dups: dict[str, ContactRow],
              ) -> list[NewContact]:
        """Decide what each row does (`firsts`: first occurrences in the file; `dups`: repeats
        of earlier batches' rows); merges are queued, new contacts returned with their ids."""
        dups = {e: r for e, r in dups.items() if e not in self.frozen}
        stored = self.store.existing([*firsts, *dups])
        suppressed = self.store.suppressed([r.email_hash for r in firsts.values()])
        creates: list[ContactRow] = []
        merges: list[tuple[dict[str, Any], ContactRow, bool]] = []
        for email, row in firsts.items():
            if row.email_hash in suppressed:
                self._suppress(row, suppressed[row.email_hash])
            elif email not in stored:
                creates.append(row)
            elif self.update:
                merges.append((stored[email], row, True))
            else:
                self.report.unchanged += 1
                self.report.note(row.line, email, "unchanged", "already on the list")
                self.frozen.add(email)
        merges += [(stored[e], row, False) for e, row in dups.items() if e in stored]
        self._resolve_outlets([*creates, *(row for _, row, _ in merges)])
        if merges:
            labels = self.store.labels_of([current["id"] for current, _, _ in merges])
            for current, row, overwrite in merges:
                self._merge(current, labels, row, overwrite=overwrite)
        ids = self.store.new_ids("contacts", len(creates)) if creates else []
        return [(i, row, self._outlet_id(row)) for i, row in zip(ids, creates, strict=True)]

    def _apply(self, creates: list[NewContact]) -> None:
        """The rest of the batch: the report of its new contacts, then the merges."""
        report = self.report
        report.created += len(creates)
        for _, row, _ in creates:
            if not report.listing:
                break
            report.note(row.line, row.email, "create", " · ".join(
                v for v in (row.name, row.outlet, row.language, row.country) if v))
        if self._updates:
            self.store.update(self._updates)
            self.store.add_labels(self._labels)
            self.store.add_events("updated", self._events)
        self._updates, self._labels, self._events = [], [], []

    def _suppress(self, row: ContactRow, reason: str) -> None:
        self.report.suppressed += 1
        self.report.suppressed_rows.append(SuppressedRow(row.line, reason))
        self.report.note(row.line, row.email, "suppressed", f"{reason}: left alone")
        self.frozen.add(row.email)

    def _resolve_outlets(self, rows: list[ContactRow]) -> None:
        wanted: dict[str, ContactRow] = {}
        for row in rows:
            if row.outlet and outlet_key(row.outlet) not in self.outlets:
                wanted.setdefault(outlet_key(row.outlet), row)
        if not wanted:
            return
        self.outlets.update(self.store.outlets(list(wanted)))
        missing = [(k, r) for k, r in wanted.items() if k not in self.outlets]
        if missing:
            created = self.store.add_outlets([
                (r.outlet, k, r.country, OUTLET_KIND_FOR_TYPE.get(r.type or "", "media"),
                 r.website) for k, r in missing])
            self.report.outlets_created += len(created)
            self.outlets.update(created)

    def _outlet_id(self, row: ContactRow) -> int | None:
        return self.outlets.get(outlet_key(row.outlet)) if row.outlet else None

    def _merge(self, current: dict[str, Any], labels: dict[int, set[tuple[str, str]]],
               row: ContactRow, *, overwrite: bool) -> None:
        """Apply a row to a stored contact; `overwrite` is --update, else a duplicate's fill."""
        changes = contact_changes(current, row, self._outlet_id(row), overwrite=overwrite)
        added = new_labels(row, labels[current["id"]])
        if changes or added:
            current.update(changes)
            labels[current["id"]].update(added)
            self._updates.append({k: current[k] for k in STORED})
            self._labels += [(current["id"], k, v) for k, v in added]
        if overwrite and (changes or added):
            self.report.updated += 1
            self.report.note(row.line, row.email, "update",
                             ", ".join([*sorted(changes), *(k for k, _ in added)]))
            self._events.append((current["id"], row.email_hash,
                                 f"{self.source}: {', '.join(sorted(changes))}" if changes
                                 else self.source))
        elif overwrite:
            self.report.unchanged += 1
            self.report.note(row.line, row.email, "unchanged", "no new values")
