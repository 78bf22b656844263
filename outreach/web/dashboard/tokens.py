"""Dashboard API tokens page (admin): every token with its prefix, role and last use; create
one for a user (the secret is shown on the answer page once, never stored or flashed into the
session cookie) and revoke. The same service as `outreach tokens` and /api/v1/tokens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from outreach.access import tokens
from outreach.audit import record
from outreach.db.models import TOKEN_SCOPES
from outreach.errors import UserError
from outreach.web.dashboard.roles import current_actor, requires
from outreach.web.dashboard.views import db


def _page(created: dict[str, Any] | None = None, error: str | None = None,
          status: int = 200) -> Any:
    with db() as session:
        rows = [tokens.to_json(t) for t in tokens.list_tokens(session)]
    return render_template("dashboard/tokens.html", tokens=rows, scopes=TOKEN_SCOPES,
                           created=created, error=error), status


@requires("admin")
def tokens_page() -> Any:
    return _page()


@requires("admin")
def create() -> Any:
    email = request.form.get("email", "").strip()[:320]
    scope = request.form.get("scope") or None
    name = request.form.get("name", "").strip()[:100]
    try:
        with db() as session:
            user = tokens.find_user(session, email)
            row, plaintext = tokens.create(session, user, scope=scope, name=name,
                                           created_by=current_actor().name)
            record(session, current_actor(), "token.create", f"token:{row.id}",
                   user=user.email, scope=scope)
            session.commit()
            created = {**tokens.to_json(row), "token": plaintext}
    except UserError as exc:
        return _page(error=str(exc).replace("--user", "User").replace("--scope", "Scope"),
                     status=422)
    return _page(created=created)


@requires("admin")
def revoke(token: str) -> Any:
    if not token.isdigit() or len(token) > 9:
        abort(404)
    try:
        with db() as session:
            tokens.revoke(session, token)
            record(session, current_actor(), "token.revoke", f"token:{token}")
            session.commit()
    except UserError:
        abort(404)
    flash(f"Token {token} revoked: its next request gets 401.", "ok")
    return redirect(url_for("dashboard.tokens"))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/tokens", "tokens", tokens_page)
    bp.add_url_rule("/tokens", "create_token", create, methods=["POST"])
    bp.add_url_rule("/tokens/<token>/revoke", "revoke_token", revoke, methods=["POST"])
