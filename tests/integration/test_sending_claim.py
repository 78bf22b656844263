"""Claiming, recording and sweeping on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from outreach.contacts.suppression import suppress
from outreach.db.models import Message, MessageEvent
from outreach.db.models.base import utcnow
from outreach.sending import control
from outreach.sending.blast import create_blast
from outreach.sending.claim import claim_batch
from outreach.sending.config import SendingConfig
from outreach.sending.record import Outcome, record_connection, record_outcome
from outreach.sending.sweeper import sweep
from tests.integration.sending_data import add_contacts, contact, make_alert, message_rows

SENT = Outcome("smtp_sent", "sent", 250, "2.0.0 Ok", False)


def blast(session, settings, n=5):  # type: ignore[no-untyped-def]
    emails = add_contacts(session, n)
    alert = make_alert(session, settings)
    summary = create_blast(session, alert)
    session.commit()
    return alert, emails, summary, [m.id for m in message_rows(session, alert.id)]


def claim(session, ids, token="w1:a", lease=60):  # type: ignore[no-untyped-def]
    now = utcnow()
    result = claim_batch(session, ids, token, now + timedelta(seconds=lease), now)
    session.commit()
    return result


def test_a_message_is_claimed_once(session, settings):
    _, _, summary, ids = blast(session, settings)
    assert summary.queued == 5 and summary.suppressed == 0
    first = claim(session, ids)
    assert [c.id for c in first.claimed] == ids
    assert claim(session, ids, token="w2:b").claimed == []  # a duplicated task


def test_a_claim_retried_after_a_lost_commit_takes_its_rows_again(session, settings):
    """The database failed as the claim committed: the worker retries with the same token and
    gets the rows back at once (not after the lease), without a second attempt charged."""
    _, _, _, ids = blast(session, settings, n=4)
    claim(session, ids[:2], token="w1:lost")  # committed, but the worker never heard it
    again = claim(session, ids, token="w1:lost")
    assert [c.id for c in again.claimed] == ids
    assert [(c.id, c.attempts) for c in again.claimed] == [(i, 1) for i in ids]
    assert claim(session, ids, token="w2:other").claimed == []  # nobody else gets them


def test_blast_twice_is_refused_and_adds_nobody(session, settings):
    alert, _, _, ids = blast(session, settings)
    import pytest

    from outreach.errors import UserError

    with pytest.raises(UserError, match="only be sent once"):
        create_blast(session, alert)
    session.rollback()
    assert len(message_rows(session, alert.id)) == len(ids)


def test_sent_messages_are_never_claimed_again(session, settings, engine):
    _, _, _, ids = blast(session, settings, n=2)
    claim(session, ids)
    with record_connection(engine) as conn:
        assert record_outcome(conn, ids[0], "w1:a", SENT, utcnow())
        assert not record_outcome(conn, ids[0], "w1:a", SENT, utcnow())  # recorded once
        if conn.in_transaction():
            conn.commit()
    events = session.scalars(select(MessageEvent.kind).where(MessageEvent.message_id == ids[0]))
    assert list(events) == ["sent"]
    assert claim(session, ids, token="w2:b").claimed == []


def test_paused_or_cancelled_alerts_are_not_claimed(session, settings):
    alert, _, _, ids = blast(session, settings)
    control.pause(session, alert.id)
    session.commit()
    assert claim(session, ids).claimed == []
    control.resume(session, alert.id)
    session.commit()
    assert len(claim(session, ids[:2]).claimed) == 2
    assert control.cancel(session, alert.id) == 3
    session.commit()
    assert claim(session, ids).claimed == []
    statuses = [m.status for m in message_rows(session, alert.id)]
    assert statuses == ["sending", "sending", "cancelled", "cancelled", "cancelled"]


def test_suppression_is_rechecked_at_claim_time(session, settings):
    alert, emails, _, ids = blast(session, settings, n=3)
    suppress(session, contact(session, emails[1]), "unsubscribed", "link")
    session.commit()
    result = claim(session, ids)
    assert [c.id for c in result.claimed] == [ids[0], ids[2]]
    assert result.suppressed == [ids[1]]
    assert [m.status for m in message_rows(session, alert.id)][1] == "suppressed"


def test_suppressed_contacts_are_left_out_of_the_blast(session, settings):
    emails = add_contacts(session, 4)
    suppress(session, contact(session, emails[0]), "bounced", "bounce")
    session.commit()
    alert = make_alert(session, settings)
    summary = create_blast(session, alert)
    session.commit()
    assert (summary.queued, summary.suppressed) == (3, 1)


def test_sweeper_recovers_expired_leases_and_flags_the_one_in_flight(session, settings):
    alert, _, _, ids = blast(session, settings, n=6)
    claim(session, ids[:3], token="dead:1", lease=-1)
    claim(session, ids[3:], token="alive:2", lease=60)
    result = sweep(session, SendingConfig(), utcnow())
    session.commit()
    assert (result.recovered, result.uncertain) == (3, 1)
    rows = message_rows(session, alert.id)
    assert [m.status for m in rows] == ["queued"] * 3 + ["sending"] * 3
    assert [m.uncertain for m in rows] == [True, False, False, False, False, False]
    assert [ids for _, ids in result.batches] == [ids[:3]]  # back on the broker
    again = sweep(session, SendingConfig(), utcnow())
    assert again.batches == []  # enqueued once, not every sweep


def test_sweeper_starts_scheduled_alerts_when_due(session, settings):
    add_contacts(session, 2)
    alert = make_alert(session, settings)
    summary = create_blast(session, alert, at=utcnow() + timedelta(hours=1))
    session.commit()
    assert summary.state == "scheduled"
    assert sweep(session, SendingConfig(), utcnow()).started == []
    later = sweep(session, SendingConfig(), utcnow() + timedelta(hours=2))
    assert later.started == [alert.id]


def test_alert_done_when_nothing_is_open(session, settings, engine):
    alert, _, _, ids = blast(session, settings, n=2)
    claim(session, ids)
    with record_connection(engine) as conn:
        for i in ids:
            record_outcome(conn, i, "w1:a", SENT, utcnow())
        if conn.in_transaction():
            conn.commit()
    assert control.finish_if_complete(session, alert.id)
    session.commit()
    assert session.scalar(select(Message.status).where(Message.id == ids[0])) == "sent"
    session.refresh(alert)
    assert alert.state == "done"


def test_resume_puts_every_waiting_message_back_on_the_broker(session, settings):
    """Tasks published before a pause were taken and dropped while it lasted: resume marks
    every waiting message as on no queue, so `enqueue` publishes them all at once."""
    from outreach.sending.enqueue import enqueue

    alert, _, _, ids = blast(session, settings)
    config = SendingConfig.from_settings(settings)
    published: list[int] = []

    def publish(batches):  # type: ignore[no-untyped-def]
        published.extend(i for _, batch in batches for i in batch)
        return sum(len(b) for _, b in batches)

    assert enqueue(lambda: session, config, alert.id, publish) == 5
    control.pause(session, alert.id)
    session.commit()
    assert enqueue(lambda: session, config, alert.id, publish) == 0  # paused: not due
    control.resume(session, alert.id)
    session.commit()
    assert enqueue(lambda: session, config, alert.id, publish) == 5
    control.resume(session, alert.id)  # already sending: publishes again, state unchanged
    session.commit()
    assert enqueue(lambda: session, config, alert.id, publish) == 5
    assert published == ids * 3 and control.alert_state(session, alert.id) == "sending"

