from outreach.contacts.addresses import address_hash
from outreach.contacts.suppression import is_suppressed, resubscribe, suppress
from outreach.db.models import Contact, Suppression
from outreach.db.session import current_revision, ensure_current, head_revision


def test_migrated_schema_is_current(engine):
    assert current_revision(engine) == head_revision(engine)
    ensure_current(engine)


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
