"""Issue 14, point 9: the login limiter is one limit across every web process, in bounded space.

Before: each gunicorn worker counted on its own (two workers, twice the guesses) in a dict
that only shrank past 10,000 clients. Now the count lives in Redis when configured, else in
the database, and old windows are dropped.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid

import redis
from sqlalchemy import func, select

from outreach.web.app import create_app
from tests.fixtures.db import make_test_settings
from tests.fixtures.services import REDIS_URL, port_open, require
from tests.fixtures.web import start_server, stop_server

PASSWORD = "the shared dashboard password"
LIMIT = 5


def _attempt(client) -> int:
    page = client.get("/dashboard/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/dashboard/login", data={"password": "a wrong guess",
                                                 "csrf_token": token}).status_code


def _not_limited(apps, attempts: int) -> int:
    """Alternate attempts between `apps` (each as its own web process would hold it)."""
    clients = [app.test_client() for app in apps]
    codes = [_attempt(clients[i % len(clients)]) for i in range(attempts)]
    assert set(codes) <= {401, 429}, codes
    return sum(code == 401 for code in codes)


def test_two_processes_share_one_limit(db_url, app_ctx):
    settings = make_test_settings(database_url=db_url, dashboard_password=PASSWORD)
    apps = [create_app(settings), create_app(settings)]  # two workers' worth of state
    assert _not_limited(apps, 4 * LIMIT) == LIMIT


def test_two_processes_share_one_limit_in_redis(db_url):
    parts = urllib.parse.urlsplit(REDIS_URL)
    require("Redis", port_open(parts.hostname or "127.0.0.1", parts.port or 6379))
    prefix = f"outreach-test-login-{uuid.uuid4().hex[:8]}"
    settings = make_test_settings(database_url=db_url, dashboard_password=PASSWORD,
                                  broker_url=REDIS_URL,
                                  dashboard_limit_prefix=prefix)
    apps = [create_app(settings), create_app(settings)]
    try:
        assert _not_limited(apps, 3 * LIMIT) == LIMIT
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        assert keys and all(0 < client.ttl(k) <= 61 for k in keys)  # expire with the window
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)


def test_gunicorn_with_two_workers_allows_one_limit(settings, tmp_path):
    settings = make_test_settings(database_url=settings.database_url, dashboard_password=PASSWORD)
    server = start_server(settings, tmp_path, workers=2)
    try:
        codes = [_http_attempt(server.url) for _ in range(4 * LIMIT)]  # a new connection each
    finally:
        stop_server(server)
    assert sorted(set(codes)) == [401, 429]
    assert codes.count(401) == LIMIT, codes


def _http_attempt(base: str) -> int:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/dashboard/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"password": "wrong", "csrf_token": token}).encode()
    try:
        return opener.open(f"{base}/dashboard/login", data=body, timeout=10).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_memory_stays_bounded(sessions, monkeypatch):
    from outreach.db.models import LoginAttempt
    from outreach.web.dashboard.limiter import DatabaseLoginLimiter

    clock = [1_000_000.0]
    monkeypatch.setattr("outreach.web.dashboard.limiter.time.time", lambda: clock[0])
    limiter = DatabaseLoginLimiter(sessions, limit=LIMIT)
    for i in range(300):  # an attacker rotating through many addresses
        assert limiter.allow(f"ip:10.0.{i // 256}.{i % 256}")
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 300
    clock[0] += 61  # the next window: the old rows go
    assert limiter.allow("ip:10.9.9.9")
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 1

