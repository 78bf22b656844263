"""Writing one batch of good rows: a handful of bulk statements per thousand rows.

Per batch: one SELECT of the contacts already stored, one of their labels, one of the
suppressions, one for outlets; then multi-row INSERT ... ON CONFLICT DO NOTHING for new
contacts, outlets and labels, and one executemany UPDATE. Suppressed addresses are never
created, changed or reactivated (an erased contact has no address left to match, and its
suppression keeps the hash, so it is not re-created either).
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Table, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from outreach.contacts.fields import OUTLET_KIND_FOR_TYPE, ContactRow
from outreach.contacts.import_report import ImportReport, SuppressedRow
from outreach.contacts.merge import contact_changes, new_labels
from outreach.db.models import Contact, ContactEvent, ContactLabel, Outlet, Suppression
from outreach.db.models.base import utcnow

CONTACTS: Table = Contact.__table__  # type: ignore[assignment]
LABELS: Table = ContactLabel.__table__  # type: ignore[assignment]
OUTLETS: Table = Outlet.__table__  # type: ignore[assignment]
EVENTS: Table = ContactEvent.__table__  # type: ignore[assignment]
UPDATABLE = ("first_name", "last_name", "name", "role", "type", "country", "language",
             "outlet_id", "attributes")


def outlet_key(name: str) -> str:
    """The outlet's identity: 'The  Kyiv Example' and 'the kyiv example' are one outlet."""
    return " ".join(name.casefold().split())


def insert_ignore(session: Session, table: Table, rows: list[dict[str, Any]],
                  conflict: Iterable[str], returning: Iterable[str] = ()) -> list[Any]:
    """Multi-row INSERT that skips rows clashing with `conflict` (a concurrent import);
    the `returning` columns of the rows inserted."""
    returned = list(returning)
    if session.get_bind().dialect.name == "postgresql":
        return _copy_insert(session, table, rows, list(conflict), returned)
    return _values_insert(session, table, rows, list(conflict), returned)


def _values_insert(session: Session, table: Table, rows: list[dict[str, Any]],
                   conflict: list[str], returning: list[str]) -> list[Any]:
    """SQLite: `INSERT ... VALUES (...), (...), ...` with as many rows per statement as its
    variable limit allows. Values go through the columns' own bind processors (datetimes,
    JSON), so they are stored exactly as SQLAlchemy stores them; SQLAlchemy's per-row
    parameter handling (executemany + RETURNING) cost more than SQLite itself."""
    conn = session.connection()
    dialect = conn.dialect
    columns = list(rows[0])
    processors = [(i, proc) for i, name in enumerate(columns)
                  if (proc := table.c[name].type.bind_processor(dialect)) is not None]
    values_of = itemgetter(*columns)
    limit = _sqlite_variable_limit(conn.connection.driver_connection)
    per_statement = max(1, min(len(rows), limit // len(columns)))
    one = "(" + ", ".join("?" * len(columns)) + ")"
    # identifiers come from our own table metadata; every value is a bound parameter
    head = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "  # noqa: S608
    tail = f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
    if returning:
        tail += f" RETURNING {', '.join(returning)}"
    found: list[Any] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        params: list[Any] = []
        for row in chunk:
            values = list(values_of(row)) if len(columns) > 1 else [row[columns[0]]]
            for i, proc in processors:
                if values[i] is not None:
                    values[i] = proc(values[i])
            params += values
        result = conn.exec_driver_sql(head + ", ".join([one] * len(chunk)) + tail,
                                      tuple(params))
        if returning:
            found += result.all()
    return found


def _sqlite_variable_limit(raw: Any) -> int:
    """SQLite's host-parameter limit (32766 since 3.32, 999 before)."""
    try:
        return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    except (AttributeError, sqlite3.Error):
        return 999


def _copy_insert(session: Session, table: Table, rows: list[dict[str, Any]],
                 conflict: list[str], returning: list[str]) -> list[Any]:
    """PostgreSQL: COPY the batch into a temporary table, then one `INSERT ... SELECT ...
    ON CONFLICT DO NOTHING` from it. COPY's rows are formatted by psycopg's C code; an
    `unnest` of array parameters (the previous way) had psycopg quote every array element in
    Python, which cost more client CPU than the rest of the import. The temporary table has
    the target's column types and no constraints; it lives until the import's transaction
    ends and is emptied after each batch.
    """
    columns = list(rows[0])
    names = ", ".join(columns)
    staging = f"import_{table.name}_{zlib.crc32(names.encode()):08x}"  # one per column set
    json_columns = {i for i, name in enumerate(columns) if isinstance(table.c[name].type, JSON)}
    raw = session.connection().connection.driver_connection
    # identifiers come from our own table metadata; every value goes through COPY
    with raw.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "  # noqa: S608
                       f"SELECT {names} FROM {table.name} WITH NO DATA")
        with cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for row in rows:
                values = [row[c] for c in columns]
                for i in json_columns:
                    if values[i] is not None:
                        values[i] = json.dumps(values[i])
                copy.write_row(values)
        sql = (f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {staging} "  # noqa: S608
               f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING")
        if returning:
            sql += f" RETURNING {', '.join(returning)}"
        cursor.execute(sql)
        found = cursor.fetchall() if returning else []
        cursor.execute(f"TRUNCATE {staging}")
    return found


class BatchWriter:
    def __init__(self, session: Session, report: ImportReport, *, update: bool, source: str):
        self.session, self.report, self.update, self.source = session, report, update, source
        self.now = utcnow()
        self.outlets: dict[str, int] = {}
        self.frozen: set[str] = set()  # addresses this import must leave alone
        self._updates: list[dict[str, Any]] = []
        self._labels: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []

    def write_all(self, batches: Iterator[tuple[dict[str, ContactRow], dict[str, ContactRow]]],
                  ) -> None:
        """Write every batch, parsing the next one meanwhile in a helper thread.

        The database's time (PostgreSQL's round trips, SQLite's C code) releases the GIL, so
        parsing and validating batch n+1 overlaps writing batch n: about 40 % off the wall
        time of a large import. Only this thread touches the session; the parser is advanced
        by one future at a time, so rows are still read, rejected and reported in file order,
        and at most two batches are in memory besides the one being written.
        """
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-parse") as parser:
            upcoming = parser.submit(next, batches, None)
            while (batch := upcoming.result()) is not None:
                upcoming = parser.submit(next, batches, None)
                self.write(*batch)

    def write(self, firsts: dict[str, ContactRow], dups: dict[str, ContactRow]) -> None:
        """`firsts`: first occurrences in the file; `dups`: repeats of earlier batches' rows."""
        dups = {e: r for e, r in dups.items() if e not in self.frozen}
        stored = self._load([*firsts, *dups])
        suppressed = self._suppressed([r.email_hash for r in firsts.values()])
        creates: list[ContactRow] = []
        merges: list[tuple[dict[str, Any], ContactRow, bool]] = []
        for email, row in firsts.items():
            if row.email_hash in suppressed:
                self.report.suppressed += 1
                reason = suppressed[row.email_hash]
                self.report.suppressed_rows.append(SuppressedRow(row.line, reason))
                self.report.note(row.line, email, "suppressed", f"{reason}: left alone")
                self.frozen.add(email)
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
        labels = self._stored_labels([current["id"] for current, _, _ in merges])
        for current, row, overwrite in merges:
            self._merge(current, labels, row, overwrite=overwrite)
        self._create(creates)
        self._flush()

    def _in(self, column: Any, values: list[Any]) -> Any:
        """`column IN (...)`; on PostgreSQL `column = ANY(array)`, one parameter instead of
        a batch's 2,000 (each of which SQLAlchemy renders and psycopg parses per statement)."""
        if self.session.get_bind().dialect.name == "postgresql":
            return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
        return column.in_(values)

    def _load(self, emails: list[str]) -> dict[str, dict[str, Any]]:
        if not emails:
            return {}
        cols = [CONTACTS.c.id, CONTACTS.c.email, *(CONTACTS.c[n] for n in UPDATABLE)]
        rows = self.session.execute(select(*cols).where(self._in(CONTACTS.c.email, emails)))
        return {r.email: dict(r._mapping) for r in rows}

    def _stored_labels(self, ids: list[int]) -> dict[int, set[tuple[str, str]]]:
        found: dict[int, set[tuple[str, str]]] = {i: set() for i in ids}
        if ids:
            query = select(LABELS.c.contact_id, LABELS.c.kind, LABELS.c.value).where(
                self._in(LABELS.c.contact_id, ids))
            for contact_id, kind, value in self.session.execute(query):
                found[contact_id].add((kind, value))
        return found

    def _suppressed(self, hashes: list[str]) -> dict[str, str]:
        query = select(Suppression.address_hash, Suppression.reason).where(
            self._in(Suppression.__table__.c.address_hash, hashes))
        return {h: reason for h, reason in self.session.execute(query)} if hashes else {}

    def _resolve_outlets(self, rows: list[ContactRow]) -> None:
        wanted: dict[str, ContactRow] = {}
        for row in rows:
            if row.outlet and outlet_key(row.outlet) not in self.outlets:
                wanted.setdefault(outlet_key(row.outlet), row)
        if not wanted:
            return
        self._select_outlets(list(wanted))
        missing = [(k, r) for k, r in wanted.items() if k not in self.outlets]
        if missing:
            values = [{"name": r.outlet, "name_key": k, "country": r.country,
                       "kind": OUTLET_KIND_FOR_TYPE.get(r.type or "", "media"),
                       "website": r.website, "created_at": self.now} for k, r in missing]
            result = insert_ignore(self.session, OUTLETS, values, ["name_key"],
                                   ["id", "name_key"])
            created = {i: k for i, k in result}
            self.report.outlets_created += len(created)
            self.outlets.update({k: i for i, k in created.items()})
            self._select_outlets([k for k, _ in missing if k not in self.outlets])

    def _select_outlets(self, keys: list[str]) -> None:
        if keys:
            query = select(OUTLETS.c.name_key, OUTLETS.c.id).where(
                self._in(OUTLETS.c.name_key, keys))
            self.outlets.update(dict(self.session.execute(query).all()))

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
            self._updates.append({f"b_{k}": current[k] for k in ("id", *UPDATABLE)})
            self._labels += [{"contact_id": current["id"], "kind": k, "value": v}
                             for k, v in added]
        if overwrite and (changes or added):
            self.report.updated += 1
            self.report.note(row.line, row.email, "update",
                             ", ".join([*sorted(changes), *(k for k, _ in added)]))
            self._event(current["id"], row.email_hash, "updated", sorted(changes))
        elif overwrite:
            self.report.unchanged += 1
            self.report.note(row.line, row.email, "unchanged", "no new values")

    def _create(self, rows: list[ContactRow]) -> None:
        if not rows:
            return
        values = [{
            "email": r.email, "email_hash": r.email_hash, "first_name": r.first_name,
            "last_name": r.last_name, "name": r.name, "role": r.role,
            "outlet_id": self._outlet_id(r), "type": r.type or "other", "country": r.country,
            "language": r.language, "attributes": r.attributes, "status": "active",
            "source": self.source, "created_at": self.now, "updated_at": self.now,
        } for r in rows]
        result = insert_ignore(self.session, CONTACTS, values, ["email"], ["id", "email"])
        ids = {email: i for i, email in result}
        for row in rows:
            contact_id = ids.get(row.email)
            if contact_id is None:  # inserted meanwhile by a concurrent import
                self.report.unchanged += 1
                continue
            self.report.created += 1
            self.report.note(row.line, row.email, "create", " · ".join(
                v for v in (row.name, row.outlet, row.language, row.country) if v))
            self._labels += [{"contact_id": contact_id, "kind": k, "value": v}
                             for k, v in new_labels(row, set())]
            self._event(contact_id, row.email_hash, "imported", [])

    def _event(self, contact_id: int, email_hash: str, kind: str, fields: list[str]) -> None:
        detail = self.source + (f": {', '.join(fields)}" if fields else "")
        self._events.append({"contact_id": contact_id, "address_hash": email_hash, "kind": kind,
                             "channel": "import", "detail": detail, "at": self.now})

    def _flush(self) -> None:
        if self._updates:
            stmt = update(CONTACTS).where(CONTACTS.c.id == bindparam("b_id")).values(
                {**{n: bindparam(f"b_{n}") for n in UPDATABLE}, "updated_at": self.now})
            self.session.execute(stmt, self._updates)
        if self._labels:
            insert_ignore(self.session, LABELS, self._labels, ["contact_id", "kind", "value"])
        if self._events:
            insert_ignore(self.session, EVENTS, self._events, ["id"])
        self._updates, self._labels, self._events = [], [], []
