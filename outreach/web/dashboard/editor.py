"""The alert editor: write a draft in the browser, per language, and save it.

Saving goes through `outreach.alerts.create` (the CLI's compile path), so a template mistake
is refused here with the line it is on, exactly as `outreach alert create` would refuse it.
Only a draft can be edited; a launched alert is shown read-only (its snapshot is what went
out).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from outreach.alerts.create import create_from_sources, replace_draft
from outreach.audit import record
from outreach.contacts.saved import list_segments, load_segment, named_json
from outreach.contacts.segments import Segment
from outreach.db.models import Alert
from outreach.errors import UserError
from outreach.web.app import app_context
from outreach.web.dashboard import alert_forms
from outreach.web.dashboard.alert_forms import LANGUAGE_NAMES, AlertForm
from outreach.web.dashboard.preview import own_address
from outreach.web.dashboard.roles import can, current_actor, requires
from outreach.web.dashboard.views import alert_or_404, db


def _page(form: AlertForm, alert: Alert | None, *, error: str | None = None,
          status: int = 200) -> Any:
    with db() as session:
        segments = [s.name for s in list_segments(session)]
    editable = alert is None or alert.state == "draft"
    return render_template(
        "dashboard/editor.html", form=form, alert=alert, segments=segments, error=error,
        error_at=alert_forms.error_line(error, form) if error else None,
        editable=editable and can("sender"), language_names=LANGUAGE_NAMES,
        preview_language=request.values.get("preview_language") or form.languages[0],
        own_address=own_address(),
    ), status


@requires("viewer")
def new_alert() -> Any:
    return _page(alert_forms.blank(app_context(current_app).settings), None)


@requires("viewer")
def edit_alert(alert_id: int) -> Any:
    alert = _load(alert_id)
    return _page(alert_forms.from_alert(alert), alert)


def _changed_languages(form: AlertForm) -> AlertForm | None:
    """'Add language' / 'Remove' buttons: the same form with one variant more or less."""
    action = request.form.get("action", "save")
    if action == "add":
        language = request.form.get("add_language", "").strip().lower()
        if alert_forms.LANGUAGE_RE.match(language) and language not in form.languages:
            first = form.variants[0]
            form.variants.append(alert_forms.VariantForm(language, sender=first.sender))
        return form
    if action.startswith("remove-") and len(form.variants) > 1:
        form.variants = [v for v in form.variants if v.language != action[7:]]
        return form
    return None


def _segment(session: Any, name: str) -> dict[str, Any]:
    return named_json(name, load_segment(session, name)) if name else Segment().to_json()


@requires("sender")
def save_new() -> Any:
    form = alert_forms.from_request(request.form)
    if _changed_languages(form) is not None:
        return _page(form, None)
    settings = app_context(current_app).settings
    actor = current_actor()
    try:
        with db() as session:
            alert = create_from_sources(
                session, settings, alert_forms.sources(form, settings),
                segment=_segment(session, form.segment), track_opens=form.track_opens,
                track_clicks=form.track_clicks, created_by=actor.name)
            record(session, actor, "alert.create", f"alert:{alert.id}",
                   languages=form.languages, segment=form.segment or "everyone")
            alert_id = alert.id
    except UserError as exc:
        return _page(form, None, error=str(exc), status=422)
    flash(f"Draft alert {alert_id} saved. Preview it, send a test, then launch.", "ok")
    return redirect(url_for("dashboard.edit_alert", alert_id=alert_id))


def _load(alert_id: int) -> Alert:
    with db() as session:
        alert = alert_or_404(session, alert_id)
        session.expunge(alert)
    return alert


@requires("sender")
def save_existing(alert_id: int) -> Any:
    form = alert_forms.from_request(request.form)
    if _changed_languages(form) is not None:
        return _page(form, _load(alert_id))
    settings = app_context(current_app).settings
    try:
        with db() as session:
            alert = alert_or_404(session, alert_id)
            alert.track_opens, alert.track_clicks = form.track_opens, form.track_clicks
            keep = alert.follow_up_of is not None  # its target is set by the follow-up page
            replace_draft(session, settings, alert, alert_forms.sources(form, settings),
                          segment=None if keep else _segment(session, form.segment))
            record(session, current_actor(), "alert.edit", f"alert:{alert.id}",
                   languages=form.languages, segment=form.segment or "everyone")
    except UserError as exc:  # rolled back: the draft stays as it was
        return _page(form, _load(alert_id), error=str(exc), status=422)
    flash(f"Draft alert {alert_id} saved.", "ok")
    return redirect(url_for("dashboard.edit_alert", alert_id=alert_id,
                            preview_language=request.form.get("preview_language") or None))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/alerts/new", "new_alert", new_alert)
    bp.add_url_rule("/alerts/new", "save_new_alert", save_new, methods=["POST"])
    bp.add_url_rule("/alerts/<int:alert_id>/edit", "edit_alert", edit_alert)
    bp.add_url_rule("/alerts/<int:alert_id>/edit", "save_alert", save_existing,
                    methods=["POST"])
