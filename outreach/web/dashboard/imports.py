"""CSV import in the browser: upload, see the dry run row by row, map columns, confirm.

The file goes through `outreach.contacts.importer.import_csv`, the CLI's importer: the dry run
is the same import rolled back, so the table shown is what the confirmation will do. Between
the two the upload is kept in the database (`PendingUpload`), not on this server's disk,
since the confirmation may reach another instance behind the proxy.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from outreach.audit import record
from outreach.contacts.fields import MAPPABLE
from outreach.contacts.import_report import ImportReport
from outreach.contacts.importer import import_csv
from outreach.db.models import PendingUpload
from outreach.db.models.base import utcnow
from outreach.errors import UserError
from outreach.web.app import app_context
from outreach.web.dashboard.roles import current_actor, requires
from outreach.web.dashboard.views import db

KEEP_UPLOADS = timedelta(days=1)
ROWS_SHOWN = 500
TARGETS = ("attribute", *MAPPABLE, "ignore")


@requires("sender")
def upload_page() -> Any:
    return render_template("dashboard/import.html")


@requires("sender")
def upload() -> Any:
    """POST: keep the file, then show its dry run."""
    file = request.files.get("file")
    if file is None or not file.filename:
        flash("Choose a CSV file to upload.", "error")
        return redirect(url_for("dashboard.import_csv"))
    token = secrets.token_urlsafe(24)
    with db() as session:
        session.execute(delete(PendingUpload).where(PendingUpload.created_at
                                                    < utcnow() - KEEP_UPLOADS))
        session.add(PendingUpload(token=token, filename=Path(file.filename).name[:300],
                                  data=file.read(), created_by=current_actor().name))
    return redirect(url_for("dashboard.import_review", token=token))


def _load(session: Session, token: str) -> PendingUpload:
    upload = session.scalar(select(PendingUpload).where(PendingUpload.token == token))
    if upload is None:
        abort(404, description="This upload is gone (confirmed already, or older than a "
                               "day). Upload the file again.")
    return upload


@contextmanager
def _as_file(upload: PendingUpload) -> Iterator[Path]:
    """The importer reads a path: the upload written to a private temporary file."""
    with tempfile.TemporaryDirectory(prefix="outreach-upload-") as tmp:
        path = Path(tmp) / "upload.csv"  # never a name from the client
        path.write_bytes(upload.data)
        yield path


def _mapping(values: Any) -> dict[str, str]:
    return {k[4:]: v for k, v in values.items() if k.startswith("map:") and v in TARGETS}


def _run(token: str, *, dry_run: bool) -> tuple[PendingUpload, ImportReport]:
    sessions = app_context(current_app).sessions
    update = request.values.get("update") == "1"
    tags = [t for t in request.values.get("tags", "").split(",") if t.strip()]
    mapping = _mapping(request.values)
    actor = current_actor()

    def audit(session: Session, report: ImportReport) -> None:
        record(session, actor, "contacts.import", f"upload:{upload.filename}",
               created=report.created, updated=report.updated, merged=report.duplicates,
               rejected=report.rejected, mapping=mapping)
        session.execute(delete(PendingUpload).where(PendingUpload.token == token))

    with db() as session:
        upload = _load(session, token)
        session.expunge(upload)
    with _as_file(upload) as path:
        try:
            report = import_csv(sessions, path, update=update, dry_run=dry_run, tags=tags,
                                source=upload.filename, mapping=mapping, audit=audit)
        except UserError as exc:  # name the file as the user knows it, not our temp path
            raise UserError(str(exc).replace(str(path), upload.filename)) from None
    return upload, report


@requires("sender")
def review(token: str) -> Any:
    """The dry run (re-run with the chosen column mapping each time it is applied)."""
    try:
        upload, report = _run(token, dry_run=True)
    except UserError as exc:
        return render_template("dashboard/import.html", error=str(exc)), 422
    return render_template(
        "dashboard/import_review.html", upload=upload, report=report, token=token,
        outcomes=sorted(report.outcomes, key=lambda o: o.line)[:ROWS_SHOWN], targets=TARGETS,
        mapping=_mapping(request.args),
        mapped=[k for k in _mapping(request.args) if k not in report.unknown_columns],
        update=request.args.get("update") == "1", tags=request.args.get("tags", ""))


@requires("sender")
def confirm(token: str) -> Any:
    try:
        _upload, report = _run(token, dry_run=False)
    except UserError as exc:
        flash(f"Nothing imported: {exc}", "error")
        return redirect(url_for("dashboard.import_review", token=token))
    flash(f"Imported: {report.created} created, {report.updated} updated, "
          f"{report.duplicates} duplicates merged, {report.unchanged} unchanged, "
          f"{report.suppressed} suppressed left alone, {report.rejected} rejected.", "ok")
    return redirect(url_for("dashboard.contacts"))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/contacts/import", "import_csv", upload_page)
    bp.add_url_rule("/contacts/import", "import_upload", upload, methods=["POST"])
    bp.add_url_rule("/contacts/import/<token>", "import_review", review)
    bp.add_url_rule("/contacts/import/<token>", "import_confirm", confirm, methods=["POST"])
