"""The web app: public unsubscribe and tracking endpoints, and the logged-in dashboard."""

from __future__ import annotations

import importlib
from pathlib import Path

from flask import Flask

from outreach.context import AppContext
from outreach.settings import Settings

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "web"
BLUEPRINTS = (
    "outreach.web.unsubscribe",
    "outreach.web.tracking",
    "outreach.web.dashboard",
)


def create_app(settings: Settings, app_ctx: AppContext | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config["SECRET_KEY"] = settings.secret_key
    app.extensions["outreach"] = app_ctx or AppContext(settings)
    for name in BLUEPRINTS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        app.register_blueprint(module.bp)
    return app


def app_context(app: Flask) -> AppContext:
    return app.extensions["outreach"]
