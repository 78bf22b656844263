"""Point 14: an unreachable broker costs one line naming OUTREACH_BROKER_URL and its host.

`alert send` against a broker nobody listens on used to print a 120-line traceback. The real
`outreach` executable in a subprocess (what an operator sees on stderr), a closed loopback
port, SQLite and PostgreSQL; nothing is queued when the broker cannot be reached.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from outreach.db.models import Message
from tests.fixtures.db import settings_env
from tests.fixtures.web import free_port
from tests.integration.sending_data import add_contacts, make_alert

pytestmark = pytest.mark.integration


@pytest.mark.timeout(120)
def test_alert_send_with_unreachable_broker_prints_one_line(session, settings, tmp_path) -> None:
    add_contacts(session, 3)
    session.commit()
    alert = make_alert(session, settings)
    port = free_port()  # nobody listens here
    password = "s3cret-broker-pw"
    url = f"redis://:{password}@127.0.0.1:{port}/0"
    env = {**os.environ, **settings_env(settings.replace(broker_url=url))}
    outreach = os.path.join(os.path.dirname(sys.executable), "outreach")
    result = subprocess.run([outreach, "alert", "send", str(alert.id), "--yes"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=100)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr[-3000:]
    assert len(lines) == 1, result.stderr[-3000:]
    assert "OUTREACH_BROKER_URL" in lines[0] and f"127.0.0.1:{port}" in lines[0], lines
    assert password not in result.stderr and "Traceback" not in result.stderr
    session.expire_all()
    queued = session.scalar(select(func.count()).select_from(Message).where(
        Message.status.in_(("queued", "enqueued"))))
    assert not queued
