"""Console access control: server-side sessions, CSRF and role checks for every route.

- One `before_request` guard on the whole app covers every blueprint, including ones added
  later, except the public mail-facing pages (unsubscribe, tracking) which carry their own
  signed tokens. Default deny: a route is public only if listed in `PUBLIC_ENDPOINTS`.
- The session is server-side (`outreach.accounts.sessions`): Flask's signed cookie
  (HttpOnly, SameSite=Lax, Secure on https, scoped to /dashboard) carries only a random token.
  Logging out deletes the row, so a copied cookie stops working.
- Every request that is not GET/HEAD/OPTIONS must carry the session's CSRF token (a random
  value compared in constant time), and needs the `sender` role unless its view is marked
  `self_service` (a user's own password, second factor, logout): so a `viewer` can change
  nothing, even on a route whose author forgot `requires`.
- With OUTREACH_REQUIRE_2FA=1 an admin or sender without TOTP can only enrol or log out.
- The shared OUTREACH_DASHBOARD_PASSWORD opens an admin session named "dashboard" only while
  no user exists (compared as HMAC digests with `hmac.compare_digest`).
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)

from outreach.accounts import sessions as live_sessions
from outreach.accounts.sessions import SESSION_HOURS, LiveSession
from outreach.accounts.users import role_at_least
from outreach.config import Settings
from outreach.db.session import session_scope
from outreach.web.app import app_context
from outreach.web.dashboard.limiter import make_limiter

PUBLIC_BLUEPRINTS = frozenset({"unsubscribe", "tracking"})  # mail-facing, token-signed
PUBLIC_ENDPOINTS = frozenset({"healthz", "static", "dashboard.static", "dashboard.login",
                              "dashboard.login_code", "dashboard.logout", "dashboard.invite"})
ENROL_ENDPOINTS = frozenset({"dashboard.account", "dashboard.totp_setup", "dashboard.logout",
                             "dashboard.logout_everywhere", "dashboard.password"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
F = TypeVar("F", bound=Callable[..., Any])


def configure(app: Flask) -> None:
    """Cookie flags, the login limiter and the app-wide guard, once per app."""
    ctx = app_context(app)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=ctx.settings.base_url.startswith("https://"),
        SESSION_COOKIE_PATH="/dashboard",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
    )
    app.extensions["dashboard_limiter"] = make_limiter(ctx.settings, ctx.sessions)
    app.before_request(guard)


def self_service(view: F) -> F:
    """Mark a view any logged-in user may POST to (their own account); CSRF still applies."""
    view.self_service = True  # type: ignore[attr-defined]
    return view


def _digest(secret: str, value: str) -> bytes:
    return hmac.new(secret.encode(), b"dashboard-password:" + value.encode(), hashlib.sha256
                    ).digest()


def password_matches(settings: Settings, given: str) -> bool:
    if not settings.dashboard_password:
        return False
    return hmac.compare_digest(_digest(settings.secret_key, given),
                               _digest(settings.secret_key, settings.dashboard_password))


def live_session() -> LiveSession | None:
    """This request's server-side session (looked up once per request)."""
    if "live_session" not in g:
        token = session.get("sid")
        with session_scope(app_context(current_app).sessions) as db:
            g.live_session = live_sessions.load(db, token if isinstance(token, str) else None)
    return g.live_session  # type: ignore[no-any-return]


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
    """Before every request: session, second-factor enrolment, CSRF, then the role floor."""
    if request.blueprint in PUBLIC_BLUEPRINTS or request.endpoint is None:  # None: 404/405
        return None
    if request.endpoint in PUBLIC_ENDPOINTS:
        if request.method not in SAFE_METHODS:
            check_csrf()
        return None
    live = live_session()
    if live is None:
        if request.path.endswith(".json") or request.method not in SAFE_METHODS \
                or request.accept_mimetypes.best == "application/json":
            return jsonify({"error": "login required"}), 401
        return redirect(url_for("dashboard.login", next=request.full_path.rstrip("?")))
    if must_enrol(live) and request.endpoint not in ENROL_ENDPOINTS:
        if request.method not in SAFE_METHODS:
            abort(403, description="Set up two-step login first.")
        return redirect(url_for("dashboard.totp_setup"))
    if request.method not in SAFE_METHODS:
        check_csrf()
        view = current_app.view_functions.get(request.endpoint or "")
        role = live.user.role if live.user is not None else "admin"  # shared password: admin
        if not getattr(view, "self_service", False) and not role_at_least(role, "sender"):
            abort(403, description="Your role can look but not change anything here.")
    return None


def must_enrol(live: LiveSession) -> bool:
    """OUTREACH_REQUIRE_2FA=1 and an admin or sender without a second factor."""
    user = live.user
    return bool(app_context(current_app).settings.require_2fa and user is not None
                and user.role in ("admin", "sender") and not user.totp_secret)


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


def register(bp: Blueprint) -> None:
    bp.record_once(lambda state: configure(state.app))
    bp.app_context_processor(lambda: {"csrf_token": csrf_token})
