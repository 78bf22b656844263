"""One contact: details, outlet, tags, its whole history in time order, and the hand-made
changes (unsubscribe, resubscribe, erase), each with a reason, through `contacts.lifecycle`
(the CLI's functions), each recorded in the audit log.

Erasure asks for the address to be typed: it cannot be undone. Its audit row names the
contact by id only, so the log keeps no personal data the erasure removed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from outreach.audit import record
from outreach.contacts import lifecycle
from outreach.contacts.queries import contact_history
from outreach.db.models import Contact
from outreach.errors import UserError
from outreach.web.dashboard.roles import can, current_actor, requires
from outreach.web.dashboard.views import db

ACTIONS = ("unsubscribe", "resubscribe", "erase")


def _contact(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        abort(404)
    return contact


def timeline(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Contact events, messages and inbound mail as one list, oldest first."""
    items = [{"at": e["at"], "what": e["kind"], "how": e["channel"], "alert_id": e["alert_id"],
              "detail": e["detail"] or ""} for e in data["events"]]
    for m in data["messages"]:
        for e in m["events"] or [{"at": m["sent_at"] or "", "to_status": m["status"],
                                  "detail": None}]:
            items.append({"at": e["at"], "what": f"message {e['to_status']}",
                          "how": "mail", "alert_id": m["alert_id"],
                          "detail": m["alert"] + (f" · {e['detail']}" if e["detail"] else "")})
    for i in data["inbound"]:
        items.append({"at": i["at"], "what": f"inbound {i['kind']}".replace("_", " "),
                      "how": "mail", "alert_id": i["alert_id"],
                      "detail": (i["subject"] or "") + (f": {i['text'][:300]}" if i["text"]
                                                        else "")})
    return sorted(items, key=lambda item: item["at"] or "")


@requires("viewer")
def contact_page(contact_id: int) -> Any:
    with db() as session:
        contact = _contact(session, contact_id)
        data = contact_history(session, contact)
        outlet_id = contact.outlet_id
    return render_template("dashboard/contact.html", data=data, c=data["contact"],
                           outlet_id=outlet_id, history=timeline(data),
                           editable=can("sender"), contact_id=contact_id)


@requires("sender")
def change(contact_id: int, action: str) -> Any:
    """POST: unsubscribe / resubscribe / erase by hand, with a reason."""
    if action not in ACTIONS:
        abort(404)
    reason = " ".join(request.form.get("reason", "").split())[:500]
    back = redirect(url_for("dashboard.contact", contact_id=contact_id))
    try:
        with db() as session:
            contact = _contact(session, contact_id)
            if not reason:
                raise UserError("say why (the reason is kept in the contact's history)")
            done = _apply(session, contact, action, reason)
            record(session, current_actor(), f"contact.{action}", f"contact:{contact_id}",
                   reason=reason, changed=done)
    except UserError as exc:
        flash(f"Not done: {exc}", "error")
        return back
    flash({"unsubscribe": "Unsubscribed: this address will not be mailed."
                          if done else "Already suppressed: nothing changed.",
           "resubscribe": "Resubscribed: this address may be mailed again."
                          if done else "It was not suppressed: nothing changed.",
           "erase": "Erased: personal data removed; the address stays suppressed."}[action],
          "ok")
    return back


def _apply(session: Session, contact: Contact, action: str, reason: str) -> bool:
    if contact.status == "erased":
        raise UserError("this contact was erased")
    if action == "unsubscribe":
        return lifecycle.unsubscribe(session, contact, reason, channel="console")
    if action == "resubscribe":
        return lifecycle.resubscribe(session, contact, reason, channel="console")
    typed = request.form.get("confirm_email", "").strip().lower()
    if typed != (contact.email or "").lower():
        raise UserError("type the contact's email address to confirm the erasure")
    lifecycle.erase(session, contact)
    return True


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/contacts/<int:contact_id>", "contact", contact_page)
    bp.add_url_rule("/contacts/<int:contact_id>/<action>", "contact_change", change,
                    methods=["POST"])
