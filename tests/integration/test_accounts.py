"""Console accounts through Flask's test client, on SQLite and PostgreSQL: invitations,
passwords, the shared password's retirement, two-step login, admin pages."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select, update

from outreach.accounts import totp
from outreach.accounts.users import INVITE_HOURS, invite, invited_user
from outreach.db.models import AuditEvent, RecoveryCode, User, WebSession, utcnow
from outreach.web.app import create_app
from tests.fixtures.accounts import USER_PASSWORD, csrf_of, log_in, make_user, page_csrf
from tests.fixtures.db import make_test_settings

SHARED = "shared dashboard password"


@pytest.fixture
def settings(db_url):
    return make_test_settings(database_url=db_url, dashboard_password=SHARED,
                              dashboard_login_limit=100)


@pytest.fixture
def app(settings, app_ctx):
    app = create_app(settings, app_ctx)
    app.config["TESTING"] = True
    return app


def _invite(sessions, email="new@example.org", role="sender"):
    with sessions() as s, s.begin():
        user, token = invite(s, email, role, "test")
        return user.id, token


def _accept(client, token, password=USER_PASSWORD, again=None):
    page = client.get(f"/dashboard/invite/{token}")
    if page.status_code != 200:
        return page
    return client.post(f"/dashboard/invite/{token}", data={
        "new_password": password, "new_password_again": again or password,
        "csrf_token": csrf_of(page.get_data(as_text=True))})


def test_invitation_works_once(app, sessions):
    user_id, token = _invite(sessions)
    client = app.test_client()
    assert "new@example.org" in client.get(f"/dashboard/invite/{token}").get_data(as_text=True)
    mismatch = _accept(client, token, again="something else entirely")
    assert "not the same" in mismatch.get_data(as_text=True)
    short = _accept(client, token, password="short")
    assert "at least 10 characters" in short.get_data(as_text=True)
    done = _accept(client, token)
    assert done.status_code == 302 and done.headers["Location"] == "/dashboard/account"
    assert "new@example.org (sender)" in client.get("/dashboard/account").get_data(as_text=True)
    again = _accept(app.test_client(), token, password="another long password")
    assert again.status_code == 404
    assert "does not work any more" in again.get_data(as_text=True)
    with sessions() as s:
        user = s.get(User, user_id)
        assert user.invite_hash is None and user.password_hash.startswith("$argon2id$")
        actions = s.scalars(select(AuditEvent.action).where(
            AuditEvent.actor == "new@example.org")).all()
    assert {"user.accept_invitation", "user.login"} <= set(actions)


def test_invitation_expires_after_72_hours(app, sessions):
    user_id, token = _invite(sessions)
    with sessions() as s:
        expires = s.get(User, user_id).invite_expires_at
        assert timedelta(hours=INVITE_HOURS - 1) < expires - utcnow() <= timedelta(
            hours=INVITE_HOURS)
        assert invited_user(s, token, now=expires - timedelta(seconds=1)) is not None
        assert invited_user(s, token, now=expires) is None
    with sessions() as s, s.begin():  # the clock moves on by 72 hours
        s.execute(update(User).where(User.id == user_id).values(
            invite_expires_at=utcnow() - timedelta(seconds=1)))
    response = _accept(app.test_client(), token)
    assert response.status_code == 404
    with sessions() as s:
        assert s.get(User, user_id).password_hash is None


def test_shared_password_works_only_until_the_first_user(app, sessions):
    shared = app.test_client()
    page = shared.get("/dashboard/login").get_data(as_text=True)
    assert 'name="email"' not in page  # password only, as before
    shared.post("/dashboard/login", data={"password": SHARED, "csrf_token": csrf_of(page)})
    assert shared.get("/dashboard/alerts").status_code == 200
    _invite(sessions, "first@example.org", "admin")
    assert shared.get("/dashboard/alerts").status_code == 302  # the old session ended
    client = app.test_client()
    page = client.get("/dashboard/login").get_data(as_text=True)
    assert 'name="email"' in page
    response = client.post("/dashboard/login", data={
        "email": "", "password": SHARED, "csrf_token": csrf_of(page)})
    assert response.status_code == 401


def test_named_login_and_wrong_password(app, sessions):
    user = make_user(sessions, "ana@example.org", "viewer")
    client = app.test_client()
    user.password = "wrong password here"
    log_in(client, user, expect=401)
    user.password = USER_PASSWORD
    log_in(client, user)
    assert client.get("/dashboard/alerts").status_code == 200
    with sessions() as s:
        s.execute(update(User).values(disabled_at=utcnow()))
        s.commit()
    assert client.get("/dashboard/alerts").status_code == 302  # disabled: out at once
    log_in(app.test_client(), user, expect=401)


def test_totp_login_replay_and_recovery_codes(app, sessions):
    user = make_user(sessions, "tess@example.org", "sender", with_totp=True)
    client = app.test_client()
    log_in(client, user)
    assert client.get("/dashboard/alerts").status_code == 200
    # the same code again (replayed) does not log in a second browser
    other = app.test_client()
    page = other.get("/dashboard/login").get_data(as_text=True)
    response = other.post("/dashboard/login", data={
        "email": user.email, "password": user.password, "csrf_token": csrf_of(page)})
    assert response.headers["Location"] == "/dashboard/login/code"
    assert other.get("/dashboard/alerts").status_code == 302  # password alone is not enough
    token = page_csrf(other, "/dashboard/login/code")
    replay = other.post("/dashboard/login/code", data={"code": user.code(), "csrf_token": token})
    assert replay.status_code == 401
    with sessions() as s, s.begin():
        codes = totp.new_recovery_codes(s, s.get(User, user.id))
    ok = other.post("/dashboard/login/code", data={"code": codes[0].upper(), "csrf_token": token})
    assert ok.status_code == 302 and other.get("/dashboard/alerts").status_code == 200
    third = app.test_client()
    third.post("/dashboard/login", data={"email": user.email, "password": user.password,
                                         "csrf_token": page_csrf(third, "/dashboard/login")})
    again = third.post("/dashboard/login/code", data={
        "code": codes[0], "csrf_token": page_csrf(third, "/dashboard/login/code")})
    assert again.status_code == 401  # a recovery code works once
    with sessions() as s:
        assert s.scalar(select(RecoveryCode.used_at).where(
            RecoveryCode.code_hash.is_not(None)).where(RecoveryCode.used_at.is_not(None)))


def test_totp_enrolment_through_the_account_page(app, sessions):
    user = make_user(sessions, "enrol@example.org", "viewer")
    client = app.test_client()
    log_in(client, user)
    page = client.get("/dashboard/account/two-step").get_data(as_text=True)
    assert "data:image/svg+xml" in page
    secret = page.split('data-secret="')[1].split('"')[0]
    token = csrf_of(page)
    wrong = client.post("/dashboard/account/two-step", data={"code": "000000",
                                                             "csrf_token": token})
    assert "did not match" in client.get("/dashboard/account").get_data(as_text=True) or \
        wrong.status_code == 200
    done = client.post("/dashboard/account/two-step", data={
        "code": pyotp.TOTP(secret).now(), "csrf_token": token}).get_data(as_text=True)
    assert done.count("<li><code>") == totp.RECOVERY_CODES
    with sessions() as s:
        assert s.get(User, user.id).totp_secret == secret


def test_require_2fa_sends_admins_to_enrolment(db_url, sessions):
    settings = make_test_settings(database_url=db_url, require_2fa=True,
                                  dashboard_login_limit=100)
    app = create_app(settings)
    user = make_user(sessions, "boss@example.org", "admin")
    viewer = make_user(sessions, "look@example.org", "viewer")
    client = app.test_client()
    log_in(client, user)
    response = client.get("/dashboard/alerts")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/account/two-step"
    assert client.get("/dashboard/users").status_code == 302
    token = page_csrf(client)
    assert client.post("/dashboard/users/invite", data={
        "email": "x@example.org", "role": "admin", "csrf_token": token}).status_code == 403
    other = app.test_client()
    log_in(other, viewer)
    assert other.get("/dashboard/alerts").status_code == 200  # not required for viewers


def test_admin_team_page(app, sessions):
    admin = make_user(sessions, "admin@example.org", "admin")
    sender = make_user(sessions, "send@example.org", "sender")
    client = app.test_client()
    log_in(client, admin)
    token = page_csrf(client, "/dashboard/users")
    page = client.post("/dashboard/users/invite", data={
        "email": "Reporter@Example.org", "role": "viewer", "csrf_token": token})
    link = page.get_data(as_text=True).split('id="invite-link" class="wide" type="text" '
                                             'readonly value="')[1].split('"')[0]
    assert link.startswith("http://127.0.0.1:8000/dashboard/invite/")
    dup = client.post("/dashboard/users/invite", data={
        "email": "reporter@example.org", "role": "viewer", "csrf_token": token})
    assert dup.status_code == 302
    assert "already a user" in client.get("/dashboard/users").get_data(as_text=True)
    client.post(f"/dashboard/users/{sender.id}/role", data={"role": "viewer",
                                                            "csrf_token": token})
    client.post(f"/dashboard/users/{admin.id}/disable", data={"csrf_token": token})
    with sessions() as s:
        assert s.get(User, sender.id).role == "viewer"
        assert s.get(User, admin.id).disabled_at is None  # the last admin stays
        events = s.scalars(select(AuditEvent).where(AuditEvent.actor == admin.email)
                           .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["user.login", "user.invite", "user.role"]
    assert events[2].target == f"user:{sender.id}" and events[2].detail["role"] == "viewer"
    huge = client.post(f"/dashboard/users/{10**30}/disable", data={"csrf_token": token})
    assert huge.status_code == 404  # not a 500 from an integer overflow
    as_sender = app.test_client()
    log_in(as_sender, make_user(sessions, "s2@example.org", "sender"))
    assert as_sender.get("/dashboard/users").status_code == 403


def test_password_change_ends_other_sessions(app, sessions):
    user = make_user(sessions, "pw@example.org", "viewer")
    first, second = app.test_client(), app.test_client()
    log_in(first, user)
    log_in(second, user)
    response = first.post("/dashboard/account/password", data={
        "current_password": USER_PASSWORD, "new_password": "a brand new passphrase",
        "new_password_again": "a brand new passphrase", "csrf_token": page_csrf(first)})
    assert response.status_code == 302
    assert first.get("/dashboard/alerts").status_code == 200  # this browser carries on
    assert second.get("/dashboard/alerts").status_code == 302
    with sessions() as s:
        assert s.scalar(select(WebSession.user_id)) == user.id
        assert len(s.scalars(select(WebSession.id)).all()) == 1


def test_sessions_expire(app, sessions):
    user = make_user(sessions, "idle@example.org", "viewer")
    client = app.test_client()
    log_in(client, user)
    with sessions() as s, s.begin():
        s.execute(update(WebSession).values(seen_at=utcnow() - timedelta(hours=3)))
    assert client.get("/dashboard/alerts").status_code == 302
    log_in(client, user)
    with sessions() as s, s.begin():
        s.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/dashboard/alerts").status_code == 302
    time.sleep(0)  # (no wall-clock waits: expiry is moved in the database)
