"""Issue 14, point 10: logging out ends the session on the server, not just in one browser.

Before: the session lived only in the signed cookie, so a copy taken before logout kept
working for 12 hours. Now the cookie holds a token for a server-side row; logout deletes it and
every earlier session of the same login; "log out everywhere", a password change and disabling
a user delete all of a user's rows.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from outreach.web.app import create_app
from tests.fixtures.db import make_test_settings
from tests.fixtures.web import start_server, stop_server

PASSWORD = "the shared dashboard password"
USER_PASSWORD = "a long enough test password"


@pytest.fixture
def app(db_url):
    settings = make_test_settings(database_url=db_url, dashboard_password=PASSWORD,
                                  dashboard_login_limit=100)
    return create_app(settings)


def _token(client, path: str = "/dashboard/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _copy(client, app):
    """Another browser holding a copy of `client`'s session cookie (e.g. stolen)."""
    cookie = client.get_cookie("session", path="/dashboard")
    thief = app.test_client()
    thief.set_cookie("session", cookie.value, path="/dashboard")
    return thief


def test_a_cookie_copied_before_logout_stops_working(app):
    client = app.test_client()
    client.post("/dashboard/login", data={"password": PASSWORD, "csrf_token": _token(client)})
    assert client.get("/dashboard/alerts").status_code == 200
    thief = _copy(client, app)
    assert thief.get("/dashboard/alerts").status_code == 200
    token = _token(client, "/dashboard/alerts")
    assert client.post("/dashboard/logout", data={"csrf_token": token}).status_code == 302
    response = thief.get("/dashboard/alerts")
    assert response.status_code == 302 and "/dashboard/login" in response.headers["Location"]
    assert thief.get("/dashboard/alerts.json").status_code == 401


def test_logout_ends_every_earlier_session_of_that_login(app, sessions):
    user = _user(sessions)
    older = _log_in_user(app, user.email, USER_PASSWORD)
    current = _log_in_user(app, user.email, USER_PASSWORD)
    newer = _log_in_user(app, user.email, USER_PASSWORD)
    current.post("/dashboard/logout", data={"csrf_token": _token(current, "/dashboard/alerts")})
    assert current.get("/dashboard/alerts").status_code == 302
    assert older.get("/dashboard/alerts").status_code == 302  # earlier: ended with it
    assert newer.get("/dashboard/alerts").status_code == 200  # opened later: not "earlier"


def _user(sessions):
    from tests.fixtures.accounts import make_user

    return make_user(sessions, "press@example.org", "sender", password=USER_PASSWORD)


def _log_in_user(app, email: str, password: str):
    client = app.test_client()
    client.post("/dashboard/login", data={"email": email, "password": password,
                                          "csrf_token": _token(client)})
    assert client.get("/dashboard/alerts").status_code == 200
    return client


def test_a_password_change_ends_every_earlier_session(app, sessions):
    user = _user(sessions)
    laptop = _log_in_user(app, user.email, USER_PASSWORD)
    phone = _log_in_user(app, user.email, USER_PASSWORD)
    stolen = _copy(laptop, app)
    laptop.post("/dashboard/account/password", data={
        "current_password": USER_PASSWORD, "new_password": "another long passphrase",
        "new_password_again": "another long passphrase",
        "csrf_token": _token(laptop, "/dashboard/account")})
    assert laptop.get("/dashboard/alerts").status_code == 200  # given a fresh session
    assert phone.get("/dashboard/alerts").status_code == 302
    assert stolen.get("/dashboard/alerts").status_code == 302


def test_log_out_everywhere(app, sessions):
    user = _user(sessions)
    laptop = _log_in_user(app, user.email, USER_PASSWORD)
    phone = _log_in_user(app, user.email, USER_PASSWORD)
    phone.post("/dashboard/logout-everywhere",
               data={"csrf_token": _token(phone, "/dashboard/account")})
    assert laptop.get("/dashboard/alerts").status_code == 302
    assert phone.get("/dashboard/alerts").status_code == 302


def test_logout_ends_the_session_in_gunicorn(settings, tmp_path):
    """The same through the real server and raw HTTP: the replayed cookie gets the login page."""
    settings = make_test_settings(database_url=settings.database_url, dashboard_password=PASSWORD)
    server = start_server(settings, tmp_path, workers=2)
    try:
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        token = _page_token(browser, f"{server.url}/dashboard/login")
        browser.open(f"{server.url}/dashboard/login", timeout=10, data=urllib.parse.urlencode(
            {"password": PASSWORD, "csrf_token": token}).encode())
        copied = next(c.value for c in jar if c.name == "session")
        token = _page_token(browser, f"{server.url}/dashboard/alerts")
        browser.open(f"{server.url}/dashboard/logout", timeout=10,
                     data=urllib.parse.urlencode({"csrf_token": token}).encode())
        replay = urllib.request.Request(f"{server.url}/dashboard/alerts.json",
                                        headers={"Cookie": f"session={copied}"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(replay, timeout=10)
        assert refused.value.code == 401
    finally:
        stop_server(server)


def _page_token(opener, url: str) -> str:
    page = opener.open(url, timeout=10).read().decode()
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
