"""The web app's entry points: `outreach web`, the WSGI module, running behind a proxy."""

from __future__ import annotations

import importlib
import sys

import pytest

from outreach.config import load_settings, to_environ
from outreach.errors import ConfigError
from outreach.mail.links import unsubscribe_url
from outreach.web.app import create_app
from tests.fixtures.db import settings_env
from tests.integration.unsubscribe_data import contact_state, seed

pytestmark = pytest.mark.integration


def test_web_refuses_an_unmigrated_database_in_one_line(run_cli, monkeypatch, tmp_path):
    monkeypatch.setenv("OUTREACH_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    result = run_cli("web", "--port", "0", expect=1)
    assert "outreach db upgrade" in result.output and "Traceback" not in result.output


def test_wsgi_module_builds_the_app_from_the_environment(settings, monkeypatch):
    for key, value in settings_env(settings).items():
        monkeypatch.setenv(key, value)
    sys.modules.pop("outreach.web.wsgi", None)
    wsgi = importlib.import_module("outreach.web.wsgi")
    try:
        response = wsgi.app.test_client().get("/healthz")
        assert response.status_code == 200
    finally:
        wsgi.app.extensions["outreach"].engine.dispose()
        sys.modules.pop("outreach.web.wsgi", None)


def test_behind_a_proxy_the_forwarded_origin_is_ours(settings, app_ctx, session):
    """Without OUTREACH_TRUSTED_PROXIES the forwarded host is not believed (403)."""
    _, contact_id, message_id = seed(session)
    path = "/u/" + unsubscribe_url(settings, message_id).rsplit("/u/", 1)[1]
    headers = {"Origin": "https://alerts.example.org", "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "alerts.example.org", "X-Forwarded-For": "192.0.2.7"}
    direct = create_app(settings, app_ctx).test_client()
    assert direct.post(path, data={"action": "unsubscribe"}, headers=headers).status_code == 403
    assert contact_state(session, contact_id) == (False, "active")

    proxied = settings.replace(trusted_proxies=1)
    client = create_app(proxied, app_ctx).test_client()
    assert client.post(path, data={"action": "unsubscribe"}, headers=headers).status_code == 200
    assert contact_state(session, contact_id) == (True, "unsubscribed")


def test_trusted_proxies_must_be_a_number(settings, app_ctx):
    """Refused when the settings are loaded, before any app is built."""
    with pytest.raises(ConfigError, match="OUTREACH_TRUSTED_PROXIES"):
        load_settings(to_environ(settings) | {"OUTREACH_TRUSTED_PROXIES": "yes"})
