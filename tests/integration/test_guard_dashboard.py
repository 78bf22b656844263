"""The dashboard's alert page shows what the deliverability guard paused, why, with the
replies (escaped), and resumes the alert and its paused domains with one button."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.audit import list_events
from outreach.db.models import Alert, AlertDomainGuard
from outreach.sending.blast import create_blast
from outreach.sending.guard.rules import Figures, Trip
from outreach.sending.guard.watch import note_policy_rejection, pause_alert
from outreach.web.app import create_app
from tests.fixtures.db import make_test_settings
from tests.integration.sending_data import add_contacts, make_alert
from tests.integration.test_dashboard import PASSWORD, csrf_of, login

pytestmark = pytest.mark.integration
EVIL = "550 5.1.1 <script>alert(1)</script> unknown"


@pytest.fixture
def settings(db_url):  # type: ignore[no-untyped-def]
    return make_test_settings(database_url=db_url, dashboard_password=PASSWORD)


@pytest.fixture
def client(settings, app_ctx):  # type: ignore[no-untyped-def]
    app = create_app(settings, app_ctx)
    app.config["TESTING"] = True
    client = app.test_client()
    login(client)
    return client


def test_the_guard_panel_and_its_resume(client, session, settings):
    emails = add_contacts(session, 4) + add_contacts(session, 2, start=50, domain="mx.example.net")
    alert = make_alert(session, settings)
    alert_id = alert.id
    create_blast(session, alert)
    for n in range(3):
        note_policy_rejection(session, settings, alert_id, 1000 + n, "mx.example.net",
                              {"email": emails[4], "code": 550, "text": "5.7.1 blocked"})
    trip = Trip("hard_bounces", "21 hard bounces in 210 attempts (10 %) is above the limit",
                {"hard_bounces": 21, "attempts": 210})
    assert pause_alert(session, alert_id, trip, Figures(attempts=210, hard_bounces=21),
                       [{"email": emails[0], "code": 550, "text": EVIL}])
    session.commit()
    session.close()

    page = client.get(f"/dashboard/alerts/{alert_id}").get_data(as_text=True)

    assert "Paused automatically:" in page and "21 hard bounces in 210 attempts" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "mx.example.net</strong> paused after\n    3 policy rejections; 2 messages wait" in page
    assert 'id="guard-resume-button"' in page

    response = client.post(f"/dashboard/alerts/{alert_id}/resume",
                           data={"csrf_token": csrf_of(page)})
    assert response.status_code == 302
    with client.application.extensions["outreach"].sessions() as s:
        assert s.scalar(select(Alert.state).where(Alert.id == alert_id)) == "sending"
        assert s.scalar(select(AlertDomainGuard.paused_at)) is None
        actions = [(e.actor, e.action) for e in list_events(s)]
        assert ("dashboard", "alert.resume_domain") in actions
        assert ("system", "alert.auto_pause") in actions
    page = client.get(f"/dashboard/alerts/{alert_id}").get_data(as_text=True)
    assert "Last automatic pause" in page and 'id="guard-resume-button"' not in page
