"""A follow-up from the browser: to the alert's non-responders (or the contacts it did not
reach), in each language, threaded under what each contact received.

`outreach.alerts.followup.create_follow_up` (the CLI's `alert follow-up`) stores it as a
draft; it is then previewed, tested and launched like any alert, and `create_blast` threads it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from outreach.alerts.followup import FollowUpTarget, count_targets, create_follow_up
from outreach.audit import record
from outreach.db.models import Alert
from outreach.errors import UserError
from outreach.web.app import app_context
from outreach.web.dashboard import alert_forms
from outreach.web.dashboard.alert_forms import LANGUAGE_NAMES, AlertForm, VariantForm
from outreach.web.dashboard.roles import current_actor, requires
from outreach.web.dashboard.views import alert_or_404, db


def _target(alert_id: int) -> FollowUpTarget:
    values = request.values
    not_reached = values.get("not_reached") == "1"
    not_replied = values.get("not_replied", "1" if not not_reached else "") == "1"
    return FollowUpTarget(alert_id, not_replied=not_replied or not not_reached,
                          not_reached=not_reached, by_outlet=values.get("by_outlet") == "1")


def _starting_form(original: Alert) -> AlertForm:
    """One variant per language of the original, subject 'Re: ...', sender kept."""
    form = alert_forms.from_alert(original)
    return AlertForm([VariantForm(v.language, f"Re: {v.subject}" if v.subject else "",
                                  "", v.sender, "") for v in form.variants])


def _page(alert_id: int, form: AlertForm | None, error: str | None = None,
          status: int = 200) -> Any:
    target = _target(alert_id)
    with db() as session:
        original = alert_or_404(session, alert_id)
        count = count_targets(session, target)
        session.expunge(original)
    return render_template("dashboard/followup.html", original=original, target=target,
                           count=count, form=form or _starting_form(original), error=error,
                           error_at=alert_forms.error_line(error, form) if error and form
                           else None, language_names=LANGUAGE_NAMES), status


@requires("sender")
def follow_up_page(alert_id: int) -> Any:
    return _page(alert_id, None)


@requires("sender")
def create(alert_id: int) -> Any:
    form = alert_forms.from_request(request.form)
    action = request.form.get("action", "save")
    if action == "add":
        language = request.form.get("add_language", "")
        if alert_forms.LANGUAGE_RE.match(language) and language not in form.languages:
            form.variants.append(VariantForm(language, sender=form.variants[0].sender))
        return _page(alert_id, form)
    if action.startswith("remove-") and len(form.variants) > 1:
        form.variants = [v for v in form.variants if v.language != action[7:]]
        return _page(alert_id, form)
    if action == "count":
        return _page(alert_id, form)
    settings = app_context(current_app).settings
    target = _target(alert_id)
    actor = current_actor()
    try:
        with db() as session:
            alert, count = create_follow_up(
                session, settings, alert_id, alert_forms.sources(form, settings),
                not_replied=target.not_replied, not_reached=target.not_reached,
                by_outlet=target.by_outlet, created_by=actor.name)
            record(session, actor, "alert.follow_up", f"alert:{alert.id}", of=alert_id,
                   contacts=count, languages=form.languages, aim=target.to_json())
            new_id = alert.id
    except UserError as exc:
        return _page(alert_id, form, error=str(exc), status=422)
    flash(f"Follow-up alert {new_id} saved as a draft for {count} contacts, threaded under "
          f"alert {alert_id}. Preview it, then launch.", "ok")
    return redirect(url_for("dashboard.edit_alert", alert_id=new_id))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/alerts/<int:alert_id>/follow-up", "follow_up", follow_up_page)
    bp.add_url_rule("/alerts/<int:alert_id>/follow-up", "create_follow_up", create,
                    methods=["POST"])
