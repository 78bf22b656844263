"""Preview and test copies in the browser: what a send produces, through the same composer.

The preview is its own document, shown in a frame: the email's HTML needs inline styles,
which the dashboard's policy forbids, so it is served with a policy of its own that allows
them, runs no script at all (`sandbox`) and may only be framed by the dashboard. The editor
posts its unsaved form into that frame ("Preview"), or the frame loads a stored alert.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import Session

from outreach.alerts.compile import compile_variant
from outreach.audit import record
from outreach.contacts.lifecycle import find_contact
from outreach.db.models import Alert, AlertVariant
from outreach.errors import UserError
from outreach.mail import preview
from outreach.sending import copies
from outreach.web.app import app_context
from outreach.web.dashboard import alert_forms
from outreach.web.dashboard.roles import current_actor, current_user, requires
from outreach.web.dashboard.views import alert_or_404, db

PREVIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; "
               "frame-src 'self' about:; frame-ancestors 'self'; base-uri 'none'; "
               "form-action 'none'; sandbox allow-same-origin")
MAX_TEST_RECIPIENTS = 5


def _contact(session: Session, email: str, language: str) -> Any:
    """The chosen contact (or the sample), speaking `language` for this preview."""
    contact = (find_contact(session, email, option="contact") if email
               else preview.sample_contact())
    stand_in = preview.readdressed(contact, contact.email or "erased@example.invalid")
    stand_in.language = language or stand_in.language
    return stand_in


def _document(alert: Alert, email: str, language: str) -> Response:
    settings = app_context(current_app).settings
    try:
        with db() as session:
            mail = preview.compose_copy(alert, _contact(session, email, language), settings)
        msg, text, html = preview.parts(mail)
        headers = [(k, str(v)) for k, v in msg.items() if k in ("From", "To", "Subject",
                                                                "Reply-To", "List-Unsubscribe")]
        body = render_template("dashboard/preview_frame.html", headers=headers, text=text,
                               html=html, error=None)
    except UserError as exc:
        body = render_template("dashboard/preview_frame.html", error=str(exc))
    response = make_response(body)
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@requires("viewer")
def stored(alert_id: int) -> Response:
    """The frame for a stored alert: ?language=ru&contact=anna@example.org."""
    with db() as session:
        alert = alert_or_404(session, alert_id)
        session.expunge(alert)
    return _document(alert, request.args.get("contact", "").strip()[:320],
                     request.args.get("preview_language", "").strip()[:2])


@requires("sender")
def unsaved() -> Response:
    """The frame for the editor's form as typed (nothing stored): the live preview."""
    settings = app_context(current_app).settings
    form = alert_forms.from_request(request.form)
    try:
        alert = Alert(title="preview", default_language=form.languages[0],
                      track_opens=form.track_opens, track_clicks=form.track_clicks)
        for source in alert_forms.sources(form, settings):
            c = compile_variant(source, settings, track_opens=form.track_opens,
                                track_clicks=form.track_clicks)
            alert.variants.append(AlertVariant(
                language=c.language, subject_template=c.subject_template,
                html_template=c.html_template, text_template=c.text_template,
                from_address=c.from_address, reply_to=c.reply_to, links=c.links))
    except UserError as exc:
        response = make_response(render_template("dashboard/preview_frame.html",
                                                 error=str(exc)))
        response.headers["Content-Security-Policy"] = PREVIEW_CSP
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response
    return _document(alert, request.form.get("preview_contact", "").strip()[:320],
                     request.form.get("preview_language", "").strip()[:2])


def own_address() -> str:
    user = current_user()
    return user.email if user and "@" in user.email else ""


@requires("sender")
def send_test(alert_id: int) -> Any:
    """POST: one [TEST] copy to each address given (the user's own by default)."""
    settings = app_context(current_app).settings
    addresses = [a.strip() for a in request.form.get("to", "").replace(";", ",").split(",")
                 if a.strip()]
    back = redirect(url_for("dashboard.edit_alert", alert_id=alert_id) + "#test")
    if not addresses or len(addresses) > MAX_TEST_RECIPIENTS:
        flash(f"Give one to {MAX_TEST_RECIPIENTS} addresses for the test copy.", "error")
        return back
    language = request.form.get("preview_language", "").strip()[:2]
    sent: list[str] = []
    error = None
    with db() as session:
        alert = alert_or_404(session, alert_id)
        try:
            contact = _contact(session, request.form.get("preview_contact", "").strip(),
                               language)
            for address in addresses:
                copies.send_test(alert, contact, address, settings)
                sent.append(address)
        except UserError as exc:
            error = str(exc)
        if sent:  # what did go out is recorded even when a later address failed
            record(session, current_actor(), "alert.test_send", f"alert:{alert_id}", to=sent,
                   language=language or None)
    if error:
        flash(f"Test copy not sent: {error}" + (f" (sent to {', '.join(sent)} before that)"
                                                if sent else ""), "error")
    else:
        flash(f"Test copy sent to {', '.join(sent)}.", "ok")
    return back


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/alerts/<int:alert_id>/preview", "preview", stored)
    bp.add_url_rule("/alerts/preview", "preview_unsaved", unsaved, methods=["POST"])
    bp.add_url_rule("/alerts/<int:alert_id>/test", "test_send", send_test, methods=["POST"])
