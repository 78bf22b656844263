"""A user's own account: accept an invitation, change the password, set up two-step login.

These routes are `self_service`: any role may use them for itself (CSRF still applies). A
password change ends every session of the user and opens a new one for this browser only.
While TOTP is being set up, the not-yet-confirmed secret lives in this browser's signed
session cookie; it is stored on the user only once a code made from it has been typed back.
"""

from __future__ import annotations

from typing import Any

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from outreach import audit
from outreach.accounts import totp
from outreach.accounts.credentials import verify_password
from outreach.accounts.users import accept_invitation, invited_user, set_password
from outreach.db.models import User
from outreach.db.session import session_scope
from outreach.errors import UserError
from outreach.web.app import app_context
from outreach.web.dashboard.auth import live_session, must_enrol, self_service
from outreach.web.dashboard.login import open_session
from outreach.web.dashboard.roles import current_user

MISMATCH = "The two new passwords are not the same."


def _db() -> Any:
    return session_scope(app_context(current_app).sessions)


def _me(db: Any) -> User:
    user = current_user()
    if user is None or user.id is None:
        abort(404, description="The shared dashboard password has no account settings. "
                               "Ask an administrator to invite you by name.")
    return db.get(User, user.id)


def _password_attempt() -> bool:
    """Count a re-typed password like a login, so a stolen session cannot guess it. Called
    before the view opens its transaction (the limiter commits one of its own)."""
    user = current_user()
    return bool(current_app.extensions["dashboard_limiter"].allow(
        f"password:{user.id if user else 'shared'}"))


def _current_password_ok(user: User, allowed: bool) -> bool:
    return allowed and verify_password(user.password_hash,
                                       request.form.get("current_password", ""))


def account() -> Any:
    live = live_session()
    with _db() as db:
        user = _me(db)
        left = totp.recovery_codes_left(db, user.id) if user.totp_secret else 0
        context = {"user": user, "codes_left": left, "must_enrol": live and must_enrol(live)}
    return render_template("dashboard/account.html", **context)


@self_service
def password() -> Any:
    new, again = request.form.get("new_password", ""), request.form.get("new_password_again", "")
    allowed = _password_attempt()
    with _db() as db:
        user = _me(db)
        if not _current_password_ok(user, allowed):
            flash("Your current password was not right. Nothing was changed.", "error")
            return redirect(url_for("dashboard.account"))
        if new != again:
            flash(MISMATCH, "error")
            return redirect(url_for("dashboard.account"))
        try:
            set_password(db, user, new)  # ends every session of this user, this one included
        except UserError as exc:
            flash(_sentence(exc), "error")
            return redirect(url_for("dashboard.account"))
        audit.record(db, audit.Actor(user.email), "user.password", f"user:{user.id}")
        open_session(db, user)
    flash("Password changed. You were logged out on every other device.", "ok")
    return redirect(url_for("dashboard.account"))


@self_service
def totp_setup() -> Any:
    """GET: the QR code to scan. POST: the first code, which turns two-step login on.

    Pages are rendered after the transaction: the layout reads the database too (SQLite
    would wait on our own write lock)."""
    codes = None
    with _db() as db:
        user = _me(db)
        if user.totp_secret:
            flash("Two-step login is already on.", "ok")
            return redirect(url_for("dashboard.account"))
        secret = session.get("totp_pending")
        if not isinstance(secret, str) or request.method == "GET":
            secret = session["totp_pending"] = totp.new_secret()
        if request.method == "POST":
            codes = totp.enable(db, user, secret, request.form.get("code", ""))
            if codes is not None:
                audit.record(db, audit.Actor(user.email), "user.totp_enable", f"user:{user.id}")
                session.pop("totp_pending", None)
            else:
                flash("That code did not match. Type the 6 digits your app shows now.", "error")
        uri = totp.provisioning_uri(secret, user.email, app_context(current_app).settings.org_name)
    if codes is not None:
        return render_template("dashboard/recovery_codes.html", codes=codes)
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    live = live_session()
    return render_template("dashboard/totp_setup.html", secret=secret, qr=qr,
                           must_enrol=bool(live and must_enrol(live)),
                           grouped=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)))


@self_service
def totp_off() -> Any:
    allowed = _password_attempt()
    with _db() as db:
        user = _me(db)
        if not _current_password_ok(user, allowed):
            flash("Your current password was not right. Two-step login stays on.", "error")
        elif app_context(current_app).settings.require_2fa and user.role != "viewer":
            flash("Two-step login is required for your role; it stays on.", "error")
        else:
            totp.disable(db, user)
            audit.record(db, audit.Actor(user.email), "user.totp_disable", f"user:{user.id}")
            flash("Two-step login is off.", "ok")
    return redirect(url_for("dashboard.account"))


@self_service
def recovery_codes() -> Any:
    allowed = _password_attempt()
    with _db() as db:
        user = _me(db)
        if not user.totp_secret or not _current_password_ok(user, allowed):
            flash("Your current password was not right. The old codes still work.", "error")
            return redirect(url_for("dashboard.account"))
        codes = totp.new_recovery_codes(db, user)
        audit.record(db, audit.Actor(user.email), "user.recovery_codes", f"user:{user.id}")
    return render_template("dashboard/recovery_codes.html", codes=codes)


def invite(token: str) -> Any:
    """Public: the link from `outreach users add`. Works once, for 72 hours."""
    with _db() as db:
        user = invited_user(db, token)
        email = user.email if user else None
        if request.method == "POST" and user is not None:
            new, again = request.form.get("new_password", ""), request.form.get(
                "new_password_again", "")
            try:
                if new != again:
                    raise UserError(MISMATCH)
                accept_invitation(db, token, new)
            except UserError as exc:
                flash(_sentence(exc), "error")
            else:
                audit.record(db, audit.Actor(user.email), "user.accept_invitation",
                             f"user:{user.id}")
                open_session(db, user)
                flash("Welcome! Your password is set.", "ok")
                return redirect(url_for("dashboard.account"))
    if email is None:
        return render_template("dashboard/invite_invalid.html", show_nav=False), 404
    return render_template("dashboard/invite.html", email=email, token=token, show_nav=False)


def _sentence(exc: UserError) -> str:
    text = str(exc).removeprefix("password: ")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/account", "account", account)
    bp.add_url_rule("/account/password", "password", password, methods=["POST"])
    bp.add_url_rule("/account/two-step", "totp_setup", totp_setup, methods=["GET", "POST"])
    bp.add_url_rule("/account/two-step/off", "totp_off", totp_off, methods=["POST"])
    bp.add_url_rule("/account/recovery-codes", "recovery_codes", recovery_codes,
                    methods=["POST"])
    bp.add_url_rule("/invite/<token>", "invite", invite, methods=["GET", "POST"])
