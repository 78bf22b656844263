"""The dashboard's webhooks page: deliveries with their attempts, and "send again"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.db.models import WebhookDelivery
from outreach.web.app import create_app
from outreach.webhooks import subscriptions
from outreach.webhooks.config import WebhookConfig
from outreach.webhooks.deliver import deliver_one
from outreach.webhooks.events import emit
from tests.fixtures.db import make_test_settings
from tests.integration.test_dashboard import PASSWORD, csrf_of, login

pytestmark = pytest.mark.integration


def test_attempts_are_listed_and_send_again_makes_it_due(db_url, session,
                                                        webhook_receiver) -> None:
    app = create_app(make_test_settings(database_url=db_url, dashboard_password=PASSWORD))
    subscriptions.add(session, webhook_receiver.url, ["alert.paused"], allow_private=True)
    emit(session, "alert.paused", {"id": 3, "title": "<script>x</script>", "state": "paused"})
    session.commit()
    delivery_id = session.scalar(select(WebhookDelivery.id))
    deliver_one(session, delivery_id, WebhookConfig(allow_private=True, retry_base=3600))

    client = app.test_client()
    assert client.get("/dashboard/webhooks").status_code in (302, 401)
    login(client)
    page = client.get("/dashboard/webhooks").get_data(as_text=True)
    assert webhook_receiver.url in page and "alert.paused" in page
    assert "could not connect" in page and "no answer" in page
    path = f"/dashboard/webhooks/deliveries/{delivery_id}/send-again"
    assert client.post(path, data={}).status_code == 400  # no CSRF token
    response = client.post(path, data={"csrf_token": csrf_of(page)})
    assert response.status_code == 302
    session.expire_all()
    delivery = session.get(WebhookDelivery, delivery_id)
    assert delivery.status == "pending" and delivery.attempts == 1
    webhook_receiver.start()
    deliver_one(session, delivery_id, WebhookConfig(allow_private=True))
    assert len(webhook_receiver.requests) == 1
