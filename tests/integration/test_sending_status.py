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


def test_status_warns_when_messages_wait_and_no_worker_sweeps(session, settings, run_cli):
    from datetime import timedelta

    from outreach.db.models.base import utcnow
    from outreach.sending import liveness
    from tests.fixtures.cli import json_output

    add_contacts(session, 2)
    alert = make_alert(session, settings)
    create_blast(session, alert)
    session.commit()
    status = json_output(run_cli("alert", "status", str(alert.id), "--json"))
    assert "no worker has swept ever" in status["warning"] and status["last_sweep_at"] is None
    liveness.beat(session, "w:1:a", utcnow())
    liveness.take_sweep_turn(session, "w:1:a", utcnow() - timedelta(seconds=90), 2.0)
    session.commit()
    assert "for 9" in json_output(run_cli("alert", "status", str(alert.id), "--json"))["warning"]
    assert "warning:" in run_cli("alert", "status", str(alert.id)).output
    liveness.take_sweep_turn(session, "w:1:a", utcnow(), 2.0)
    session.commit()
    assert json_output(run_cli("alert", "status", str(alert.id), "--json"))["warning"] is None
