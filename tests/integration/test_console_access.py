"""Role and CSRF checks on every state-changing route, found by walking the app's URL map.

No hand-kept list of routes: a route added later (by any blueprint) is covered as soon as it
exists. The only exemptions are named here and asserted to be exactly these:
- the mail-facing blueprints (one-click unsubscribe is POSTed by mail providers, RFC 8058,
  and carries its own signed token instead of a session);
- a user's own account routes (`self_service`), which a viewer may use, CSRF-checked.
"""

from __future__ import annotations

import pytest
from flask import Blueprint

from outreach.web.app import create_app
from outreach.web.dashboard.auth import PUBLIC_BLUEPRINTS, PUBLIC_ENDPOINTS
from tests.fixtures.accounts import log_in, make_user, page_csrf
from tests.fixtures.db import make_test_settings
from tests.support.routes import state_changing

SELF_SERVICE = {"dashboard.logout_everywhere", "dashboard.password", "dashboard.totp_setup",
                "dashboard.totp_off", "dashboard.recovery_codes"}
LOGGED_OUT = {"dashboard.login", "dashboard.login_code", "dashboard.logout", "dashboard.invite"}


def _added_later() -> Blueprint:
    """What another engineer might add: a new blueprint whose POST route forgot any check."""
    bp = Blueprint("later", __name__, url_prefix="/dashboard/later")
    bp.add_url_rule("/launch/<int:alert_id>", "launch", lambda alert_id: "launched",
                    methods=["POST"])
    bp.add_url_rule("/delete", "delete", lambda: "deleted", methods=["DELETE", "PUT"])
    return bp


@pytest.fixture
def app(db_url):
    settings = make_test_settings(database_url=db_url,
                                  dashboard_login_limit=100)
    app = create_app(settings)
    app.register_blueprint(_added_later())
    app.config["TESTING"] = True
    return app


def _routes(app):
    for rule, method, path in state_changing(app):
        if rule.endpoint.split(".")[0] in PUBLIC_BLUEPRINTS:
            assert path.startswith(("/u/", "/o/", "/c/")), path
            continue
        yield rule, method, path


def test_exemptions_are_exactly_the_known_ones(app):
    assert {"unsubscribe", "tracking"} == PUBLIC_BLUEPRINTS
    assert PUBLIC_ENDPOINTS - {"healthz", "static", "dashboard.static"} == LOGGED_OUT
    marked = {rule.endpoint for rule, _, _ in _routes(app)
              if getattr(app.view_functions[rule.endpoint], "self_service", False)}
    assert marked == SELF_SERVICE


def test_viewer_gets_403_from_every_state_changing_route(app, sessions):
    client = app.test_client()
    log_in(client, make_user(sessions, "viewer@example.org", "viewer"))
    token = page_csrf(client)
    checked = []
    for rule, method, path in _routes(app):
        if rule.endpoint in SELF_SERVICE | LOGGED_OUT:
            continue
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 403, (method, path, response.status_code)
        checked.append(rule.endpoint)
    assert {"dashboard.control", "dashboard.invite_user", "dashboard.change_user",
            "later.launch", "later.delete"} <= set(checked)
    assert client.get("/dashboard/alerts").status_code == 200  # still logged in throughout


def test_every_state_changing_route_needs_the_csrf_token(app, sessions):
    client = app.test_client()
    log_in(client, make_user(sessions, "admin@example.org", "admin"))
    checked = 0
    for _rule, method, path in _routes(app):
        for data in ({}, {"csrf_token": "forged"}):
            response = client.open(path, method=method, data=data)
            assert response.status_code == 400, (method, path, data, response.status_code)
            # refused before anything happened: even /logout left the session alone
            assert client.get("/dashboard/alerts").status_code == 200, (method, path)
        checked += 1
    assert checked >= 14


def test_sender_may_change_but_not_manage_users(app, sessions):
    client = app.test_client()
    log_in(client, make_user(sessions, "sender@example.org", "sender"))
    token = page_csrf(client)
    assert client.post("/dashboard/later/launch/1", data={"csrf_token": token}).data \
        == b"launched"
    assert client.post("/dashboard/users/invite", data={
        "csrf_token": token, "email": "x@example.org", "role": "admin"}).status_code == 403


def test_scripts_send_the_token_in_a_header(app, sessions):
    """Progressive enhancement (live preview, counts) POSTs with fetch(): the page's
    <meta name="csrf-token"> goes in X-CSRF-Token."""
    client = app.test_client()
    log_in(client, make_user(sessions, "sender@example.org", "sender"))
    page = client.get("/dashboard/alerts").get_data(as_text=True)
    token = page.split('<meta name="csrf-token" content="')[1].split('"')[0]
    assert client.post("/dashboard/later/launch/1", headers={"X-CSRF-Token": token}).data \
        == b"launched"
    assert client.post("/dashboard/later/launch/1",
                       headers={"X-CSRF-Token": token[:-1]}).status_code == 400
