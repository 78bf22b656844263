"""The logged-in dashboard, everything under /dashboard (login at /dashboard/login).

`bp` is registered by `outreach.web.app.create_app`. Every route but login, logout, invitations and
the static files needs a session, and every change a role and a CSRF token (see `auth.guard`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from outreach.alerts.templating import CONTACT_FIELDS
from outreach.web.app import app_context
from outreach.web.dashboard import (
    account,
    activity,
    auth,
    contact_page,
    contacts,
    editor,
    followups,
    imports,
    inbox,
    launch,
    login,
    preview,
    segments,
    team,
    tokens,
    views,
    webhooks,
)
from outreach.web.dashboard.alert_forms import friendly
from outreach.web.dashboard.roles import can, current_user
from outreach.web.headers import content_security_policy

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", static_folder="static",
               static_url_path="/static")
auth.register(bp)
login.register(bp)
account.register(bp)
team.register(bp)
activity.register(bp)
views.register(bp)
contacts.register(bp)
for _module in (editor, preview, launch, imports, contact_page, segments, inbox, followups,
                webhooks, tokens):
    _module.register(bp)


@bp.context_processor
def _globals() -> dict[str, Any]:
    return {"org": app_context(current_app).settings.org_name, "friendly": friendly,
            "contact_fields": CONTACT_FIELDS, "can": can, "current_user": current_user,
            "unhandled_replies": unhandled_replies}


def unhandled_replies() -> int:
    """For the navigation: replies nobody has marked handled (called by the layout only)."""
    from outreach.inbound.inbox import count_unhandled
    from outreach.web.dashboard.views import db

    with db() as session:
        return count_unhandled(session)


# The app's default policy plus `connect-src 'self'` for the live-progress fetch() and
# `frame-src 'self'` for the alert preview (a sandboxed document with its own policy).
CSP = content_security_policy("connect-src 'self'", "frame-src 'self'")


@bp.after_request
def _headers(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Content-Security-Policy", CSP)  # the preview sets its own
    return response
