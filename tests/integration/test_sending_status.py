"""The JSON shape of `alert status --json` (issue 4), on a real database."""

from __future__ import annotations

from outreach.sending.blast import create_blast
from outreach.sending.states import MESSAGE_STATUSES
from outreach.sending.status import alert_status
from tests.integration.sending_data import add_contacts, make_alert


def test_status_shape(session, settings):
    add_contacts(session, 3)
    alert = make_alert(session, settings)
    draft = alert_status(session, alert.id)
    assert draft["state"] == "draft" and draft["total"] == 0
    create_blast(session, alert)
    session.commit()
    status = alert_status(session, alert.id)
    assert {"alert", "state", "total", "counts"} <= set(status)
    assert status["alert"] == alert.id and status["state"] == "sending"
    assert list(status["counts"]) == list(MESSAGE_STATUSES)
    assert status["counts"]["queued"] == 3 == status["total"] == status["open"]
    assert status["uncertain"] == 0
