"""The audit page: who did what, newest first, filtered by kind of action and by person.

Rows are shown in plain words for the press officers who read them ("Paused the alert"),
with the stored action code beside them for whoever greps `outreach audit --json`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from sqlalchemy import select

from outreach import audit
from outreach.db.models import AuditEvent, User
from outreach.web.dashboard.views import db

PAGE = 200
ACTION_GROUPS = {"": "Everything", "user.": "Accounts and logins", "alert.": "Alerts",
                 "contact": "Contacts", "segment.": "Segments", "reply.": "Replies"}
LABELS = {
    "user.login": "Logged in", "user.logout_everywhere": "Logged out on every device",
    "user.invite": "Invited", "user.reinvite": "Sent a new invitation link to",
    "user.accept_invitation": "Accepted the invitation", "user.password": "Changed password",
    "user.totp_enable": "Turned on two-step login", "user.totp_disable":
    "Turned off two-step login", "user.recovery_codes": "Made new recovery codes",
    "user.role": "Changed the role of", "user.disable": "Disabled", "user.enable": "Enabled",
    "contacts.import": "Imported contacts from", "contact.unsubscribe": "Unsubscribed",
    "contact.resubscribe": "Resubscribed", "contact.erase": "Erased",
    "alert.create": "Created", "alert.edit": "Edited", "alert.test_send": "Sent a test of",
    "alert.launch": "Launched", "alert.schedule": "Scheduled",
    "alert.pause": "Paused", "alert.resume": "Resumed", "alert.cancel": "Cancelled",
    "alert.retry_failed": "Retried the failed messages of", "alert.follow_up":
    "Created the follow-up", "segment.save": "Saved the segment",
    "reply.handled": "Marked handled", "reply.unhandled": "Marked not handled",
}


def activity() -> Any:
    action, actor = request.args.get("action", "")[:64], request.args.get("actor", "")[:320]
    if any(ord(c) < 0x20 for c in action + actor):
        abort(400)
    with db() as session:
        events = audit.list_events(session, action=action or None, actor=actor or None,
                                   limit=PAGE)
        actors = session.scalars(select(AuditEvent.actor).distinct().order_by(AuditEvent.actor)
                                 .limit(500)).all()
        emails = {uid: email for uid, email in session.execute(select(User.id, User.email))}
    rows = [_row(e, emails) for e in events]
    return render_template("dashboard/audit.html", rows=rows, action=action, actor=actor,
                           actors=actors, groups=ACTION_GROUPS, page=PAGE)


def _row(event: AuditEvent, emails: dict[int, str]) -> dict[str, Any]:
    kind, _, ident = event.target.partition(":")
    target, href = event.target, None
    if kind == "user" and ident.isdigit():
        target = emails.get(int(ident), event.target)
    elif kind == "alert" and ident.isdigit() and len(ident) < 10:
        target, href = f"alert {ident}", url_for("dashboard.alert", alert_id=int(ident))
    elif kind in ("contact", "segment", "file"):
        target = f"{kind} {ident}"
    elif kind == "inbound":
        target = f"reply {ident}"
    who = event.actor
    if event.actor_kind == "cli":
        who = f"{event.actor.removeprefix('cli:')} (command line)"
    detail = {k: v for k, v in (event.detail or {}).items() if k != "email"}
    return {"at": event.at, "who": who, "action": event.action, "target": target, "href": href,
            "label": LABELS.get(event.action, event.action.replace(".", ": ").replace("_", " ")),
            "detail": detail}


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/activity", "audit", activity)
