"""`outreach db ...`: schema migrations."""

from __future__ import annotations

import click
from rich.console import Console

from outreach.cli import LazyContext, pass_app
from outreach.db.session import current_revision, head_revision, upgrade


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@pass_app
def db_upgrade(lazy: LazyContext) -> None:
    """Create or migrate the database schema to the current version."""
    engine = lazy.app.engine
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    msg = "already at" if before == after else f"upgraded from {before or 'empty'} to"
    Console().print(f"database {msg} {after}")


@db_group.command("status")
@pass_app
def db_status(lazy: LazyContext) -> None:
    """Show the schema revision of the database and of this code."""
    engine = lazy.app.engine
    current, head = current_revision(engine), head_revision(engine)
    state = "current" if current == head else "BEHIND: run `outreach db upgrade`"
    Console().print(f"database: {current or 'empty'}  code: {head}  ({state})")


def register(main: click.Group) -> None:
    main.add_command(db_group)
