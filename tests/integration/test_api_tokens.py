"""API tokens: hashed and prefixed, revocable (401), scoped (a read token gets 403 from every
writing route, found by walking the API's URL map), rate-limited per token through Redis."""

from __future__ import annotations

from uuid import uuid4

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from outreach.db.models import ApiToken, User
from tests.fixtures.api import make_api_user
from tests.fixtures.cli import json_output
from tests.fixtures.services import REDIS_URL

pytestmark = pytest.mark.integration
SAFE = {"GET", "HEAD", "OPTIONS"}


def _writing_routes(api_app):  # type: ignore[no-untyped-def]
    inner = api_app.extensions["api_app"]
    for rule in inner.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - SAFE):
            values = {arg: 1 if isinstance(rule._converters[arg], IntegerConverter) else "x"
                      for arg in rule.arguments}
            yield method, "/api/v1" + rule.build(values, append_unknown=False)[1]


def test_read_token_gets_403_from_every_writing_route(api_app, sessions) -> None:
    reader = make_api_user(sessions, "admin@example.org", "admin", scope="read")
    client = api_app.test_client()
    checked = []
    for method, path in _writing_routes(api_app):
        response = client.open(path, method=method, headers=reader.headers, json={})
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.mimetype == "application/problem+json"
        checked.append(path)
    assert {"/api/v1/alerts/1/launch", "/api/v1/contacts", "/api/v1/webhooks",
            "/api/v1/tokens/1", "/api/v1/contacts/import"} <= set(checked)
    assert client.get("/api/v1/contacts", headers=reader.headers).status_code == 200


def test_sender_cannot_manage_webhooks_and_viewer_cannot_write(api_app, sessions) -> None:
    sender = make_api_user(sessions, "sender@example.org", "sender")
    viewer = make_api_user(sessions, "viewer@example.org", "viewer", scope="admin")
    client = api_app.test_client()
    assert client.get("/api/v1/webhooks", headers=sender.headers).status_code == 403
    # a token never exceeds its user's role, whatever scope it was given
    response = client.post("/api/v1/contacts", headers=viewer.headers,
                           json={"email": "x@example.org"})
    assert response.status_code == 403


def test_revoked_token_gets_401_and_tokens_are_stored_hashed(api_app, sessions, run_cli):
    user = make_api_user(sessions, "sender@example.org", "sender")
    client = api_app.test_client()
    assert client.get("/api/v1/contacts", headers=user.headers).status_code == 200
    with sessions() as session:
        row = session.get(ApiToken, user.token_id)
        assert row is not None and row.last_used_at is not None
        assert user.token.startswith("otr_") and row.prefix == user.token[:12]
        assert user.token not in (row.token_hash, row.prefix)
    run_cli("tokens", "revoke", user.token[:12])  # revoked by the prefix found in a "leak"
    response = client.get("/api/v1/contacts", headers=user.headers)
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert "WWW-Authenticate" in response.headers
    assert client.get("/api/v1/contacts").status_code == 401
    assert client.get("/api/v1/contacts", headers={"Authorization": "Bearer otr_forged"}
                      ).status_code == 401


def test_cli_creates_lists_and_revokes(run_cli, sessions, api_app) -> None:
    with sessions() as session, session.begin():
        session.add(User(email="press@example.org", role="sender"))
    created = json_output(run_cli("tokens", "create", "--user", "press@example.org",
                                  "--scope", "read", "--name", "crm", "--json"))
    assert created["role"] == "viewer" and created["token"].startswith("otr_")
    listed = json_output(run_cli("tokens", "list", "--json"))
    assert [t["id"] for t in listed] == [created["id"]] and "token" not in listed[0]
    run_cli("tokens", "create", "--user", "nobody@example.org", expect=1)
    run_cli("tokens", "revoke", str(created["id"]))
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert api_app.test_client().get("/api/v1/contacts", headers=headers).status_code == 401
    with sessions() as session:
        assert session.scalar(select(ApiToken.revoked_at)) is not None


@pytest.fixture
def limited(settings, redis_prefix):  # type: ignore[no-untyped-def]
    # a prefix per test: token ids restart at 1 in every test's database
    return settings.replace(broker_url=REDIS_URL, broker_prefix=f"{redis_prefix}{uuid4().hex}:",
                            api_rate_limit="3/minute")


def test_rate_limit_is_per_token_and_shared_through_redis(limited, app_ctx, sessions) -> None:
    from outreach.context import AppContext
    from outreach.web.app import create_app

    one, two = make_api_user(sessions, "a@example.org", "sender"), \
        make_api_user(sessions, "b@example.org", "sender")
    first = create_app(limited, AppContext(limited)).test_client()
    second = create_app(limited, AppContext(limited)).test_client()  # another "web process"
    codes = [c.get("/api/v1/contacts", headers=one.headers).status_code
             for c in (first, second, first, second)]
    assert codes == [200, 200, 200, 429]
    limited_response = first.get("/api/v1/contacts", headers=one.headers)
    assert limited_response.status_code == 429 and int(limited_response.headers["Retry-After"])
    assert second.get("/api/v1/contacts", headers=two.headers).status_code == 200
