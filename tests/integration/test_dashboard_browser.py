"""The dashboard in Debian's chromium (Playwright) against `outreach web` on 127.0.0.1."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from outreach.config import Settings
from outreach.db.models import Alert, Message, MessageEvent
from outreach.db.models.base import utcnow
from tests.fixtures.cli import json_output
from tests.fixtures.db import make_test_settings
from tests.fixtures.web import start_server, stop_server

PASSWORD = "browser-test-password-42"
STATUSES = ("queued", "sending", "sent", "deferred", "bounced", "failed", "suppressed",
            "cancelled")


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_test_settings(database_url=db_url, dashboard_password=PASSWORD)


@pytest.fixture
def server(settings, tmp_path):
    live = start_server(settings, tmp_path)
    yield live
    stop_server(live)


def _log_in(page, server, password: str = PASSWORD) -> None:
    page.goto(f"{server.url}/dashboard/alerts")
    assert "/dashboard/login" in page.url
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def _mark_sent(sessions, message_id: int) -> None:
    with sessions() as s:
        s.execute(update(Message).where(Message.id == message_id)
                  .values(status="sent", message_id_header=f"<{message_id}-live@example.org>",
                          sent_at=utcnow()))
        s.add(MessageEvent(message_id=message_id, kind="smtp_sent", from_status="queued",
                           to_status="sent"))
        s.commit()


def _table(page) -> dict[str, dict[str, str]]:
    out = {}
    for row in page.locator("#reach-table tbody tr[data-key]").all():
        cells = {c.get_attribute("data-col"): c.inner_text().strip()
                 for c in row.locator("[data-col]").all()}
        out[row.get_attribute("data-key")] = cells
    return out


def test_live_alert_outlets_and_pause(page, server, reach_example, sessions, run_cli,
                                      artifacts_dir):
    with sessions() as s:
        s.get(Alert, reach_example.alert_id).state = "sending"
        s.commit()
    _log_in(page, server)
    page.wait_for_url("**/dashboard/alerts")  # back where the login redirect started
    row = page.locator(f'tr[data-alert="{reach_example.alert_id}"]')
    assert row.locator('[data-field="sent"]').inner_text() == "3"
    page.screenshot(path=str(artifacts_dir / "dashboard-alerts.png"), full_page=True)

    page.goto(f"{server.url}/dashboard/alerts/{reach_example.alert_id}")
    sent = page.locator('[data-count="sent"]')
    assert sent.inner_text() == "3"
    assert page.locator("#alert-state").inner_text() == "sending"
    _mark_sent(sessions, reach_example.message_ids["hal@other.example.com"])
    expect(sent).to_have_text("4", timeout=10_000)  # updated by the 2-second poll, no reload
    assert page.locator('[data-count="queued"]').inner_text() == "0"
    _mark_sent(sessions, reach_example.message_ids["ida@other.example.com"])
    expect(sent).to_have_text("5", timeout=10_000)
    page.screenshot(path=str(artifacts_dir / "dashboard-alert-live.png"), full_page=True)

    page.reload()
    report = json_output(run_cli("report", str(reach_example.alert_id), "--json"))
    table = _table(page)
    assert set(table) == {r["key"] for r in report["rows"]}
    for r in report["rows"]:
        cells = table[r["key"]]
        for col in ("targeted", *STATUSES, "replied", "auto_replied", "unsubscribed",
                    "opened", "clicked"):
            assert cells[col] == str(r[col]), (r["key"], col)
        assert cells["reached"] == ("yes" if r["reached"] else "no")
        assert cells["engaged"] == ("yes" if r["engaged"] else "no")
    assert table["domain:other.example.com"]["reached"] == "yes"  # hal and ida are sent now

    page.get_by_role("button", name="Pause").click()
    page.wait_for_url(f"**/dashboard/alerts/{reach_example.alert_id}")
    assert page.locator("#alert-state").inner_text() == "paused"
    assert page.get_by_role("button", name="Resume").is_visible()
    with sessions() as s:
        assert s.scalar(select(Alert.state).where(Alert.id == reach_example.alert_id)) \
            == "paused"
    page.screenshot(path=str(artifacts_dir / "dashboard-alert-paused.png"), full_page=True)


def test_wrong_password_and_no_javascript(page_without_js, server, reach_example,
                                          artifacts_dir):
    page = page_without_js
    _log_in(page, server, "wrong password")
    assert page.locator("#login-error").inner_text() == \
        "Login failed. Check your credentials and try again."
    page.screenshot(path=str(artifacts_dir / "dashboard-login-failed.png"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{server.url}/dashboard/alerts/{reach_example.alert_id}")
    assert page.locator('[data-count="sent"]').inner_text() == "3"
    assert page.get_by_role("link", name="Refresh").count() == 1
    page.goto(f"{server.url}/dashboard/contacts?q=anna")
    assert page.locator("#contacts tbody tr").count() == 1


def test_real_blast_counts_move_then_pause(page, settings, smtp_sink, session, tmp_path,
                                           artifacts_dir):
    """A real blast (`outreach alert send`, embedded worker, rate-limited to 5/s, into an
    aiosmtpd sink) watched in the browser: the sent count moves without reload, Pause stops
    delivery."""
    import subprocess
    import sys
    import time

    from tests.fixtures.web import _server_env
    from tests.integration.sending_data import add_contacts, make_alert

    settings = settings.replace(smtp_url=smtp_sink.url)
    add_contacts(session, 60)
    alert = make_alert(session, settings)
    web = start_server(settings, tmp_path)
    env = _server_env(settings) | {"OUTREACH_RATE_LIMIT": "5/s", "OUTREACH_SWEEP_SECONDS": "0.5",
                                   "OUTREACH_SEND_BATCH_SIZE": "10"}
    with (tmp_path / "send.log").open("wb") as log:
        sender = subprocess.Popen(
            [sys.executable, "-c", "from outreach.cli import main; main()", "alert", "send",
             "--yes", str(alert.id)], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        _log_in(page, web)
        page.wait_for_url("**/dashboard/alerts")
        page.goto(f"{web.url}/dashboard/alerts/{alert.id}")
        expect(page.locator("#alert-state")).to_have_text("sending", timeout=15_000)
        sent = page.locator('[data-count="sent"]')
        expect(sent).not_to_have_text("0", timeout=15_000)
        first = int(sent.inner_text())
        expect(sent).not_to_have_text(str(first), timeout=10_000)  # moving, no reload
        assert int(sent.inner_text()) > first
        page.screenshot(path=str(artifacts_dir / "dashboard-real-blast.png"), full_page=True)
        page.get_by_role("button", name="Pause").click()
        expect(page.locator("#alert-state")).to_have_text("paused")
        time.sleep(1.5)  # a batch in flight finishes its current message, then stops
        delivered = len(smtp_sink.messages)
        time.sleep(2.5)
        assert len(smtp_sink.messages) == delivered < 60
        page.reload()
        assert int(page.locator('[data-count="sent"]').inner_text()) == delivered
        page.screenshot(path=str(artifacts_dir / "dashboard-real-blast-paused.png"),
                        full_page=True)
    finally:
        sender.terminate()
        sender.wait(timeout=10)
        stop_server(web)
