"""A new team member in Debian's chromium: accept the invitation, set a password, set up
two-step login (required by OUTREACH_REQUIRE_2FA=1), log out, log in with a code, and read
the activity page. Screenshots of each step go to artifacts/accounts-*.png."""

from __future__ import annotations

import getpass
import time

import pyotp
import pytest
from playwright.sync_api import expect

from outreach.config import Settings
from tests.fixtures.db import make_test_settings
from tests.fixtures.web import start_server, stop_server

PASSWORD = "press office passphrase 2026"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_test_settings(database_url=db_url, require_2fa=True)


@pytest.fixture
def server(settings, tmp_path):
    live = start_server(settings, tmp_path)
    yield live
    stop_server(live)


def _shot(page, artifacts_dir, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"accounts-{name}.png"), full_page=True)


def test_invitation_two_step_login_and_activity(page, server, run_cli, artifacts_dir):
    page.set_viewport_size({"width": 1280, "height": 800})
    link = run_cli("users", "add", "maria@example.org", "--role", "sender").stdout.split()[-1]

    page.goto(server.rebase(link))
    expect(page.locator("#invite-email")).to_have_text("maria@example.org")
    _shot(page, artifacts_dir, "1-invitation")
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()

    # two-step login is required for senders: every page leads to the set-up first
    page.goto(f"{server.url}/dashboard/alerts")
    expect(page).to_have_url(f"{server.url}/dashboard/account/two-step")
    expect(page.locator("img.qr")).to_be_visible()
    _shot(page, artifacts_dir, "2-two-step-setup")
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-step login").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    _shot(page, artifacts_dir, "3-recovery-codes")
    page.get_by_role("link", name="I have saved them").click()
    expect(page.locator("#totp-state")).to_contain_text("On.")
    _shot(page, artifacts_dir, "4-account")

    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("You are logged out.")
    page.goto(f"{server.url}/dashboard/activity")
    expect(page).to_have_url(f"{server.url}/dashboard/login?next=/dashboard/activity")
    _shot(page, artifacts_dir, "5-login")
    page.get_by_label("Email address").fill("maria@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_label("Login code")).to_be_visible()
    _shot(page, artifacts_dir, "6-login-code")
    # the code of the step the set-up used is burnt; the next step's code is accepted
    page.get_by_label("Login code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(f"{server.url}/dashboard/activity")
    rows = page.locator("#audit tbody tr")
    expect(rows.first).to_contain_text("user.login")
    text = page.locator("#audit").inner_text()
    for action in ("user.totp_enable", "user.accept_invitation", "user.invite"):
        assert action in text
    assert f"{getpass.getuser()} (command line)" in text and "maria@example.org" in text
    assert "Turned on two-step login" in text and "Invited maria@example.org" in text
    expect(page.locator("#nav-account")).to_have_text("maria@example.org (sender)")
    _shot(page, artifacts_dir, "7-activity")

    page.get_by_label("Who").select_option(f"cli:{getpass.getuser()}")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("user.invite")

    page.goto(server.rebase(link))  # the invitation worked once; now it is spent
    expect(page.locator("#invite-invalid")).to_contain_text("work once, for 72 hours")
    _shot(page, artifacts_dir, "8-invitation-spent")


def test_admin_invites_and_manages_the_team(page, settings, tmp_path, sessions, artifacts_dir):
    from tests.fixtures.accounts import USER_PASSWORD, make_user

    open_settings = make_test_settings(database_url=settings.database_url)  # 2FA not required
    admin = make_user(sessions, "lead@example.org", "admin")
    make_user(sessions, "intern@example.org", "sender")
    live = start_server(open_settings, tmp_path)
    try:
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{live.url}/dashboard/users")
        page.get_by_label("Email address").fill(admin.email)
        page.get_by_label("Password").fill(USER_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{live.url}/dashboard/users")
        page.get_by_label("Their email address").fill("new.colleague@example.org")
        page.get_by_label("What they may do").select_option("sender")
        _shot(page, artifacts_dir, "9-team")
        page.get_by_role("button", name="Create invitation link").click()
        link = page.locator("#invite-link").input_value()
        assert link.startswith("http://127.0.0.1:8000/dashboard/invite/")
        _shot(page, artifacts_dir, "10-invitation-link")
        page.get_by_role("link", name="Back to the team").click()
        row = page.locator("tr", has_text="intern@example.org")
        row.get_by_label("Role of intern@example.org").select_option("viewer")
        row.get_by_role("button", name="Change").click()
        expect(page.get_by_role("status")).to_contain_text("intern@example.org: role is now viewer")
        expect(page.locator("tr", has_text="new.colleague@example.org")).to_contain_text(
            "invited, not joined yet")
        _shot(page, artifacts_dir, "11-team-changed")
    finally:
        stop_server(live)
