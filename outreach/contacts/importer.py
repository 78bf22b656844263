"""Importing a contacts CSV: stream, parse, merge duplicates, write in batches, report.

The whole file is one transaction: a file that turns out unreadable halfway (mixed
encodings) writes nothing, and `--dry-run` is the same import rolled back, so its report is
exactly what a real run would do. Rejected rows never stop the good ones.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from outreach.contacts.csvfile import Record, open_csv
from outreach.contacts.fields import (
    ContactRow,
    Header,
    RowError,
    check_mapping,
    parse_row,
    split_labels,
)
from outreach.contacts.import_report import ImportReport
from outreach.contacts.merge import merge_rows
from outreach.contacts.writer import Batch, BatchWriter
from outreach.errors import UserError

BATCH_SIZE = 2000
HEADER_SEARCH_ROWS = 5


def import_csv(sessions: sessionmaker[Session], path: Path, *, update: bool = False,
               dry_run: bool = False, tags: Iterable[str] = (),
               check_deliverability: bool = False, source: str | None = None,
               mapping: Mapping[str, str] | None = None,
               audit: Callable[[Session, ImportReport], object] | None = None,
               multiline_cells: bool = False) -> ImportReport:
    """Import `path` into the contact list and say what happened to every row.

    `mapping` names what unrecognised columns hold (`{"Sprache": "language"}`); the columns
    still unrecognised are listed in the report. `audit(session, report)` runs just before
    the commit, so its row commits with the import (never for a dry run).
    Raises UserError, writing nothing, when the file cannot be read at all (missing, binary,
    no email column, undecodable, a header row wider than MAX_COLUMNS) or a stray quote swallows
    rows (unless `multiline_cells`).
    """
    started = time.perf_counter()
    path = Path(path)
    mapping = check_mapping(mapping or {})
    fmt, records = open_csv(path, multiline_cells=multiline_cells)
    header = _find_header(path, records, mapping)
    report = ImportReport(path=str(path), encoding=fmt.encoding, delimiter=fmt.delimiter,
                          dry_run=dry_run, update=update,
                          unknown_columns=[c for c in header.extra if c not in mapping])
    extra_tags = split_labels(",".join(tags))
    with _older_objects_set_aside(), sessions() as session:
        writer = BatchWriter(session, report, update=update,
                             source=(source or path.name)[:300])
        writer.write_all(_batches(records, header, report, extra_tags, check_deliverability))
        if dry_run:
            session.rollback()
        else:
            if audit is not None:
                audit(session, report)
            session.commit()
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def _older_objects_set_aside() -> Iterator[None]:
    """Keep the garbage collector's passes to the objects the import itself makes.

    An import allocates millions of small objects, so every few thousand rows the collector
    makes a full pass, and each pass also walked every object the process had before (its
    modules and caches, 100,000 or so): half a second of CPU per 100,000 rows. `gc.freeze`
    leaves those out until the import ends; the import's own objects are collected as usual.
    (Another import running at the same time may unfreeze them early: it only costs time.)
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _find_header(path: Path, records: Iterator[Record], mapping: Mapping[str, str]) -> Header:
    """The header row: the first record naming an email column, looking past a few title
    lines ('Press list, spring 2025') that spreadsheets often carry above it."""
    first_error: str | None = None
    for count, record in enumerate(records, start=1):
        try:
            return Header.parse(record.values, mapping)
        except UserError as exc:
            first_error = first_error or f"line {record.line}: {exc}"
            if count >= HEADER_SEARCH_ROWS:
                break
    raise UserError(f"{path}: {first_error or 'the file has no rows'}")


def _batches(records: Iterator[Record], header: Header, report: ImportReport,
             extra_tags: frozenset[str], check_deliverability: bool) -> Iterator[Batch]:
    """Good rows in batches, duplicates folded: within a batch into the first occurrence,
    across batches passed as `dups` for the writer to merge into what it stored."""
    seen: set[str] = set()
    firsts: dict[str, ContactRow] = {}
    dups: dict[str, ContactRow] = {}
    for record in records:
        report.rows += 1
        parsed = parse_row(header, record.line, record.values,
                           check_deliverability=check_deliverability)
        report.warnings.extend(RowError(record.line, "row", note) for note in record.notes)
        if isinstance(parsed, list):
            report.reject(parsed)
            continue
        report.warnings.extend(parsed.warnings)
        parsed.tags = parsed.tags | extra_tags
        _place(parsed, seen, firsts, dups, report)
        if len(firsts) + len(dups) >= BATCH_SIZE:
            yield firsts, dups
            firsts, dups = {}, {}
    if firsts or dups:
        yield firsts, dups


def _place(row: ContactRow, seen: set[str], firsts: dict[str, ContactRow],
           dups: dict[str, ContactRow], report: ImportReport) -> None:
    if row.email not in seen:
        seen.add(row.email)
        firsts[row.email] = row
        return
    report.duplicates += 1
    report.note(row.line, row.email, "merge", "a repeat of an earlier line, merged into it")
    if row.email in firsts:
        merge_rows(firsts[row.email], row)
    elif row.email in dups:
        merge_rows(dups[row.email], row)
    else:
        dups[row.email] = row
