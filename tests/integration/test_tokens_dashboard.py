"""The dashboard's API tokens page: create for a user (shown once), use it, revoke it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from outreach.db.models import ApiToken, AuditEvent
from outreach.web.app import create_app
from tests.fixtures.accounts import csrf_of, log_in, make_user
from tests.fixtures.db import make_test_settings

pytestmark = pytest.mark.integration


def test_create_use_and_revoke_from_the_console(db_url, session, sessions) -> None:
    app = create_app(make_test_settings(database_url=db_url))
    make_user(sessions, "press@example.org", "sender")
    client = app.test_client()
    sender = client.application.test_client()
    log_in(sender, make_user(sessions, "sender@example.org", "sender"))
    assert sender.get("/dashboard/tokens").status_code == 403  # admins only
    log_in(client, make_user(sessions, "admin@example.org", "admin"))
    page = client.get("/dashboard/tokens").get_data(as_text=True)
    assert client.post("/dashboard/tokens", data={"email": "press@example.org"}
                       ).status_code == 400  # no CSRF token
    answer = client.post("/dashboard/tokens", data={
        "csrf_token": csrf_of(page), "email": "press@example.org", "scope": "read",
        "name": "crm"})
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    secret = re.search(r'<code id="token-secret">(otr_[^<]+)</code>', html)
    assert secret, html
    assert secret.group(1) not in client.get("/dashboard/tokens").get_data(as_text=True)
    headers = {"Authorization": f"Bearer {secret.group(1)}"}
    assert client.get("/api/v1/contacts", headers=headers).status_code == 200
    assert client.post("/api/v1/contacts", headers=headers,
                       json={"email": "x@example.org"}).status_code == 403  # read scope

    unknown = client.post("/dashboard/tokens", data={"csrf_token": csrf_of(html),
                                                     "email": "nobody@example.org"})
    assert unknown.status_code == 422 and "no such user" in unknown.get_data(as_text=True)

    token_id = session.scalar(select(ApiToken.id))
    session.rollback()  # SQLite: a test's open transaction would hold the write lock
    revoked = client.post(f"/dashboard/tokens/{token_id}/revoke",
                          data={"csrf_token": csrf_of(html)})
    assert revoked.status_code == 302
    assert client.get("/api/v1/contacts", headers=headers).status_code == 401
    session.expire_all()
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("token.%"))
                              .order_by(AuditEvent.id)).all()
    assert actions == ["token.create", "token.revoke"]
