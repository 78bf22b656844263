"""The audit page: who did what, newest first, filtered by kind of action and by person."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from outreach import audit
from outreach.db.models import AuditEvent
from outreach.web.dashboard.views import db

PAGE = 200
ACTION_GROUPS = {"": "Everything", "user.": "Accounts and logins", "alert.": "Alerts",
                 "contact": "Contacts", "segment.": "Segments"}


def activity() -> Any:
    action, actor = request.args.get("action", "")[:64], request.args.get("actor", "")[:320]
    if any(ord(c) < 0x20 for c in action + actor):
        abort(400)
    with db() as session:
        events = audit.list_events(session, action=action or None, actor=actor or None,
                                   limit=PAGE)
        actors = session.scalars(select(AuditEvent.actor).distinct().order_by(AuditEvent.actor)
                                 .limit(500)).all()
    return render_template("dashboard/audit.html", events=events, action=action, actor=actor,
                           actors=actors, groups=ACTION_GROUPS, page=PAGE)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/activity", "audit", activity)
