"""The record journal's bookkeeping (pure): what a durable commit covers is forgotten."""

from __future__ import annotations

from outreach.db.models.base import utcnow
from outreach.sending.journal import Entry, RecordJournal
from outreach.sending.record import Outcome

SENT = Outcome("smtp_sent", "sent", 250, "2.0.0 Ok", False)


def test_the_journal_forgets_what_a_durable_commit_covered():
    journal = RecordJournal()
    at = utcnow()
    journal.add(Entry(1, "t", SENT, at, None))
    journal.add(Entry(2, "t", SENT, at, None))
    journal.acked(1, 10.0)
    journal.durable_before(11.0)  # 2 was never acknowledged: it stays
    assert [e.message_id for e in journal.snapshot()] == [2]
    journal.acked(2, 12.0)
    journal.durable_before(11.5)
    assert [e.message_id for e in journal.snapshot()] == [2]
    journal.durable_before(12.5)
    assert journal.snapshot() == []
