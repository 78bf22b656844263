"""The statements of an import, per backend: a few per batch of thousands of rows.

The writer decides what each row does; this module only reads and writes, in plain SQL on the
session's own connection (one transaction), since SQLAlchemy's per-row parameter handling cost
more than the databases themselves. Lookups take the whole batch as ONE parameter (a JSON
array). An import holds the database's write lock for its whole transaction (SQLite: BEGIN
IMMEDIATE, see `db.session`; PostgreSQL: a transaction-level advisory lock taken here), so
imports run one after another, what a batch's lookups found stays true until it is written,
and new contacts get their ids up front: contacts, tags/beats and 'imported' events then go in
as plain bulk inserts, with no RETURNING, no ON CONFLICT and no round trip per row:
- SQLite: multi-row `INSERT ... VALUES`, as many rows a statement as its variable limit allows;
- PostgreSQL: COPY, whose rows psycopg formats in C while the server takes them in.
Outlets and merges into stored contacts take the same paths.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache
from itertools import repeat
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from outreach.contacts.fields import ContactRow
from outreach.db.models import Contact

CONTACTS: Table = Contact.__table__  # type: ignore[assignment]
UPDATABLE = ("first_name", "last_name", "name", "role", "type", "country", "language",
             "outlet_id", "attributes")
STORED = ("id", "email", *UPDATABLE)
CONTACT_COLUMNS = ("id", "email", "email_hash", "first_name", "last_name", "name", "role",
                   "outlet_id", "type", "country", "language", "attributes", "status",
                   "source", "created_at", "updated_at")
LABEL_COLUMNS = ("contact_id", "kind", "value")
OUTLET_COLUMNS = ("id", "name", "name_key", "country", "kind", "website", "created_at")
EVENT_COLUMNS = ("contact_id", "address_hash", "kind", "channel", "detail", "at")
MAX_STATEMENT_ROWS = 4096  # SQLite: rows in one INSERT (fewer where its variable limit says)
SMALL_STATEMENT_ROWS = 64  # ... and at least (statements of 64, 128, ... rows)
# pg_advisory_xact_lock key of contact imports (any constant that no other lock uses)
IMPORT_LOCK = 0x6F75_7472_6561_6368

NewContact = tuple[int, ContactRow, int | None]  # a new contact's id, row and outlet id


def store_for(session: Session, *, source: str, now: datetime) -> BulkStore:
    """The store for the session's backend, its write lock taken."""
    if session.get_bind().dialect.name == "postgresql":
        return PostgresStore(session, source=source, now=now)
    return SqliteStore(session, source=source, now=now)


class BulkStore:
    """What both backends share; subclasses say how a batch is passed and written."""

    def __init__(self, session: Session, *, source: str, now: datetime):
        self.session, self.source, self.now = session, source, now
        dialect = session.get_bind().dialect
        stored = CONTACTS.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
        self.stamp = stored(now) if stored else now  # as SQLAlchemy stores it, once

    def _in(self, values: list[Any], sql_type: str) -> tuple[str, str]:
        """SQL for `column IN (values)` with the values as one JSON parameter."""
        raise NotImplementedError

    def _rows(self, sql: str, param: str) -> list[Any]:
        raise NotImplementedError

    def new_ids(self, table: str, count: int) -> list[int]:
        """`count` ids for new rows of `table` (the import holds the write lock)."""
        raise NotImplementedError

    def _write(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]],
               meanwhile: Callable[[], object] | None = None) -> None:
        """Insert `rows` (tuples in the order of `columns`) into `table`; a generator is
        consumed as the rows are sent, so that on PostgreSQL they are built while the server
        stores the ones before. `meanwhile()` is called once the rows are sent, before this
        thread waits for the database to finish with them."""
        raise NotImplementedError

    def create(self, rows: list[NewContact], meanwhile: Callable[[], object]) -> None:
        """Insert new contacts (ids from `new_ids`) with their labels and 'imported' events.

        `meanwhile()` starts other work (the next batch's parse) at the point where this
        thread has the least to do for the longest time: SQLite holds no GIL while it runs a
        statement, so right away; PostgreSQL once the labels are sent, while the server checks
        their foreign keys (each return from the server, and the rows it waits for, would
        otherwise wait up to the interpreter's switch interval, 5 ms, for the GIL).
        """
        source, stamp = self.source, self.stamp
        self._start_early(meanwhile)
        self._write("contacts", CONTACT_COLUMNS, (
            (i, row.email, row.email_hash, row.first_name, row.last_name, row.name, row.role,
             outlet, row.type or "other", row.country, row.language,
             json.dumps(row.attributes) if row.attributes else "{}", "active", source, stamp,
             stamp) for i, row, outlet in rows))
        self._write("contact_events", EVENT_COLUMNS, (
            (i, row.email_hash, "imported", "import", source, stamp) for i, row, _ in rows))
        self._write("contact_labels", LABEL_COLUMNS, (
            label for i, row, _ in rows for label in zip(repeat(i), *_labels(row.tags, row.beats))),
            meanwhile=self._late(meanwhile))

    def _start_early(self, meanwhile: Callable[[], object]) -> None:
        """Where the backend runs `meanwhile` before writing (SQLite)."""

    def _late(self, meanwhile: Callable[[], object]) -> Callable[[], object] | None:
        """`meanwhile` where the backend runs it once the labels are sent (PostgreSQL)."""
        return None

    def _lookup(self, columns: str, table: str, key: str, values: list[Any],
                sql_type: str = "text") -> list[Any]:
        if not values:
            return []
        where, param = self._in(values, sql_type)
        # identifiers are this module's constants; the values are one bound parameter
        return self._rows(f"SELECT {columns} FROM {table} WHERE {key}{where}", param)  # noqa: S608

    def existing(self, emails: list[str]) -> dict[str, dict[str, Any]]:
        """The stored contacts with these addresses: {email: {column: value}}."""
        found = {row[1]: dict(zip(STORED, row, strict=True))
                 for row in self._lookup(", ".join(STORED), "contacts", "email", emails)}
        for contact in found.values():
            contact["attributes"] = self._attributes(contact["attributes"])
        return found

    def _attributes(self, stored: Any) -> Any:
        """The attributes column as read by the driver, as a dict."""
        return stored

    def suppressed(self, hashes: list[str]) -> dict[str, str]:
        """{address hash: suppression reason} for the suppressed ones among `hashes`."""
        return dict(self._lookup("address_hash, reason", "suppressions", "address_hash", hashes))

    def labels_of(self, ids: list[int]) -> dict[int, set[tuple[str, str]]]:
        found: dict[int, set[tuple[str, str]]] = {i: set() for i in ids}
        for contact_id, kind, value in self._lookup(", ".join(LABEL_COLUMNS), "contact_labels",
                                                    "contact_id", ids, "integer"):
            found[contact_id].add((kind, value))
        return found

    def outlets(self, keys: list[str]) -> dict[str, int]:
        """{name_key: id} of the stored outlets among `keys`."""
        return dict(self._lookup("name_key, id", "outlets", "name_key", keys))

    def add_outlets(self, outlets: list[tuple[str, str, str | None, str, str | None]],
                    ) -> dict[str, int]:
        """Insert outlets, each (name, name_key, country, kind, website): {name_key: id}."""
        ids = self.new_ids("outlets", len(outlets))
        self._write("outlets", OUTLET_COLUMNS, [(i, *outlet, self.stamp)
                                                for i, outlet in zip(ids, outlets, strict=True)])
        return {outlet[1]: i for i, outlet in zip(ids, outlets, strict=True)}

    def update(self, contacts: list[dict[str, Any]]) -> None:
        """Store the UPDATABLE columns of these contacts (dicts with "id" and those columns)."""
        if contacts:
            stmt = update(CONTACTS).where(CONTACTS.c.id == bindparam("b_id")).values(
                {**{n: bindparam(f"b_{n}") for n in UPDATABLE}, "updated_at": self.now})
            self.session.execute(stmt, [{f"b_{k}": c[k] for k in STORED if k != "email"}
                                        for c in contacts])

    def add_labels(self, labels: list[tuple[int, str, str]]) -> None:
        """(contact_id, kind, value) labels the contacts do not have yet."""
        self._write("contact_labels", LABEL_COLUMNS, labels)

    def add_events(self, kind: str, events: list[tuple[int, str, str]]) -> None:
        """`kind` events (channel 'import'), each (contact id, address hash, detail)."""
        self._write("contact_events", EVENT_COLUMNS, [
            (i, address_hash, kind, "import", detail, self.stamp)
            for i, address_hash, detail in events])


class SqliteStore(BulkStore):
    def __init__(self, session: Session, *, source: str, now: datetime):
        super().__init__(session, source=source, now=now)
        self.raw: sqlite3.Connection = session.connection().connection.driver_connection
        self.limit = _sqlite_variable_limit(self.raw)

    def _in(self, values: list[Any], sql_type: str) -> tuple[str, str]:
        return " IN (SELECT value FROM json_each(?))", json.dumps(values)

    def _rows(self, sql: str, param: str) -> list[Any]:
        return self.raw.execute(sql, (param,)).fetchall()

    def _attributes(self, stored: Any) -> Any:
        return json.loads(stored) if stored is not None else None  # JSON text in SQLite

    def new_ids(self, table: str, count: int) -> list[int]:
        """The ids SQLite itself would give (max + 1, ...); BEGIN IMMEDIATE holds the lock."""
        # `table` is one of this module's constants
        (top,) = self.raw.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()  # noqa: S608
        return list(range(top + 1, top + 1 + count))

    def _start_early(self, meanwhile: Callable[[], object]) -> None:
        meanwhile()

    def _write(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]],
               meanwhile: Callable[[], object] | None = None) -> None:
        """`INSERT INTO table (columns) SELECT * FROM (VALUES (...), (...), ...)`: one call
        into SQLite for thousands of rows.

        A chunk is padded to a power of two rows with rows of NULLs, which `WHERE column1 IS
        NOT NULL` drops (the first column, an id, is never NULL): sqlite3 keeps the last 128
        statements prepared, up to 2 MB each at these sizes, so statements of every length a
        batch happened to have held hundreds of MB; a few lengths per table hold a few MB.
        """
        if meanwhile is not None:
            meanwhile()
        rows = list(rows)
        width = len(columns)
        big = max(1, min(self.limit // width, MAX_STATEMENT_ROWS))
        for start in range(0, len(rows), big):
            chunk = rows[start:start + big]
            size = SMALL_STATEMENT_ROWS
            while size < len(chunk):
                size *= 2
            size = min(size, big)
            params = [value for row in chunk for value in row]
            params += [None] * (width * (size - len(chunk)))
            self.raw.execute(_padded_insert(table, columns, size), params)


class PostgresStore(BulkStore):
    def __init__(self, session: Session, *, source: str, now: datetime):
        super().__init__(session, source=source, now=now)
        self.raw: Any = session.connection().connection.driver_connection
        self.stamp = now.isoformat()  # psycopg formats a datetime per row; the server parses
        with self.raw.cursor() as cursor:  # released when the import's transaction ends
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (IMPORT_LOCK,))

    def _in(self, values: list[Any], sql_type: str) -> tuple[str, str]:
        # `= ANY(array)` keeps the index scan that a join with the JSON rows may not get
        return (f" = ANY(ARRAY(SELECT json_array_elements_text(%s::json))::{sql_type}[])",
                json.dumps(values))

    def _rows(self, sql: str, param: str) -> list[Any]:
        with self.raw.cursor() as cursor:
            return cursor.execute(sql, (param,)).fetchall()

    def new_ids(self, table: str, count: int) -> list[int]:
        with self.raw.cursor() as cursor:
            cursor.execute("SELECT nextval(sequence) FROM generate_series(1, %s), "
                           "pg_get_serial_sequence(%s, 'id') AS sequence", (count, table))
            return [i for (i,) in cursor.fetchall()]

    def _late(self, meanwhile: Callable[[], object]) -> Callable[[], object] | None:
        return meanwhile

    def _write(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]],
               meanwhile: Callable[[], object] | None = None) -> None:
        rows = iter(rows)
        if (first := next(rows, None)) is None:
            if meanwhile is not None:
                meanwhile()
            return
        # identifiers are this module's constants; every value goes through COPY
        with self.raw.cursor() as cursor, cursor.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write_row(first)
            for row in rows:
                copy.write_row(row)
            if meanwhile is not None:
                meanwhile()


@lru_cache(maxsize=64)
def _padded_insert(table: str, columns: tuple[str, ...], rows: int) -> str:
    """SQLite: insert `rows` rows of `columns`, leaving out those whose first column is NULL."""
    one = "(" + ", ".join("?" * len(columns)) + ")"
    # identifiers are this module's constants; every value is a bound parameter
    return (f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
            f"SELECT * FROM (VALUES {', '.join([one] * rows)}) WHERE column1 IS NOT NULL")


@lru_cache(maxsize=1024)
def _labels(tags: frozenset[str], beats: frozenset[str]) -> tuple[tuple[str, ...], ...]:
    """(kinds, values) of a row's labels: rows share a few label sets, so this is cached."""
    pairs = [("tag", t) for t in sorted(tags)] + [("beat", b) for b in sorted(beats)]
    return tuple(k for k, _ in pairs), tuple(v for _, v in pairs)


def _sqlite_variable_limit(raw: Any) -> int:
    """SQLite's host-parameter limit (32766 since 3.32, 999 before)."""
    try:
        return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    except (AttributeError, sqlite3.Error):
        return 999
