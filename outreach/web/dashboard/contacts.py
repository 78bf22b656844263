"""Dashboard contacts list: search, suppression state, keyset pagination."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request

from outreach.web.dashboard.queries import contacts_page
from outreach.web.dashboard.roles import requires
from outreach.web.dashboard.views import db


@requires("viewer")
def contacts() -> Any:
    q = request.args.get("q", "")[:200]
    suppressed = request.args.get("suppressed", "")
    outlet = request.args.get("outlet", "")
    after = request.args.get("after", "0")
    if suppressed not in ("", "yes", "no") or not after.isdigit() or \
            (outlet and not outlet.isdigit()):
        abort(400)
    with db() as session:
        page = contacts_page(session, q=q, suppressed=suppressed,
                             outlet_id=int(outlet) if outlet else None, after=int(after))
    return render_template("dashboard/contacts.html", page=page, q=q, suppressed=suppressed,
                           outlet=outlet, after=int(after))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/contacts", "contacts", contacts)
