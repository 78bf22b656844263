"""The web app: public unsubscribe and tracking endpoints, and the logged-in dashboard."""

from __future__ import annotations

import importlib
import logging
import re
from importlib import resources
from pathlib import Path

from flask import Flask, Response, abort, current_app, render_template, request
from sqlalchemy import text
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.middleware.proxy_fix import ProxyFix

from outreach.config import Settings
from outreach.context import AppContext
from outreach.web.headers import SECURITY_HEADERS

log = logging.getLogger(__name__)

# The pages, wherever the package is installed; static files are package data of outreach.web
# (and of outreach.web.dashboard, for its blueprint), served from beside their modules.
TEMPLATES = Path(str(resources.files("outreach.templates") / "web"))
BLUEPRINTS = (
    "outreach.web.unsubscribe.views",
    "outreach.web.tracking",
    "outreach.web.dashboard",
)


def create_app(settings: Settings, app_ctx: AppContext | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config["SECRET_KEY"] = settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    app.extensions["outreach"] = app_ctx or AppContext(settings)
    from outreach.web.api import mount  # the JSON API: its own app under /api/v1

    mount(app, app.extensions["outreach"])
    _behind_proxy(app, settings)
    app.before_request(refuse_unusable_values)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _server_error)
    app.add_url_rule("/healthz", "healthz", _healthz)
    for name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(name).bp)
    if settings.base_url.startswith("https://"):
        app.after_request(_strict_transport_security)
    return app


def app_context(app: Flask) -> AppContext:
    return app.extensions["outreach"]


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _strict_transport_security(response: Response) -> Response:
    response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _behind_proxy(app: Flask, settings: Settings) -> None:
    """OUTREACH_TRUSTED_PROXIES=N: trust X-Forwarded-* from N proxies in front (default 0)."""
    hops = settings.trusted_proxies
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )


# The database's integer columns are 32-bit on PostgreSQL: a larger id names nothing.
MAX_ID = 2**31 - 1
INTEGER_ARGS = ("after", "outlet", "page", "limit", "alert", "contact")
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


def refuse_unusable_values() -> None:
    """404 for an id no row can have, 400 for a query value no query can use: before any view
    runs, so a 30-digit id, `?page=²` (isdigit() but not int()) or a NUL (PostgreSQL refuses
    it in text) cannot become a 500, in today's views or tomorrow's."""
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and not 0 <= value <= MAX_ID:
            abort(404)
        if isinstance(value, str) and "\x00" in value:
            abort(404)
    for name, value in request.args.items(multi=True):
        if "\x00" in value or "\x00" in name:
            abort(400)
        if name in INTEGER_ARGS and value and not (
                _ASCII_DIGITS.fullmatch(value) and int(value) <= MAX_ID):
            abort(400)


def _http_error(exc: HTTPException) -> Response:
    """Our own page for 4xx/5xx, keeping the exception's headers (e.g. Allow on a 405)."""
    response = exc.get_response()
    response.set_data(render_template(
        "error.html", code=exc.code, name=exc.name, description=exc.description,
    ))
    response.content_type = "text/html; charset=utf-8"
    return response


def _server_error(exc: Exception) -> Response:
    log.exception("unhandled error in a web request", exc_info=exc)
    return _http_error(InternalServerError())


def _healthz() -> tuple[dict[str, str], int]:
    """Liveness and database reachability, for the proxy's and the orchestrator's checks."""
    try:
        with app_context(current_app).engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        log.exception("health check: database unreachable")
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok"}, 200
