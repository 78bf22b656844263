"""Public unsubscribe pages: `/u/<token>` (GET shows, POST acts) and RFC 8058 one-click.

GET never unsubscribes: link scanners and mail gateways open every link. A POST does: the
signed token in the URL is the capability, so no cookie, session or login is involved and
none is set. A form POST whose Origin header names another site is refused (defence in
depth; the token alone already stops cross-site forgery). A POST whose body is
`List-Unsubscribe=One-Click` is what mail clients send (RFC 8058): it gets a bare 200.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, render_template, request
from sqlalchemy.orm import Session

from outreach.config import Settings
from outreach.contacts.suppression import suppression_for
from outreach.db.session import session_scope
from outreach.inbound.unsubscribe import (
    LinkTarget,
    made_by_this_link,
    resolve,
    undo,
    undo_token,
    unsubscribe,
)
from outreach.web.app import app_context
from outreach.web.unsubscribe.text import STRINGS, masked, strings_for

bp = Blueprint("unsubscribe", __name__)
ONE_CLICK_BODY = "List-Unsubscribe=One-Click"


@contextmanager
def _session() -> Iterator[Session]:
    with session_scope(app_context(current_app).sessions) as session:
        yield session


def _settings() -> Settings:
    return app_context(current_app).settings


@bp.after_request
def _no_store(response: Response) -> Response:
    """Pages behind a personal token: not cached, not indexed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _page(template: str, target: LinkTarget | None, status: int = 200, **extra: object) -> tuple:
    if target is None:
        lang = request.accept_languages.best_match(list(STRINGS)) or "en"
        address = ""
    else:
        lang, address = target.language, masked(target.contact.email or "")
    lang, text = strings_for(lang)
    context = {"lang": lang, "t": text, "org": _settings().org_name, "address": address,
               "skip_label": text["skip"]}
    return render_template(f"unsubscribe/{template}.html", **context, **extra), status


def _invalid() -> tuple:
    return _page("invalid", None, 404)


def _is_one_click() -> bool:
    if request.form.get("List-Unsubscribe") == "One-Click":
        return True
    return request.get_data(cache=True, as_text=True).strip() == ONE_CLICK_BODY


def _foreign_origin() -> bool:
    """A browser POST from another site (Origin present and neither ours nor the base URL's)."""
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return False
    ours = {request.host_url.rstrip("/"), _origin_of(_settings().base_url)}
    return origin.rstrip("/") not in ours


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@bp.get("/u/<token>")
def show(token: str) -> tuple:
    with _session() as session:
        target = resolve(session, _settings().secret_key, token)
        if target is None:
            return _invalid()
        already = suppression_for(session, target.contact.email_hash) is not None
        return _page("confirm", target, token=token, already=already)


@bp.post("/u/<token>")
def act(token: str) -> tuple:
    one_click = _is_one_click()
    if not one_click and _foreign_origin():
        abort(403)
    secret = _settings().secret_key
    with _session() as session:
        target = resolve(session, secret, token)
        if target is None:
            return _invalid()
        new = unsubscribe(session, target, "one-click" if one_click else "link")
        if one_click:
            return "Unsubscribed.\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
        # Undo only for the POST that unsubscribed: a replayed form offers none.
        can_undo = new and made_by_this_link(session, target)
        return _page("done", target, token=token,
                     undo_token=undo_token(secret, target) if can_undo else None)


@bp.post("/u/<token>/undo")
def undo_view(token: str) -> tuple:
    if _foreign_origin():
        abort(403)
    secret = _settings().secret_key
    with _session() as session:
        target = resolve(session, secret, token)
        if target is None:
            return _invalid()
        if suppression_for(session, target.contact.email_hash) is None:
            return _page("undone", target)  # a repeated undo: already subscribed
        if not undo(session, secret, target, request.form.get("undo", "")):
            return _page("undo_failed", target, 400)
        return _page("undone", target)
