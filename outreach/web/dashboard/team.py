"""Admin pages: the team's users. Invite, change a role, disable, enable, send a new link.

Every route needs `admin` on the server (`requires`), and every POST is CSRF-checked by the
app-wide guard. An invitation link is shown once, to the admin who made it, to pass on.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from outreach import audit
from outreach.accounts import users as accounts
from outreach.db.models import USER_ROLES, User
from outreach.db.session import session_scope
from outreach.errors import UserError
from outreach.web.app import app_context
from outreach.web.dashboard.roles import current_actor, requires

ROLE_HELP = {
    "viewer": "can look at alerts, contacts and results, and change nothing",
    "sender": "can also import contacts, write, test and launch alerts",
    "admin": "can also manage the team's accounts",
}


def _db() -> Any:
    return session_scope(app_context(current_app).sessions)


@requires("admin")
def users() -> Any:
    with _db() as db:
        rows = accounts.list_users(db)
    return render_template("dashboard/users.html", users=rows, roles=USER_ROLES,
                           role_help=ROLE_HELP)


@requires("admin")
def invite() -> Any:
    settings = app_context(current_app).settings
    email, role = request.form.get("email", ""), request.form.get("role", "")
    try:
        with _db() as db:
            user, token = accounts.invite(db, email, role, current_actor().name)
            audit.record(db, current_actor(), "user.invite", f"user:{user.id}",
                         email=user.email, role=role)
            address = user.email
    except UserError as exc:
        flash(str(exc).replace("`outreach users reinvite`", "“New link”"), "error")
        return redirect(url_for("dashboard.users"))
    return render_template("dashboard/invited.html", email=address,
                           link=accounts.invitation_url(settings.base_url, token))


def _user_or_404(db: Any, user_id: int) -> User:
    if user_id >= 2**31:  # beyond an INTEGER column: PostgreSQL would raise, not miss
        abort(404)
    user = db.get(User, user_id)
    if user is None:
        abort(404)
    return user


@requires("admin")
def change(user_id: int, what: str) -> Any:
    """POST /users/<id>/<role|disable|enable|reinvite>."""
    if what not in ("role", "disable", "enable", "reinvite"):
        abort(404)
    settings = app_context(current_app).settings
    try:
        with _db() as db:
            user = _user_or_404(db, user_id)
            detail = _apply(db, user, what)
            audit.record(db, current_actor(), f"user.{what}", f"user:{user.id}",
                         email=user.email, **{k: v for k, v in detail.items() if k != "token"})
            email = user.email
    except UserError as exc:
        flash(str(exc), "error")
        return redirect(url_for("dashboard.users"))
    if what == "reinvite":
        return render_template("dashboard/invited.html", email=email,
                               link=accounts.invitation_url(settings.base_url, detail["token"]))
    flash(f"{email}: {DONE[what].format(**detail)}.", "ok")
    return redirect(url_for("dashboard.users"))


DONE = {"role": "role is now {role}", "disable": "disabled and logged out everywhere",
        "enable": "enabled again"}


def _apply(db: Any, user: User, what: str) -> dict[str, str]:
    if what == "role":
        role = request.form.get("role", "")
        accounts.set_role(db, user, role)
        return {"role": role}
    if what == "disable":
        accounts.disable(db, user)
    elif what == "enable":
        accounts.enable(user)
    else:
        return {"token": accounts.reinvite(db, user)}
    return {}


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/users", "users", users)
    bp.add_url_rule("/users/invite", "invite_user", invite, methods=["POST"])
    bp.add_url_rule("/users/<int:user_id>/<what>", "change_user", change, methods=["POST"])
