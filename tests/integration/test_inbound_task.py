"""The Celery beat task that polls the inbound mailbox."""

from __future__ import annotations

import pytest

from outreach.config import Settings
from tests.fixtures.db import make_test_settings
from tests.fixtures.imap import ImapServer
from tests.integration.inbound_rows import make_sent_alert, readdressed

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(db_url: str, imap_server: ImapServer) -> Settings:
    return make_test_settings(database_url=db_url, imap_url=imap_server.url,
                              inbound_poll_seconds=30)


def test_beat_polls_inbound_on_its_schedule(settings: Settings, imap_server: ImapServer,
                                             sessions) -> None:
    from workers.app import app, use_settings
    from workers.tasks_inbound import poll_inbound

    use_settings(settings)
    entry = app.conf.beat_schedule["poll-inbound"]
    assert entry["task"] == "workers.tasks_inbound.poll_inbound" and entry["schedule"] == 30.0
    with sessions() as session:
        sent = make_sent_alert(session, settings, ["anna.editor@example.net"])
    imap_server.append(readdressed("reply-en-quoted.eml", settings,
                                   sent.messages["anna.editor@example.net"]))
    result = poll_inbound.apply().get()
    assert result["recorded"] == {"reply": 1}
    assert poll_inbound.apply().get()["seen"] == 0


def test_no_beat_entry_without_an_imap_url(db_url: str) -> None:
    from workers.app import app, use_settings

    use_settings(make_test_settings(database_url=db_url))
    assert "poll-inbound" not in app.conf.beat_schedule
