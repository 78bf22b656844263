"""The JSON API under /api/v1: a Flask app of its own, mounted beside the console.

Its own app, not a blueprint of the console's, because it answers differently everywhere:
problem+json for every error (even 404 and 405), bearer tokens instead of cookies (so no
CSRF), and an OpenAPI 3.1 document generated from the views' schemas (flask-smorest), at
/api/v1/openapi.json. It shares the console's AppContext (settings, engine) and the same core
services as the CLI.
"""

from __future__ import annotations

import importlib

from flask import Flask
from flask_smorest import Api
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from outreach.context import AppContext
from outreach.errors import UserError
from outreach.web.api import auth, problems
from outreach.web.api.ratelimit import make_token_limiter
from outreach.web.headers import SECURITY_HEADERS

PREFIX = "/api/v1"
RESOURCES = ("contacts", "imports", "segments", "alerts", "alert_control", "reports", "replies",
             "followups", "webhooks", "tokens")


class OutreachApi(Api):
    """flask-smorest, with our problem+json handlers instead of its own error format."""

    def _register_responses(self) -> None:
        """The `default` response of every operation: a problem document."""
        from flask_smorest.utils import prepare_response

        from outreach.web.api.common import ProblemSchema

        response = {"description": "An error (RFC 9457 problem details)", "schema": ProblemSchema}
        prepare_response(response, self.spec, problems.MEDIA_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_error_handlers(self) -> None:
        self._app.register_error_handler(problems.Problem, problems.handle_problem)
        self._app.register_error_handler(UserError, problems.handle_user_error)
        self._app.register_error_handler(HTTPException, problems.handle_http)
        self._app.register_error_handler(Exception, problems.handle_unexpected)


def create_api_app(app_ctx: AppContext) -> Flask:
    app = Flask(__name__)
    app.config.update(
        API_TITLE="outreach API", API_VERSION="v1", OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/", OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=16 * 1024 * 1024, JSON_SORT_KEYS=False,
        API_SPEC_OPTIONS={
            "servers": [{"url": PREFIX}],
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "An API token (otr_…) from `outreach tokens create`."}}},
        })
    app.extensions["outreach"] = app_ctx
    app.extensions["api_limiter"] = make_token_limiter(app_ctx.settings)
    app.before_request(auth.check_request)
    api = OutreachApi(app)
    for name in RESOURCES:
        api.register_blueprint(importlib.import_module(f"outreach.web.api.{name}").blp)
    app.after_request(_headers)
    return app


def _headers(response):  # type: ignore[no-untyped-def]
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def mount(app: Flask, app_ctx: AppContext) -> Flask:
    """Serve the API app under /api/v1 of `app` (the console's routes never see its paths)."""
    api_app = create_api_app(app_ctx)
    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, {PREFIX: api_app.wsgi_app})
    app.extensions["api_app"] = api_app
    if app_ctx.settings.broker_url:  # events of web actions are dispatched right after commit
        from workers.app import use_settings
        from workers.tasks_webhooks import install_notifier

        use_settings(app_ctx.settings)
        install_notifier()
    return api_app
