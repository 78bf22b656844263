"""Logging in and out: email and password, then the second factor, then a fresh session.

Every attempt counts against the shared limiter per client address and per account, before
the password is checked; a failure never says which part was wrong. Between the password and
the code the cookie holds only "user N passed the password at T" for `PENDING_SECONDS`.
"""

from __future__ import annotations

import time
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy.orm import Session

from outreach import audit
from outreach.accounts import sessions as live_sessions
from outreach.accounts import totp
from outreach.accounts.users import any_users, authenticate
from outreach.db.models import User
from outreach.db.session import session_scope
from outreach.web.app import app_context
from outreach.web.dashboard.auth import (
    csrf_token,
    live_session,
    password_matches,
    safe_next,
    self_service,
)

FAILED = "Login failed. Check your credentials and try again."
LIMITED = "Too many login attempts. Wait a minute and try again."
CODE_FAILED = "That code did not work. Check the time on your phone, or use a recovery code."
PENDING_SECONDS = 300


def _db() -> Any:
    return session_scope(app_context(current_app).sessions)


def _allowed(*keys: str) -> bool:
    limiter = current_app.extensions["dashboard_limiter"]
    return all([limiter.allow(key) for key in keys])  # count every key, even after a refusal


def open_session(db: Session, user: User | None) -> None:
    """A new server-side session for this browser; nothing from before the login carries over."""
    live_sessions.end(db, session.get("sid"))  # a second login in this browser replaces the first
    token = live_sessions.start(db, user)
    actor = audit.Actor(user.email if user else "dashboard", "user")
    audit.record(db, actor, "user.login", f"user:{user.id}" if user else "shared-password")
    session.clear()
    session.permanent = True
    session["sid"] = token
    csrf_token()


def login() -> Any:
    settings = app_context(current_app).settings
    with _db() as db:
        named = any_users(db)
    if not named and not settings.dashboard_password:
        return render_template("dashboard/refused.html", show_nav=False), 503
    error, status = None, 200
    email = request.form.get("email", "").strip()[:320]
    if request.method == "POST":
        client = f"ip:{request.remote_addr or 'unknown'}"
        if not _allowed(client, *([f"account:{email.lower()}"] if named and email else [])):
            error, status = LIMITED, 429
        else:
            done = _named_login(email) if named else _shared_login(settings)
            if done is not None:
                return done
            error, status = FAILED, 401
    return render_template("dashboard/login.html", error=error, show_nav=False, named=named,
                           email=email, next=safe_next(request.values.get("next"))), status


def _shared_login(settings: Any) -> Any:
    if not password_matches(settings, request.form.get("password", "")):
        return None
    with _db() as db:
        open_session(db, None)
    return redirect(safe_next(request.form.get("next")))


def _named_login(email: str) -> Any:
    with _db() as db:
        user = authenticate(db, email, request.form.get("password", ""))
        if user is None:
            return None
        if user.totp_secret:
            target = safe_next(request.form.get("next"))
            session.clear()
            session.update(pending_user=user.id, pending_at=time.time(), pending_next=target)
            csrf_token()
            return redirect(url_for("dashboard.login_code"))
        open_session(db, user)
    return redirect(safe_next(request.form.get("next")))


def login_code() -> Any:
    """The second step: a TOTP code, or one of the user's recovery codes."""
    user_id, started = session.get("pending_user"), float(session.get("pending_at", 0))
    if not isinstance(user_id, int) or time.time() - started > PENDING_SECONDS:
        session.clear()
        flash("Please log in again.", "error")
        return redirect(url_for("dashboard.login"))
    error, status = None, 200
    if request.method == "POST":
        code = request.form.get("code", "").strip()[:40]
        if not _allowed(f"ip:{request.remote_addr or 'unknown'}", f"code:{user_id}"):
            error, status = LIMITED, 429
        else:
            with _db() as db:
                user = db.get(User, user_id)
                if user is not None and user.disabled_at is None and (
                        totp.verify(db, user, code) or totp.use_recovery_code(db, user, code)):
                    target = str(session.get("pending_next", ""))
                    open_session(db, user)
                    return redirect(safe_next(target))
            error, status = CODE_FAILED, 401
    return render_template("dashboard/login_code.html", error=error, show_nav=False), status


def logout() -> Any:
    """End this session and every earlier one of the same login, on the server: a copy of
    the cookie, or a session left open on an older device, stops working too."""
    live = live_session()
    with _db() as db:
        if live is not None:
            live_sessions.end_this_and_earlier(db, live.row)
        live_sessions.end(db, session.get("sid"))
    session.clear()
    flash("You are logged out.", "ok")
    return redirect(url_for("dashboard.login"))


@self_service
def logout_everywhere() -> Any:
    from outreach.web.dashboard.roles import current_actor, current_user

    user = current_user()
    with _db() as db:
        count = live_sessions.end_all(db, user.id if user else None)
        audit.record(db, current_actor(), "user.logout_everywhere",
                     f"user:{user.id}" if user and user.id else "shared-password", sessions=count)
    session.clear()
    flash(f"You are logged out on every device ({count} session(s) ended).", "ok")
    return redirect(url_for("dashboard.login"))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    bp.add_url_rule("/login/code", "login_code", login_code, methods=["GET", "POST"])
    bp.add_url_rule("/logout", "logout", logout, methods=["POST"])
    bp.add_url_rule("/logout-everywhere", "logout_everywhere", logout_everywhere,
                    methods=["POST"])
