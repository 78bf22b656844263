"""/contacts/import: a CSV upload through the same importer as `outreach contacts import`.

`dry_run=true` (the default) answers what would be created, updated, merged and rejected
(by line, field and reason) and writes nothing; send the same file with `dry_run=false` to
confirm. With an `Idempotency-Key`, a retried confirmation imports once.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from outreach.audit import record
from outreach.contacts.importer import import_csv
from outreach.web.api.auth import api_actor
from outreach.web.api.common import app_ctx, db, problems
from outreach.web.api.idempotent import DOC as IDEMPOTENT_DOC
from outreach.web.api.idempotent import idempotent
from outreach.web.api.problems import field_errors

blp = Blueprint("imports", __name__, url_prefix="/contacts", description="Contacts import")


class UploadFiles(Schema):
    file = Upload(required=True, metadata={"description": "the CSV (any common encoding)"})


class ImportForm(Schema):
    dry_run = fields.Boolean(load_default=True)
    update = fields.Boolean(load_default=False)
    tag = fields.String(load_default="", validate=validate.Length(max=200))


class RowErrorSchema(Schema):
    line = fields.Integer(required=True)
    field = fields.String(required=True)
    reason = fields.String(required=True)


class ImportReportSchema(Schema):
    dry_run = fields.Boolean(required=True)
    update = fields.Boolean(required=True)
    encoding = fields.String(required=True)
    delimiter = fields.String(required=True)
    rows = fields.Integer(required=True)
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    duplicates = fields.Integer(required=True)
    suppressed = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    outlets_created = fields.Integer(required=True)
    errors = fields.List(fields.Nested(RowErrorSchema), required=True)
    suppressed_rows = fields.List(fields.Dict(), required=True)


@blp.route("/import", methods=["POST"])
@blp.doc(**IDEMPOTENT_DOC)
@idempotent
@blp.arguments(ImportForm, location="form")
@blp.arguments(UploadFiles, location="files")
@blp.response(200, ImportReportSchema)
@problems(413)
def import_contacts(form: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
    """Dry run (default) or import; every rejected row reported with line, field and reason."""
    upload = files["file"]
    name = Path(upload.filename or "upload.csv").name[:200] or "upload.csv"
    with tempfile.TemporaryDirectory(prefix="outreach-import-") as tmp:
        path = Path(tmp) / "upload.csv"
        upload.save(path)
        with field_errors("file"):
            report = import_csv(app_ctx().sessions, path, update=form["update"],
                                dry_run=form["dry_run"], tags=[form["tag"]] if form["tag"] else [],
                                source=f"api:{name}")
    data = report.to_json()
    data.pop("path", None)
    if not form["dry_run"]:
        with db() as session:
            record(session, api_actor(), "contact.import", f"file:{name}",
                   created=report.created, updated=report.updated, rejected=report.rejected)
    return data
