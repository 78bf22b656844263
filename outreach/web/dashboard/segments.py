"""The segment builder: choose contacts by type, country, language, outlet, tag, beat and
email domain; see how many would get an alert and how many of them are suppressed; save the
choice by name (then `--segment NAME` in the CLI, or the alert editor's audience list).

Counting uses `outreach.contacts.saved.count_segment`, the launch page's conditions, so the
number here is the number a launch will state.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from outreach.audit import record
from outreach.contacts.queries import list_contacts
from outreach.contacts.saved import count_segment, list_segments, load_segment, save_segment
from outreach.contacts.segments import Segment, parse_segment
from outreach.errors import UserError
from outreach.web.dashboard.roles import can, current_actor, requires
from outreach.web.dashboard.views import db

BUILDER_FIELDS = ("type", "country", "language", "outlet", "tag", "beat", "domain")
SAMPLE = 20


def from_values(values: MultiDict[str, str]) -> tuple[Segment, dict[str, str]]:
    """The builder's fields (comma-separated values each) as a Segment, and as typed."""
    typed = {f: " ".join(values.get(f, "").split())[:500] for f in BUILDER_FIELDS}
    where = [f"{f}={v}" for f, v in typed.items() if v.strip(" ,")]
    return parse_segment(where), typed


def to_values(segment: Segment) -> dict[str, str]:
    typed = dict.fromkeys(BUILDER_FIELDS, "")
    for name, values in segment.where:
        if name in typed:
            typed[name] = ", ".join(values)
    if segment.tags:
        typed["tag"] = ", ".join(filter(None, [typed["tag"], *segment.tags]))
    return typed


@requires("viewer")
def builder() -> Any:
    error = None
    name = request.args.get("load", "")
    with db() as session:
        try:
            if name:
                segment = load_segment(session, name)
                typed = to_values(segment)
            else:
                segment, typed = from_values(request.args)
        except UserError as exc:
            segment, typed, error = Segment(), dict.fromkeys(BUILDER_FIELDS, ""), str(exc)
        count = count_segment(session, segment)
        sample, _ = list_contacts(session, segment, SAMPLE)
        rows = [(c.id, c.email, c.name, c.outlet.name if c.outlet else "", c.country,
                 c.language) for c in sample]
        saved = [(s.name, Segment.from_json(s.definition).describe())
                 for s in list_segments(session)]
    return render_template("dashboard/segments.html", typed=typed, count=count, rows=rows,
                           saved=saved, error=error, describe=segment.describe(), name=name,
                           editable=can("sender")), 422 if error else 200


@requires("viewer")
def count_json() -> Any:
    """The live count for the builder's script (same numbers as the page)."""
    try:
        segment, _ = from_values(request.args)
    except UserError as exc:
        return jsonify({"error": str(exc)}), 422
    with db() as session:
        count = count_segment(session, segment)
    return jsonify({"recipients": count.recipients, "suppressed": count.suppressed,
                    "segment": segment.describe()})


@requires("sender")
def save() -> Any:
    try:
        segment, _typed = from_values(request.form)
        with db() as session:
            saved = save_segment(session, request.form.get("name", ""), segment,
                                 current_actor().name)
            record(session, current_actor(), "segment.save", f"segment:{saved.name}",
                   definition=segment.to_json())
            name = saved.name
    except UserError as exc:
        flash(f"Not saved: {exc}", "error")
        return redirect(url_for("dashboard.segments", **{k: v for k, v in
                                                         request.form.items()
                                                         if k in BUILDER_FIELDS}))
    flash(f"Segment “{name}” saved. Choose it as the audience in the alert editor, or use "
          f"--segment \"{name}\" in the CLI.", "ok")
    return redirect(url_for("dashboard.segments", load=name))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/segments", "segments", builder)
    bp.add_url_rule("/segments", "save_segment", save, methods=["POST"])
    bp.add_url_rule("/segments/count.json", "segment_count", count_json)
