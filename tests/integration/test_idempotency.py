"""Idempotency keys: running, finished, reused for another request, abandoned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from outreach.access import idempotency
from outreach.db.models import IdempotencyKey
from outreach.db.models.base import utcnow
from tests.fixtures.api import make_api_user

pytestmark = pytest.mark.integration


def test_key_lifecycle(sessions) -> None:
    token_id = make_api_user(sessions, "s@example.org", "sender").token_id
    digest = idempotency.request_digest("/alerts/1/launch", b'{"expected_recipients": 3}')
    row_id, stored = idempotency.begin(sessions, token_id, "k1", "/alerts/1/launch", digest)
    assert row_id is not None and stored is None
    _, running = idempotency.begin(sessions, token_id, "k1", "/alerts/1/launch", digest)
    assert running is not None and running.status is None  # the API answers 409 meanwhile
    idempotency.finish(sessions, row_id, 202, {"body": "{}", "mimetype": "application/json"})
    _, done = idempotency.begin(sessions, token_id, "k1", "/alerts/1/launch", digest)
    assert done is not None and done.status == 202 and done.same_request
    _, other = idempotency.begin(sessions, token_id, "k1", "/alerts/2/launch", digest)
    assert other is not None and not other.same_request

    row_id, _ = idempotency.begin(sessions, token_id, "k2", "/contacts/import", digest)
    with sessions() as session, session.begin():
        session.execute(update(IdempotencyKey).where(IdempotencyKey.id == row_id)
                        .values(created_at=utcnow() - timedelta(minutes=10)))
    taken, stored = idempotency.begin(sessions, token_id, "k2", "/contacts/import", digest)
    assert taken is not None and stored is None
    with sessions() as session:
        row = session.get(IdempotencyKey, taken)
        assert row is not None and utcnow() - row.created_at < timedelta(minutes=1)

    failed, _ = idempotency.begin(sessions, token_id, "k3", "/contacts/import", digest)
    assert failed is not None
    idempotency.finish(sessions, failed, 500, {})
    again, stored = idempotency.begin(sessions, token_id, "k3", "/contacts/import", digest)
    assert again is not None and stored is None  # a server error may be retried
