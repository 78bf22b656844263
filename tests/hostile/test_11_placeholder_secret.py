"""Point 11: the public development secret never signs links in mail sent beyond loopback.

Without OUTREACH_SECRET_KEY (and without OUTREACH_ENV=production) the placeholder secret was
used silently, so anyone could forge one-click unsubscribes for a deployment that forgot the
variable. Now sending through an SMTP server that is not on a loopback address is refused in
one line naming OUTREACH_SECRET_KEY; a loopback relay (tests, `outreach demo`) still works.

The CLI test reaches a real SMTP sink on 127.0.0.1 through this machine's host name, which
resolves to a loopback address but is not one by name: had the old code sent, the sink would
have received it (no traffic leaves the machine).
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from outreach.config import DEV_SECRET
from outreach.config.urls import is_loopback_host
from outreach.errors import ConfigError
from outreach.mta.smtp import sender_from_settings
from tests.fixtures.smtp import RecordingSmtpServer

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _host_name_on_loopback() -> str:
    name = socket.gethostname()
    addresses = {info[4][0] for info in socket.getaddrinfo(name, 25, socket.AF_INET)}
    assert addresses and all(is_loopback_host(a) for a in addresses), (name, addresses)
    assert not is_loopback_host(name)
    return name


def test_alert_test_refuses_a_non_loopback_server_with_the_placeholder_secret(
        run_cli, tmp_path, smtp_sink: RecordingSmtpServer, monkeypatch) -> None:
    shutil.copy(EXAMPLES / "alert.md", tmp_path / "alert.md")
    alert_id = run_cli("alert", "create", "alert.md").stdout.strip()
    monkeypatch.delenv("OUTREACH_SECRET_KEY", raising=False)
    monkeypatch.setenv("OUTREACH_ENV", "development")
    host = _host_name_on_loopback()
    monkeypatch.setenv("OUTREACH_SMTP_URL", f"smtp://{host}:{smtp_sink.port}")
    result = run_cli("alert", "test", alert_id, "--to", "editor@example.com", expect=1)
    message = result.output.strip()
    assert len(message.splitlines()) == 1 and "OUTREACH_SECRET_KEY" in message, message
    assert host in message
    assert smtp_sink.recipients() == []

    monkeypatch.setenv("OUTREACH_SMTP_URL", smtp_sink.url)  # 127.0.0.1: a local relay is fine
    run_cli("alert", "test", alert_id, "--to", "editor@example.com")
    assert len(smtp_sink.wait_for(1)) == 1


@pytest.mark.parametrize("url", ["smtp://smtp.example.org:25", "smtps://192.0.2.10:465",
                                 "smtp+starttls://[2001:db8::1]:587"])
def test_workers_sender_refuses_too(settings, url: str) -> None:
    """`sender_from_settings` is what workers, test sends and the embedded worker use."""
    with pytest.raises(ConfigError, match="OUTREACH_SECRET_KEY"):
        sender_from_settings(settings.replace(secret_key=DEV_SECRET, smtp_url=url))
    sender_from_settings(settings.replace(smtp_url=url)).close()  # a real secret: allowed
    sender_from_settings(settings.replace(secret_key=DEV_SECRET,
                                 smtp_url="smtp://127.0.0.1:2525")).close()
