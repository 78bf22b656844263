"""The webhooks page in Debian's chromium against `outreach web`: a failed attempt is shown
with its error, and "Send again" makes the delivery due again (screenshots kept)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from outreach.config import Settings
from outreach.db.models import WebhookDelivery
from outreach.webhooks import subscriptions
from outreach.webhooks.config import WebhookConfig
from outreach.webhooks.deliver import deliver_one
from outreach.webhooks.events import emit
from tests.fixtures.db import make_test_settings
from tests.fixtures.web import start_server, stop_server

pytestmark = pytest.mark.integration
PASSWORD = "browser-test-password-42"
LOOSE = WebhookConfig(allow_private=True, retry_base=3600, timeout=3)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_test_settings(database_url=db_url, dashboard_password=PASSWORD)


@pytest.fixture
def server(settings, tmp_path):  # type: ignore[no-untyped-def]
    live = start_server(settings, tmp_path)
    yield live
    stop_server(live)


def test_failed_attempt_shown_and_sent_again(page, server, session, webhook_receiver,
                                            artifacts_dir) -> None:
    subscriptions.add(session, webhook_receiver.url, ["reply.received", "alert.paused"],
                      allow_private=True, description="CRM")
    emit(session, "alert.paused", {"id": 4, "title": "Border case", "state": "paused"})
    session.commit()
    delivery_id = session.scalar(select(WebhookDelivery.id))
    deliver_one(session, delivery_id, LOOSE)  # the receiver is down: connection refused

    page.goto(f"{server.url}/dashboard/webhooks")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{server.url}/dashboard/webhooks")
    row = page.locator(f"#delivery-{delivery_id}")
    expect(row).to_contain_text("pending")
    expect(row).to_contain_text("could not connect")
    page.screenshot(path=str(artifacts_dir / "webhooks-failed-attempt.png"), full_page=True)
    row.get_by_role("button", name="Send again").click()
    expect(page.get_by_role("status")).to_contain_text(f"Delivery {delivery_id} will be sent")
    page.screenshot(path=str(artifacts_dir / "webhooks-send-again.png"), full_page=True)

    session.expire_all()
    webhook_receiver.start()
    deliver_one(session, delivery_id, LOOSE)  # due now, no longer waiting out its backoff
    assert len(webhook_receiver.requests) == 1
    page.reload()
    expect(page.locator(f"#delivery-{delivery_id}")).to_contain_text("delivered")
