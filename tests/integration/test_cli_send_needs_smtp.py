"""Embedded mode without OUTREACH_SMTP_URL: one line, exit 1, nothing queued (it used to hang)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from outreach.db.models import Message
from tests.integration.sending_data import add_contacts, make_alert


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_url=None, broker_url=None)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("command", ["send", "resume", "retry-failed"])
def test_send_without_smtp_fails_before_queueing(session, settings, run_cli, command):
    add_contacts(session, 3)
    session.commit()
    alert = make_alert(session, settings)
    result = run_cli("alert", command, str(alert.id), expect=1)
    assert result.output.startswith("error: OUTREACH_SMTP_URL: not set")
    assert len(result.output.strip().splitlines()) == 1
    assert session.scalar(select(func.count()).select_from(Message)) == 0
