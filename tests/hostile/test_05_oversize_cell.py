"""Point 5: one oversize cell costs its own row (or is cut, for free text), never the file.

A 200 KB Notes cell stopped the import at that line with "field larger than field limit" and
nothing else was imported. Real CLI, SQLite and PostgreSQL.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from outreach.db.models import Contact
from tests.hostile.csvdata import HEADER, emails, rows, write

pytestmark = pytest.mark.integration
BIG = "x" * 200_000


def test_oversize_notes_cell_is_cut_with_a_warning_and_every_row_imported(
        tmp_path, run_cli, sessions) -> None:
    lines = [HEADER, *rows(100)]
    lines[51] = f'person50@example.org,Person 50,Example Daily,"{BIG}"\n'  # physical line 52
    path = write(tmp_path / "big-notes.csv", lines)
    report = json.loads(run_cli("contacts", "import", str(path), "--json").stdout)
    assert report["created"] == 100 and report["rejected"] == 0, report
    assert [(w["line"], w["field"]) for w in report["warnings"]] == [(52, "Notes")]
    assert len(emails(sessions)) == 100
    with sessions() as session:
        notes = session.scalar(select(Contact.attributes).where(
            Contact.email == "person50@example.org"))["Notes"]
        assert 0 < len(notes) < len(BIG)


def test_oversize_name_cell_rejects_only_its_row(tmp_path, run_cli, sessions) -> None:
    lines = [HEADER, *rows(100)]
    lines[11] = f'person10@example.org,"{BIG}",Example Daily,note\n'  # physical line 12
    path = write(tmp_path / "big-name.csv", lines)
    result = run_cli("contacts", "import", str(path), "--json")
    report = json.loads(result.stdout)
    assert report["created"] == 99 and report["rejected"] == 1
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(12, "name")]
    assert "person10@example.org" not in emails(sessions)
    table = run_cli("contacts", "import", str(path), "--dry-run").output
    assert "line" in table and "12" in table and BIG[:1000] not in table
