"""Dashboard login: one password from the environment, a signed session, CSRF, rate limit.

- The password (OUTREACH_DASHBOARD_PASSWORD) is compared as HMAC digests with
  `hmac.compare_digest`, so timing tells nothing. Unset, the dashboard refuses every login.
- The session is Flask's cookie, signed with OUTREACH_SECRET_KEY: HttpOnly, SameSite=Lax,
  Secure when the base URL is https, scoped to /dashboard, valid 12 hours. It holds a
  fingerprint of the password, so changing the password logs everyone out.
- Every POST carries the session's CSRF token (a random value compared in constant time).
- Login attempts are rate-limited per client address (`limiter.py`); a failure never says
  which part was wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from outreach.config import Settings
from outreach.web.app import app_context
from outreach.web.dashboard.limiter import make_limiter

SESSION_HOURS = 12
PUBLIC_ENDPOINTS = frozenset({"dashboard.login", "dashboard.logout", "dashboard.static"})
FAILED = "Login failed. Check your credentials and try again."
LIMITED = "Too many login attempts. Wait a minute and try again."


def configure(app: Flask) -> None:
    """Cookie flags and the login limiter, once per app."""
    settings = app_context(app).settings
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        SESSION_COOKIE_PATH="/dashboard",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
    )
    app.extensions["dashboard_limiter"] = make_limiter(settings)


def _digest(secret: str, value: str) -> bytes:
    return hmac.new(secret.encode(), b"dashboard-password:" + value.encode(), hashlib.sha256
                    ).digest()


def password_matches(settings: Settings, given: str) -> bool:
    if not settings.dashboard_password:
        return False
    return hmac.compare_digest(_digest(settings.secret_key, given),
                               _digest(settings.secret_key, settings.dashboard_password))


def _fingerprint(settings: Settings) -> str:
    return _digest(settings.secret_key, "fp:" + (settings.dashboard_password or "")).hex()[:24]


def logged_in() -> bool:
    settings = app_context(current_app).settings
    if not settings.dashboard_password or not session.get("dash"):
        return False
    fresh = time.time() - float(session.get("dash_at", 0)) < SESSION_HOURS * 3600
    return fresh and hmac.compare_digest(str(session.get("dash_fp", "")), _fingerprint(settings))


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def check_csrf() -> None:
    sent = request.form.get("csrf_token", "") or request.headers.get("X-CSRF-Token", "")
    expected = session.get("csrf", "")
    if not sent or not expected or not hmac.compare_digest(str(sent), str(expected)):
        abort(400, description="The form expired or did not come from this dashboard. "
                               "Reload the page and try again.")


def guard() -> Response | tuple[Any, int] | None:
    """Before every dashboard request: a session for non-public pages, then CSRF on POST."""
    if request.endpoint not in PUBLIC_ENDPOINTS and not logged_in():
        if request.path.endswith(".json") or request.method != "GET" \
                or request.accept_mimetypes.best == "application/json":
            return jsonify({"error": "login required"}), 401
        return redirect(url_for("dashboard.login", next=request.full_path.rstrip("?")))
    if request.method == "POST":
        check_csrf()
    return None


def safe_next(target: str | None) -> str:
    """Only a path inside the dashboard: never another host (no open redirect)."""
    default = url_for("dashboard.alerts")
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/dashboard/") \
            or "\\" in target or target.startswith("//") \
            or any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):  # CR/LF, tab, space
        return default
    if not (posixpath.normpath(parts.path) + "/").startswith("/dashboard/"):  # /dashboard/../x
        return default
    return target


def login() -> Any:
    settings = app_context(current_app).settings
    if not settings.dashboard_password:
        return render_template("dashboard/refused.html", show_nav=False), 503
    error, status = None, 200
    if request.method == "POST":
        limiter = current_app.extensions["dashboard_limiter"]
        if not limiter.allow(request.remote_addr or "unknown"):
            error, status = LIMITED, 429
        elif password_matches(settings, request.form.get("password", "")):
            session.clear()  # a fresh session: nothing from before the login carries over
            session.permanent = True
            session.update(dash=True, dash_at=time.time(), dash_fp=_fingerprint(settings))
            csrf_token()
            return redirect(safe_next(request.form.get("next")))
        else:
            error, status = FAILED, 401
    return render_template("dashboard/login.html", error=error, show_nav=False,
                           next=safe_next(request.values.get("next"))), status


def logout() -> Any:
    session.clear()
    return redirect(url_for("dashboard.login"))


def register(bp: Blueprint) -> None:
    bp.record_once(lambda state: configure(state.app))
    bp.before_request(guard)
    bp.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    bp.add_url_rule("/logout", "logout", logout, methods=["POST"])
    bp.context_processor(lambda: {"csrf_token": csrf_token})
