"""`outreach alert send` states the count and asks; scripts must say --yes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from outreach.db.models import Message
from tests.integration.sending_data import add_contacts, make_alert


@pytest.fixture
def settings(settings, smtp_sink):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_url=smtp_sink.url)


@pytest.fixture
def alert(session, settings):
    add_contacts(session, 4, languages=("en", "ru"))
    alert_id = make_alert(session, settings, variants=True).id
    session.rollback()  # SQLite: hold no lock while the CLI runs
    return alert_id


def _messages(session) -> int:
    session.expire_all()
    count = session.scalar(select(func.count()).select_from(Message)) or 0
    session.rollback()  # SQLite: release the write lock the CLI needs
    return count


@pytest.mark.timeout(60)
def test_without_terminal_and_without_yes_refuses_in_one_line(session, alert, run_cli):
    result = run_cli("alert", "send", str(alert), expect=1)
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(f"alert {alert} would go to 4 contacts (2 en, 2 ru)")
    assert lines[-1] == (f"error: alert send {alert}: would mail 4 contacts; no terminal "
                         "to confirm on, so pass --yes to send")
    assert _messages(session) == 0


@pytest.mark.timeout(60)
def test_terminal_answer_no_sends_nothing_and_everyone_asks_twice(session, alert, run_cli,
                                                                  monkeypatch):
    monkeypatch.setattr("outreach.cli.confirm.on_terminal", lambda: True)
    result = run_cli("alert", "send", str(alert), input="n\n", expect=1)
    assert "Send alert" in result.output and "to 4 contacts?" in result.output
    assert _messages(session) == 0
    result = run_cli("alert", "send", str(alert), input="y\nn\n", expect=1)
    assert "goes to EVERY contact" in result.output  # the alert has no segment
    assert _messages(session) == 0
    run_cli("alert", "send", str(alert), input="y\ny\n")
    assert _messages(session) == 4
