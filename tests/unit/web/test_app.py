from outreach.web.app import create_app
from tests.fixtures.db import make_test_settings


def _headers(base_url: str):
    app = create_app(make_test_settings(base_url=base_url))
    return app.test_client().get("/healthz").headers


def test_hsts_only_when_served_over_https():
    assert _headers("https://alerts.example.org")["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in _headers("http://127.0.0.1:8000")


def test_every_response_carries_the_security_headers():
    headers = _headers("http://127.0.0.1:8000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
