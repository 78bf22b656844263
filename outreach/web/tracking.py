"""Opt-in open and click tracking: `/o/<signed>.gif` and `/c/<signed>` (outreach.mail.links).

Recorded only for alerts with `track_opens` / `track_clicks`. The click redirect goes to link
number N of the message's own alert variant (`AlertVariant.links`), never to a URL taken from
the request: no open redirect. Fetches that are most likely machines (HEAD requests, known
scanner and preview user agents, a fetch within a couple of seconds of delivery) are recorded
as `prefetch`, not as an open or a click. Each message counts its first open and its first
click per link (unique `MessageEvent.external_id`), so reloads change nothing.
"""

from __future__ import annotations

import base64
import re
from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, redirect, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from outreach.db.models import AlertVariant, Message, MessageEvent, utcnow
from outreach.db.session import session_scope
from outreach.mail.tokens import read_link
from outreach.web.app import app_context

bp = Blueprint("tracking", __name__)

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
PREFETCH_WINDOW = timedelta(seconds=2)
# Link scanners, mail security gateways, chat unfurlers and scripts: not a person clicking.
_SCANNER_UA = re.compile(
    r"bot\b|spider|crawler|scanner|preview|urldefense|proofpoint|mimecast|barracuda|"
    r"safelinks|microsoft office|ms-office|outlook-ios|symantec|forcepoint|sophos|trend ?micro|"
    r"fortiguard|zscaler|cisco|ironport|checkpoint|paloalto|virustotal|python-requests|"
    r"python-urllib|aiohttp|httpx|curl/|wget/|go-http-client|java/|okhttp|libwww|"
    r"headlesschrome|phantomjs|facebookexternalhit|slackbot|twitterbot|whatsapp|telegrambot|"
    r"skypeuripreview|discordbot|linkedinbot", re.I)
# Image proxies that fetch when the reader opens the mail: a real open.
_OPEN_PROXY_UA = re.compile(r"googleimageproxy|yahoomailproxy|ymailproxy", re.I)


def prefetch_reason(method: str, user_agent: str, sent_at, now, *, is_open: bool) -> str | None:
    """Why this fetch is probably a machine's, or None if it may be a person's."""
    if method == "HEAD":
        return "HEAD request"
    if not user_agent.strip():
        return "no user agent"
    if is_open and _OPEN_PROXY_UA.search(user_agent):
        return None
    if _SCANNER_UA.search(user_agent):
        return "scanner user agent"
    if sent_at is not None and now - sent_at < PREFETCH_WINDOW:
        return "within 2 s of delivery"
    return None


def _signed_message_id(purpose: str, signed: str) -> object:
    payload = read_link(app_context(current_app).settings.secret_key, purpose, signed)
    if payload is None:
        abort(404)
    return payload


@bp.route("/o/<signed>.gif", methods=["GET"])
def open_pixel(signed: str) -> Response:
    payload = _signed_message_id("open", signed)
    if not isinstance(payload, int) or isinstance(payload, bool):
        abort(404)
    with session_scope(app_context(current_app).sessions) as session:
        message = session.get(Message, payload)
        if message is not None and message.alert.track_opens:
            reason = prefetch_reason(request.method, request.user_agent.string or "",
                                     message.sent_at, utcnow(), is_open=True)
            _record(session, message.id, "opened", f"open:{message.id}", "open", reason)
    response = Response(PIXEL, mimetype="image/gif")
    response.headers["Cache-Control"] = "no-store, no-cache, must-revalidate, private"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/c/<signed>", methods=["GET"])
def click(signed: str) -> Response:
    payload = _signed_message_id("click", signed)
    if (not isinstance(payload, list) or len(payload) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in payload)):
        abort(404)
    message_id, index = payload
    with session_scope(app_context(current_app).sessions) as session:
        message = session.get(Message, message_id)
        if message is None:
            abort(404)
        target = _link(session, message, index)
        if target is None:
            abort(404)
        if message.alert.track_clicks:
            reason = prefetch_reason(request.method, request.user_agent.string or "",
                                     message.sent_at, utcnow(), is_open=False)
            _record(session, message.id, "clicked", f"click:{message.id}:{index}",
                    f"link {index}", reason)
    response = redirect(target, code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _link(session: Session, message: Message, index: int) -> str | None:
    """Link number `index` of the message's own variant (or the alert's default language)."""
    variant = message.variant
    if variant is None:
        variant = session.scalars(
            select(AlertVariant).where(AlertVariant.alert_id == message.alert_id)
            .order_by((AlertVariant.language == message.alert.default_language).desc())
        ).first()
    links = list(variant.links or []) if variant is not None else []
    if not 0 <= index < len(links):
        return None
    url = str(links[index])
    if not re.match(r"^https?://[^\s/?#]+", url, re.I) or any(c in url for c in "\r\n"):
        return None  # only web links; never javascript:, data: or a header-splitting value
    return url


def _record(session: Session, message_id: int, kind: str, external_id: str, what: str,
            prefetch: str | None) -> None:
    """Once per external id; a prefetch is kept under its own id so it never hides a person."""
    if prefetch is not None:
        kind, external_id, detail = "prefetch", f"prefetch-{external_id}", f"{what}: {prefetch}"
    else:
        detail = what
    if session.scalar(select(MessageEvent.id).where(MessageEvent.external_id == external_id)):
        return
    try:
        with session.begin_nested():
            session.add(MessageEvent(message_id=message_id, kind=kind, detail=detail,
                                     external_id=external_id))
    except IntegrityError:  # the same event, recorded by a concurrent request
        pass
