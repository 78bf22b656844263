"""The statements of an import, per backend: a few per batch of thousands of rows.

The writer decides what each row does; this module only reads and writes, in plain SQL on the
session's own connection (one transaction), since SQLAlchemy's per-row parameter handling cost
more than the databases themselves. Lookups take the whole batch as ONE parameter (a JSON array
on SQLite, an array on PostgreSQL). New contacts, the bulk of a large import, are written with
their tags, beats and 'imported' events:
- SQLite: multi-row `INSERT ... VALUES`, as many rows a statement as its variable limit allows,
  the values that are the same for every row converted once per import;
- PostgreSQL: the batch COPYed into a temporary table, then ONE statement (data-modifying CTEs)
  that inserts the contacts and derives their labels and events on the server.
The rarer statements (outlets, merges into stored contacts) share one generic path.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Table, bindparam, update
from sqlalchemy.orm import Session

from outreach.contacts.fields import ContactRow
from outreach.db.models import Contact, ContactEvent, ContactLabel, Outlet

CONTACTS: Table = Contact.__table__  # type: ignore[assignment]
LABELS: Table = ContactLabel.__table__  # type: ignore[assignment]
OUTLETS: Table = Outlet.__table__  # type: ignore[assignment]
EVENTS: Table = ContactEvent.__table__  # type: ignore[assignment]
UPDATABLE = ("first_name", "last_name", "name", "role", "type", "country", "language",
             "outlet_id", "attributes")
STORED = ("id", "email", *UPDATABLE)
# a new contact's columns: `BulkStore._fields`, then attributes
NEW_COLUMNS = ("email", "email_hash", "first_name", "last_name", "name", "role", "outlet_id",
               "type", "country", "language", "attributes")
EVENT_COLUMNS = ("contact_id", "address_hash", "kind", "channel", "detail", "at")

NewContact = tuple[ContactRow, int | None]  # a row to create, with its outlet's id


def store_for(session: Session, *, source: str, now: datetime) -> BulkStore:
    """The store for the session's backend."""
    if session.get_bind().dialect.name == "postgresql":
        return PostgresStore(session, source=source, now=now)
    return SqliteStore(session, source=source, now=now)


class BulkStore:
    """What both backends share; subclasses say how a batch is passed and written."""

    def __init__(self, session: Session, *, source: str, now: datetime):
        self.session, self.source, self.now = session, source, now

    def _in(self, values: list[Any]) -> tuple[str, Any]:
        """SQL for `column IN (values)` with the values as one parameter, and that parameter."""
        raise NotImplementedError

    def _rows(self, sql: str, param: Any) -> list[Any]:
        raise NotImplementedError

    def create(self, rows: list[NewContact]) -> dict[str, int]:
        """Insert new contacts with their labels and 'imported' events: {email: id} of those
        inserted (an address inserted meanwhile by a concurrent import is skipped)."""
        raise NotImplementedError

    def _lookup(self, columns: str, table: str, key: str, values: list[Any]) -> list[Any]:
        if not values:
            return []
        where, param = self._in(values)
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
        for contact_id, kind, value in self._lookup("contact_id, kind, value", "contact_labels",
                                                    "contact_id", ids):
            found[contact_id].add((kind, value))
        return found

    def outlets(self, keys: list[str]) -> dict[str, int]:
        """{name_key: id} of the stored outlets among `keys`."""
        return dict(self._lookup("name_key, id", "outlets", "name_key", keys))

    def add_outlets(self, values: list[dict[str, Any]]) -> dict[str, int]:
        """Insert outlets (skipping names inserted meanwhile): {name_key: id} of those inserted."""
        return {k: i for i, k in insert_ignore(self.session, OUTLETS, values, ["name_key"],
                                                ["id", "name_key"])}

    def update(self, contacts: list[dict[str, Any]]) -> None:
        """Store the UPDATABLE columns of these contacts (dicts with "id" and those columns)."""
        if contacts:
            stmt = update(CONTACTS).where(CONTACTS.c.id == bindparam("b_id")).values(
                {**{n: bindparam(f"b_{n}") for n in UPDATABLE}, "updated_at": self.now})
            self.session.execute(stmt, [{f"b_{k}": c[k] for k in STORED if k != "email"}
                                        for c in contacts])

    def add_labels(self, labels: list[dict[str, Any]]) -> None:
        if labels:
            insert_ignore(self.session, LABELS, labels, ["contact_id", "kind", "value"])

    def add_events(self, events: list[dict[str, Any]]) -> None:
        if events:
            insert_ignore(self.session, EVENTS, events, ["id"])

    @staticmethod
    def _fields(row: ContactRow, outlet_id: int | None) -> tuple[Any, ...]:
        """A new contact's NEW_COLUMNS but the last (attributes, whose form is the backend's)."""
        return (row.email, row.email_hash, row.first_name, row.last_name, row.name, row.role,
                outlet_id, row.type or "other", row.country, row.language)


class SqliteStore(BulkStore):
    def __init__(self, session: Session, *, source: str, now: datetime):
        super().__init__(session, source=source, now=now)
        self.raw: sqlite3.Connection = session.connection().connection.driver_connection
        dialect = session.get_bind().dialect
        when = CONTACTS.c.created_at.type.bind_processor(dialect)
        self.stamp = when(now) if when else now  # the stored form, converted once
        self.to_json = CONTACTS.c.attributes.type.bind_processor(dialect) or json.dumps
        self.empty_json = self.to_json({})
        self.limit = _sqlite_variable_limit(self.raw)

    def _in(self, values: list[Any]) -> tuple[str, Any]:
        return " IN (SELECT value FROM json_each(?))", json.dumps(values)

    def _rows(self, sql: str, param: Any) -> list[Any]:
        return self.raw.execute(sql, (param,)).fetchall()

    def _attributes(self, stored: Any) -> Any:
        return json.loads(stored) if stored is not None else None  # JSON text in SQLite

    def create(self, rows: list[NewContact]) -> dict[str, int]:
        if not rows:
            return {}
        to_json, empty, stamp = self.to_json, self.empty_json, self.stamp
        values = [(*self._fields(row, outlet),
                   to_json(row.attributes) if row.attributes else empty,
                   "active", self.source, stamp, stamp) for row, outlet in rows]
        columns = (*NEW_COLUMNS, "status", "source", "created_at", "updated_at")
        ids = dict(self._insert("contacts", columns, values,
                                " ON CONFLICT (email) DO NOTHING RETURNING email, id"))
        created = [(ids[row.email], row) for row, _ in rows if row.email in ids]
        self._insert("contact_labels", ("contact_id", "kind", "value"),
                     [(i, kind, value) for i, row in created
                      for kind, labels in (("tag", row.tags), ("beat", row.beats))
                      for value in labels])
        self._insert("contact_events", EVENT_COLUMNS,
                     [(i, row.email_hash, "imported", "import", self.source, stamp)
                      for i, row in created])
        return ids

    def _insert(self, table: str, columns: tuple[str, ...], values: list[tuple[Any, ...]],
                tail: str = "") -> list[Any]:
        """`INSERT INTO table (columns) VALUES (...), (...), ...`, chunked to the variable
        limit; the rows `tail` (a RETURNING clause) returns."""
        per_statement = max(1, self.limit // len(columns))
        one = "(" + ", ".join("?" * len(columns)) + ")"
        # identifiers are this module's constants; every value is a bound parameter
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608
        found: list[Any] = []
        for start in range(0, len(values), per_statement):
            chunk = values[start:start + per_statement]
            params = [value for row in chunk for value in row]
            found += self.raw.execute(head + ", ".join([one] * len(chunk)) + tail,
                                      params).fetchall()
        return found


class PostgresStore(BulkStore):
    STAGE = "import_new_contacts"
    STAGE_TYPES = ("int4", "text", "text", "text", "text", "text", "text", "int4", "text",
                   "text", "text", "jsonb", "text[]", "text[]")
    # identifiers and SQL are this module's constants; every value is a bound parameter
    CREATE = f"""
        WITH created AS (
            INSERT INTO contacts ({", ".join(NEW_COLUMNS)}, status, source, created_at,
                                  updated_at)
            SELECT {", ".join(NEW_COLUMNS)}, 'active', %(source)s, %(now)s, %(now)s
            FROM {STAGE} ORDER BY line
            ON CONFLICT (email) DO NOTHING
            RETURNING id, email, email_hash),
        labels AS (
            INSERT INTO contact_labels (contact_id, kind, value)
            SELECT created.id, label.kind, label.value
            FROM created JOIN {STAGE} AS stage USING (email),
                 LATERAL (SELECT 'tag', unnest(stage.tags)
                          UNION ALL SELECT 'beat', unnest(stage.beats)) AS label(kind, value)),
        events AS (
            INSERT INTO contact_events ({", ".join(EVENT_COLUMNS)})
            SELECT id, email_hash, 'imported', 'import', %(source)s, %(now)s FROM created)
        SELECT email, id FROM created"""  # noqa: S608

    def __init__(self, session: Session, *, source: str, now: datetime):
        super().__init__(session, source=source, now=now)
        self.raw: Any = session.connection().connection.driver_connection
        self.staged = False

    def _in(self, values: list[Any]) -> tuple[str, Any]:
        return " = ANY(%s)", list(values)

    def _rows(self, sql: str, param: Any) -> list[Any]:
        with self.raw.cursor() as cursor:
            return cursor.execute(sql, (param,)).fetchall()

    def create(self, rows: list[NewContact]) -> dict[str, int]:
        """COPY the new contacts, with their tags and beats as arrays, into a temporary table
        (psycopg formats COPY rows in C), then CREATE: one round trip, and the 4-5 label rows
        and the event of each contact never leave the server."""
        if not rows:
            return {}
        with self.raw.cursor() as cursor:
            if not self.staged:  # dropped at the end of the import's transaction
                cursor.execute(f"CREATE TEMP TABLE {self.STAGE} ON COMMIT DROP AS "  # noqa: S608
                               f"SELECT 0 AS line, {', '.join(NEW_COLUMNS)}, "
                               "'{}'::text[] AS tags, '{}'::text[] AS beats "
                               "FROM contacts WITH NO DATA")
                self.staged = True
            columns = ("line", *NEW_COLUMNS, "tags", "beats")
            with cursor.copy(f"COPY {self.STAGE} ({', '.join(columns)}) FROM STDIN") as copy:
                copy.set_types(self.STAGE_TYPES)
                for row, outlet in rows:
                    copy.write_row((row.line, *self._fields(row, outlet), row.attributes,
                                    list(row.tags), list(row.beats)))
            ids = dict(cursor.execute(self.CREATE, {"source": self.source, "now": self.now})
                       .fetchall())
            cursor.execute(f"TRUNCATE {self.STAGE}")
        return ids


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
    JSON), so they are stored exactly as SQLAlchemy stores them."""
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
    """PostgreSQL: COPY the rows into a temporary table, then one `INSERT ... SELECT ...
    ON CONFLICT DO NOTHING` from it. The temporary table has the target's column types and no
    constraints; it lives until the import's transaction ends and is emptied after each use.
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
