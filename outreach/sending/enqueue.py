"""Putting an alert's due messages on the broker: mark them enqueued, commit, then publish.

Queue after commit (Warehouse's rule): a worker that takes a task finds the rows it names.
The first, small batch goes at once (a blast's first message reaches the server within a
second or two), then the rest in chunks so that memory stays flat as blasts grow. Everything
due is published here, at once; what becomes due later (deferred retries, messages taken back
from a dead worker) is published by the sweeper. The broker adapter is passed in as a
`Publisher` (`workers.tasks.publish`): the core never imports `workers`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from outreach.db.models.base import utcnow
from outreach.db.session import session_scope
from outreach.sending.config import SendingConfig
from outreach.sending.control import finish_if_complete
from outreach.sending.ports import Publisher
from outreach.sending.sweeper import due_batches

ENQUEUE_CHUNK = 5000


def enqueue(sessions: sessionmaker[Session], config: SendingConfig, alert_id: int,
            publish: Publisher) -> int:
    """Publish every due message of the alert that is on no queue; returns how many."""
    published, limit = 0, max(1, config.batch_size // 4)  # a small first batch goes at once
    while True:
        with session_scope(sessions) as session:
            batches = due_batches(session, config, utcnow(), alert_id=alert_id, limit=limit)
            finish_if_complete(session, alert_id)
        count = publish(batches)
        published += count
        if count < limit and limit == ENQUEUE_CHUNK:
            return published
        limit = ENQUEUE_CHUNK
