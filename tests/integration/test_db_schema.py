import pytest
from sqlalchemy import text

from outreach.contacts.addresses import address_hash
from outreach.contacts.suppression import is_suppressed, resubscribe, suppress
from outreach.db.models import Contact, Suppression
from outreach.db.session import (
    SCHEMA_HEAD,
    at_schema_head,
    current_revision,
    ensure_current,
    head_revision,
    make_engine,
)
from outreach.errors import SchemaBehindError


def test_migrated_schema_is_current(engine):
    assert current_revision(engine) == head_revision(engine)
    assert at_schema_head(engine)
    ensure_current(engine)


def test_a_schema_behind_is_refused_with_alembics_answer(engine):
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000_older'"))
    try:
        assert not at_schema_head(engine)
        with pytest.raises(SchemaBehindError) as raised:
            ensure_current(engine)
        assert str(raised.value) == (f"the database schema is at 0000_older, this code needs "
                                     f"{SCHEMA_HEAD}: run `outreach db upgrade`")
    finally:  # the PostgreSQL database is shared by the session's tests
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": SCHEMA_HEAD})


def test_a_database_without_schema_is_refused(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    assert not at_schema_head(engine)
    with pytest.raises(SchemaBehindError) as raised:
        ensure_current(engine)
    assert str(raised.value) == "the database has no schema yet: run `outreach db upgrade`"
    engine.dispose()


def test_suppression_survives_and_is_idempotent(session):
    c = Contact(email="anna@example.org", email_hash=address_hash("anna@example.org"))
    session.add(c)
    session.flush()
    assert suppress(session, c, "unsubscribed", "cli") is True
    assert suppress(session, c, "unsubscribed", "one-click") is False
    assert is_suppressed(session, "ANNA@example.org")
    assert c.status == "unsubscribed"
    assert resubscribe(session, c, "asked by phone") is True
    assert not is_suppressed(session, "anna@example.org")
    session.commit()
    assert session.query(Suppression).count() == 0
