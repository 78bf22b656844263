"""The written-down head revision (the one-SELECT schema check) is Alembic's head."""

from __future__ import annotations

from outreach.db.session import SCHEMA_HEAD, head_revision, make_engine


def test_schema_head_is_alembics_head() -> None:
    engine = make_engine("sqlite://")  # Alembic reads the migration scripts, not the database
    assert head_revision(engine) == SCHEMA_HEAD, (
        "a migration was added: set outreach.db.session.SCHEMA_HEAD to its revision")
