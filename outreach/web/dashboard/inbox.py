"""The replies inbox: replies across alerts, newest first, to read and mark handled; and the
mail that matched nothing of ours (shown, never acted on)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from outreach.audit import record
from outreach.db.models import Alert
from outreach.inbound.inbox import PAGE, inbox, mark_handled
from outreach.web.dashboard.roles import can, current_actor, requires
from outreach.web.dashboard.views import db

HANDLED = {"": None, "no": False, "yes": True}


def _filters() -> dict[str, str]:
    args = request.values
    return {"alert": args.get("alert", ""), "handled": args.get("handled", "no"),
            "show": args.get("show", "replies"), "before": args.get("before", "")}


@requires("viewer")
def inbox_page() -> Any:
    f = _filters()
    if f["handled"] not in HANDLED or f["show"] not in ("replies", "unmatched") or \
            (f["alert"] and not f["alert"].isdigit()) or \
            (f["before"] and not f["before"].isdigit()):
        abort(400)
    with db() as session:
        items = inbox(session, alert_id=int(f["alert"]) if f["alert"] else None,
                      handled=HANDLED[f["handled"]], unmatched=f["show"] == "unmatched",
                      before=int(f["before"]) if f["before"] else None)
        alerts = session.execute(select(Alert.id, Alert.title).where(Alert.state != "draft")
                                 .order_by(Alert.id.desc()).limit(200)).all()
    return render_template("dashboard/inbox.html", items=items, alerts=alerts, f=f,
                           next_before=items[-1].id if len(items) == PAGE else None,
                           editable=can("sender"))


@requires("sender")
def mark(mail_id: int) -> Any:
    """POST: mark=1 marks, mark=0 unmarks; back to the same filtered list."""
    handled = request.form.get("mark") == "1"
    with db() as session:
        if not mark_handled(session, mail_id, current_actor().name, handled):
            abort(404)
        record(session, current_actor(), "reply.handled" if handled else "reply.unhandled",
               f"inbound:{mail_id}")
    flash(f"Marked {'handled' if handled else 'not handled'}.", "ok")
    f = {k: v for k, v in _filters().items() if v and k != "before"}
    return redirect(url_for("dashboard.inbox", **f))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/inbox", "inbox", inbox_page)
    bp.add_url_rule("/inbox/<int:mail_id>/handled", "mark_handled", mark, methods=["POST"])
