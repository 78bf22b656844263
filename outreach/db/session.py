"""Engine and sessions, Alembic migrations, and the 'schema is behind' check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, column, create_engine, event, inspect, select, table
from sqlalchemy.orm import Session, sessionmaker

from outreach.errors import SchemaBehindError

MIGRATIONS = Path(str(resources.files("outreach.db") / "migrations"))  # package data too
# Alembic's head revision, written down so that the usual check (a database at the head) is one
# SELECT instead of importing Alembic (0.1 s of every command's start). Alembic stays the
# source of truth: a unit test keeps this equal to its head, and any other answer goes
# through Alembic itself (`ensure_current`).
SCHEMA_HEAD = "0001_initial"
VERSION_TABLE = "alembic_version"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the per-backend settings this project relies on."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # let the "begin" listener issue BEGIN itself
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    """Take SQLite's write lock at BEGIN so that concurrent claims never deadlock on upgrade."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


LIKE_ESCAPE = "\\"


def escape_like(value: str) -> str:
    """`value` matched literally inside a LIKE pattern (pass `escape=LIKE_ESCAPE`)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def ensure_current(engine: Engine) -> None:
    """Raise a plain message when the database has not been migrated to this code's schema."""
    if at_schema_head(engine):
        return
    current, head = current_revision(engine), head_revision(engine)
    if current is None:
        raise SchemaBehindError("the database has no schema yet: run `outreach db upgrade`")
    if current != head:
        raise SchemaBehindError(
            f"the database schema is at {current}, this code needs {head}: "
            "run `outreach db upgrade`"
        )


def at_schema_head(engine: Engine) -> bool:
    """True when the database's one Alembic version is `SCHEMA_HEAD` (a catalog lookup and a
    SELECT, no Alembic import); False for anything else, which `ensure_current` then asks
    Alembic about."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return False
        versions = conn.scalars(select(column("version_num")).select_from(table(VERSION_TABLE)))
        return list(versions) == [SCHEMA_HEAD]
