"""The record journal's replay on PostgreSQL: what a crash may have forgotten is written
again exactly once, and what someone else took meanwhile is flagged uncertain."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from outreach.db.models import Message, MessageEvent
from outreach.db.models.base import utcnow
from outreach.sending.blast import create_blast
from outreach.sending.claim import claim_batch
from outreach.sending.journal import Entry, RecordJournal, replay
from outreach.sending.record import Outcome, record_connection, record_outcome
from tests.integration.sending_data import add_contacts, make_alert

pytestmark = pytest.mark.integration
SENT = Outcome("smtp_sent", "sent", 250, "2.0.0 Ok", False)
LATER = Outcome("smtp_deferred", "deferred", 451, "4.3.0 later", False)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_replay_writes_back_what_was_lost_and_flags_what_was_taken(session, settings, engine):
    add_contacts(session, 4)
    alert = make_alert(session, settings)
    create_blast(session, alert)
    session.commit()
    ids = list(session.scalars(select(Message.id).order_by(Message.id)))
    now = utcnow()
    claim_batch(session, ids, "w:1:a:t", now + timedelta(seconds=60), now)
    session.commit()
    at = utcnow()
    with record_connection(engine) as conn:  # the record of ids[3] survived the crash
        assert record_outcome(conn, ids[3], "w:1:a:t", LATER, at)
    # The crash forgot: the record of ids[0] (still `sending` under our claim) and the claim
    # and record of ids[1] (back to `queued`); ids[2] was claimed by another worker since.
    session.execute(update(Message).where(Message.id == ids[1])
                    .values(status="queued", claimed_by=None, lease_until=None))
    session.execute(update(Message).where(Message.id == ids[2])
                    .values(claimed_by="w:2:b:u"))
    session.commit()
    journal = RecordJournal()
    for message_id, outcome in zip(ids, (SENT, SENT, SENT, LATER), strict=True):
        journal.add(Entry(message_id, "w:1:a:t", outcome, at, None))
    with record_connection(engine) as conn:
        replay(conn, journal.snapshot())
        replay(conn, journal.snapshot())  # idempotent
    session.expire_all()
    rows = {m.id: m for m in session.scalars(select(Message))}
    assert [rows[i].status for i in ids] == ["sent", "sent", "sending", "deferred"]
    assert [rows[i].uncertain for i in ids] == [False, False, True, False]
    events = list(session.scalars(select(MessageEvent.message_id).order_by(MessageEvent.id)))
    assert sorted(events) == [ids[0], ids[1], ids[3]]  # one each, none twice

