"""The dashboard through Flask's test client: login, CSRF, rate limit, pages, controls."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from outreach.config import Settings
from outreach.db.models import Alert
from outreach.web.app import create_app
from tests.fixtures.db import make_test_settings
from tests.support.routes import sample_path

PASSWORD = "correct horse battery staple"
PUBLIC_PREFIXES = ("/u/", "/o/", "/c/", "/static/", "/healthz", "/dashboard/static/")
PUBLIC_ENDPOINTS = {"dashboard.login", "dashboard.logout", "dashboard.login_code",
                    "dashboard.invite"}


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_test_settings(database_url=db_url, dashboard_password=PASSWORD)


@pytest.fixture
def app(settings, app_ctx):
    app = create_app(settings, app_ctx)
    app.config["TESTING"] = True
    return app


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client, password: str = PASSWORD, *, expect: int = 302):
    token = csrf_of(client.get("/dashboard/login").get_data(as_text=True))
    response = client.post("/dashboard/login", data={"password": password, "csrf_token": token,
                                                     "next": "/dashboard/contacts"})
    assert response.status_code == expect, response.get_data(as_text=True)
    return response


@pytest.fixture
def client(app):
    client = app.test_client()
    login(client)
    return client


def _sample_path(rule) -> str:
    return sample_path(rule)


def test_every_dashboard_route_needs_a_session(app, reach_example):
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        path = _sample_path(rule)
        if path.startswith(PUBLIC_PREFIXES) or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        assert path.startswith("/dashboard"), f"unexpected non-public route {rule.rule}"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code in (302, 401), (method, path, response.status_code)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/dashboard/login")
            checked += 1
    assert checked >= 7
    # the unsubscribe pages and health check stay public
    assert client.get("/healthz").status_code == 200
    assert client.get("/u/not-a-token").status_code in (400, 404)


def test_wrong_password_fails_generically(app, reach_example):
    client = app.test_client()
    body = login(client, "wrong", expect=401).get_data(as_text=True)
    assert "Login failed. Check your credentials and try again." in body
    assert "password" not in body.lower().split("login failed")[1][:80]
    assert client.get("/dashboard/alerts").status_code == 302
    assert login(client).headers["Location"] == "/dashboard/contacts"
    assert client.get("/dashboard/alerts").status_code == 200


def test_session_cookie_flags(app, reach_example):
    client = app.test_client()
    token = csrf_of(client.get("/dashboard/login").get_data(as_text=True))
    response = client.post("/dashboard/login", data={"password": PASSWORD, "csrf_token": token})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # base_url is http in tests
    https = create_app(make_test_settings(database_url=app.extensions["outreach"]
                                          .settings.database_url, dashboard_password=PASSWORD,
                                          base_url="https://news.example.org"))
    assert https.config["SESSION_COOKIE_SECURE"] is True


def test_login_without_csrf_is_rejected(app):
    client = app.test_client()
    client.get("/dashboard/login")
    response = client.post("/dashboard/login", data={"password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/dashboard/alerts").status_code == 302


def test_controls_need_csrf(client, reach_example, sessions):
    with sessions() as s:
        s.get(Alert, reach_example.alert_id).state = "sending"
        s.commit()
    url = f"/dashboard/alerts/{reach_example.alert_id}/pause"
    assert client.post(url).status_code == 400
    assert client.post(url, data={"csrf_token": "forged"}).status_code == 400
    with sessions() as s:
        assert s.scalar(select(Alert.state).where(Alert.id == reach_example.alert_id)) \
            == "sending"
    page = client.get(f"/dashboard/alerts/{reach_example.alert_id}").get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_of(page)})
    assert response.status_code == 302
    with sessions() as s:
        assert s.scalar(select(Alert.state).where(Alert.id == reach_example.alert_id)) \
            == "paused"


def test_login_rate_limited(app):
    client = app.test_client()
    for _ in range(5):
        login(client, "nope", expect=401)
    body = login(client, PASSWORD, expect=429).get_data(as_text=True)
    assert "Too many login attempts" in body
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    login(other)


def test_no_password_configured_refuses(db_url):
    app = create_app(make_test_settings(database_url=db_url))
    client = app.test_client()
    response = client.get("/dashboard/login")
    assert response.status_code == 503
    assert "OUTREACH_DASHBOARD_PASSWORD" in response.get_data(as_text=True)
    assert client.get("/dashboard/alerts").status_code == 302


def test_open_redirect_refused(app):
    client = app.test_client()
    token = csrf_of(client.get("/dashboard/login").get_data(as_text=True))
    for target in ("https://evil.example.com/", "//evil.example.com/x", "/\\evil.example.com"):
        response = client.post("/dashboard/login", data={
            "password": PASSWORD, "csrf_token": token, "next": target})
        assert response.headers["Location"] == "/dashboard/alerts", target
        client.post("/dashboard/logout", data={"csrf_token": token})
        token = csrf_of(client.get("/dashboard/login").get_data(as_text=True))


@pytest.mark.parametrize("target", [
    "/dashboard/\r\nSet-Cookie: x=1",  # was a 500 (werkzeug refuses the header)
    "/dashboard/..//evil.example.com",  # was echoed: leaves /dashboard once resolved
    "/dashboard/\t/x", "https:evil.example.com", "/%2F%2Fevil.example.com",
])
def test_login_next_stays_inside_the_dashboard(app, target):
    client = app.test_client()
    token = csrf_of(client.get("/dashboard/login").get_data(as_text=True))
    response = client.post("/dashboard/login", data={
        "password": PASSWORD, "csrf_token": token, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/alerts", target


def test_pages_render(client, reach_example):
    alerts = client.get("/dashboard/alerts").get_data(as_text=True)
    assert "Journalist detained" in alerts and 'data-poll="/dashboard/alerts.json"' in alerts
    data = client.get("/dashboard/alerts.json").get_json()
    assert data["alerts"][0]["sent"] == 3 and data["alerts"][0]["total"] == 10
    page = client.get(f"/dashboard/alerts/{reach_example.alert_id}").get_data(as_text=True)
    assert f'src="/dashboard/alerts/{reach_example.alert_id}/chart.svg"' in page
    assert "Daily Example" in page
    chart = client.get(f"/dashboard/alerts/{reach_example.alert_id}/chart.svg")
    assert chart.mimetype == "image/svg+xml" and b"<svg" in chart.data
    assert "Can we interview your spokesperson tomorrow?" in page
    assert "<script>" not in page  # no inline script (CSP script-src 'self')
    filtered = client.get(f"/dashboard/alerts/{reach_example.alert_id}?reach=not_reached"
                          ).get_data(as_text=True)
    assert "Example Watch" in filtered and 'data-key="outlet:1"' not in filtered
    by_country = client.get(f"/dashboard/alerts/{reach_example.alert_id}?country=DE"
                            ).get_data(as_text=True)
    assert "Example Watch" in by_country and "Nowhere Gazette" not in by_country
    live = client.get(f"/dashboard/alerts/{reach_example.alert_id}.json").get_json()
    assert live["counts"]["sent"] == 3 and live["replies"] == 1
    assert client.get("/dashboard/alerts/999").status_code == 404
    assert client.get(f"/dashboard/alerts/{reach_example.alert_id}?page=x").status_code == 400
    assert client.get(f"/dashboard/alerts/{reach_example.alert_id}?by=bogus").status_code == 400
    clamped = client.get(f"/dashboard/alerts/{reach_example.alert_id}?page=9&by=type")
    assert clamped.status_code == 200 and "journalist" in clamped.get_data(as_text=True)
    contacts = client.get("/dashboard/contacts?q=anna").get_data(as_text=True)
    assert "anna@daily.example.org" in contacts and "ben@daily" not in contacts
    assert client.get("/dashboard/contacts?after=x").status_code == 400


def test_contacts_pagination_and_suppression(client, reach_example, sessions):
    from outreach.contacts.suppression import suppress
    from outreach.db.models import Contact

    with sessions() as s:
        contact = s.scalar(select(Contact).where(Contact.email == "gil@freelance.test"))
        suppress(s, contact, "unsubscribed", "cli")
        s.commit()
    page = client.get("/dashboard/contacts?suppressed=yes").get_data(as_text=True)
    assert "gil@freelance.test" in page and "unsubscribed" in page and "anna@" not in page
    from outreach.web.dashboard import queries

    with sessions() as s:
        first = queries.contacts_page(s, size=4)
        second = queries.contacts_page(s, size=4, after=first.next_after or 0)
    assert first.total == 10 and len(first.rows) == 4 and first.next_after == first.rows[-1]["id"]
    assert second.rows[0]["id"] > first.rows[-1]["id"]


def test_logout(client):
    page = client.get("/dashboard/alerts").get_data(as_text=True)
    assert client.post("/dashboard/logout", data={"csrf_token": csrf_of(page)}
                       ).status_code == 302
    assert client.get("/dashboard/alerts").status_code == 302


def test_login_rate_limit_shared_through_redis(db_url):
    """Two web processes (two apps) behind one proxy share the count through Redis."""
    import uuid
    from urllib.parse import urlsplit

    from tests.fixtures.services import REDIS_URL, port_open, require

    parts = urlsplit(REDIS_URL)
    require("Redis", port_open(parts.hostname or "127.0.0.1", parts.port or 6379), REDIS_URL)
    knobs = {"dashboard_limit_prefix": f"test:{uuid.uuid4().hex}", "dashboard_login_limit": 3}
    apps = [create_app(make_test_settings(database_url=db_url, dashboard_password=PASSWORD,
                                          broker_url=REDIS_URL, **knobs)) for _ in range(2)]
    first, second = (a.test_client() for a in apps)
    login(first, "nope", expect=401)
    login(second, "nope", expect=401)
    login(first, "nope", expect=401)
    login(second, PASSWORD, expect=429)


def test_resume_and_cancel_buttons(client, reach_example, sessions):
    with sessions() as s:
        s.get(Alert, reach_example.alert_id).state = "paused"
        s.commit()
    page = client.get(f"/dashboard/alerts/{reach_example.alert_id}").get_data(as_text=True)
    assert 'data-action="resume" >' in page and 'data-action="pause" hidden' in page
    token = csrf_of(page)
    done = client.post(f"/dashboard/alerts/{reach_example.alert_id}/resume",
                       data={"csrf_token": token}, follow_redirects=True)
    body = done.get_data(as_text=True)
    assert "resume done" in body and "outreach alert resume" in body  # no broker in this test
    client.post(f"/dashboard/alerts/{reach_example.alert_id}/cancel", data={"csrf_token": token})
    with sessions() as s:
        alert = s.get(Alert, reach_example.alert_id)
        assert alert.state == "cancelled"
    again = client.post(f"/dashboard/alerts/{reach_example.alert_id}/pause",
                        data={"csrf_token": token}, follow_redirects=True)
    assert "cannot pause" in again.get_data(as_text=True)
    assert client.post(f"/dashboard/alerts/{reach_example.alert_id}/explode",
                       data={"csrf_token": token}).status_code == 404


def test_alert_page_warns_when_messages_wait_and_no_worker_sweeps(client, reach_example,
                                                                   sessions):
    from sqlalchemy import update

    from outreach.db.models import Message
    from outreach.db.models.base import utcnow
    from outreach.sending import liveness

    with sessions() as s:
        s.get(Alert, reach_example.alert_id).state = "sending"
        s.execute(update(Message).where(Message.alert_id == reach_example.alert_id)
                  .values(status="queued"))
        s.commit()
    live = client.get(f"/dashboard/alerts/{reach_example.alert_id}.json").get_json()
    assert "no worker has swept ever" in live["warning"]
    page = client.get(f"/dashboard/alerts/{reach_example.alert_id}").get_data(as_text=True)
    assert 'data-field="warning" >' in page and "no worker has swept" in page
    with sessions() as s:
        liveness.beat(s, "w:1:a", utcnow())
        liveness.take_sweep_turn(s, "w:1:a", utcnow(), 2.0)
        s.commit()
    assert client.get(f"/dashboard/alerts/{reach_example.alert_id}.json").get_json()[
        "warning"] == ""
