"""Point 4: a stray `"` in a cell no longer swallows the rest of a CSV silently.

A 1,000-row file with one unterminated quote in a Notes cell used to import a single row and
report no error. Now `contacts import` (the real CLI, SQLite and PostgreSQL) names the line
where the quote opened, exits 1 and imports nothing; `--multiline-cells` imports it as written.
"""

from __future__ import annotations

import json

import pytest

from tests.hostile.csvdata import HEADER, contact_count, rows, write

pytestmark = pytest.mark.integration


def _file(tmp_path):
    lines = [HEADER, *rows(1000)]
    lines[6] = 'person5@example.org,Person 5,Example Daily,"she said hi\n'  # physical line 7
    return write(tmp_path / "stray-quote.csv", lines)


def test_stray_quote_is_reported_with_its_line_and_nothing_is_imported(
        tmp_path, run_cli, sessions) -> None:
    result = run_cli("contacts", "import", str(_file(tmp_path)), expect=1)
    message = result.output.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message, message
    assert "line 7" in message and "quote" in message and "--multiline-cells" in message
    assert contact_count(sessions) == 0


def test_the_explicit_option_imports_the_file_as_written(tmp_path, run_cli, sessions) -> None:
    result = run_cli("contacts", "import", str(_file(tmp_path)), "--multiline-cells", "--json")
    report = json.loads(result.stdout)
    assert report["created"] == 6 and contact_count(sessions) == 6  # rows 1-5 and the big cell


def test_legitimate_multiline_notes_still_import(tmp_path, run_cli, sessions) -> None:
    lines = [HEADER, *rows(10)]
    lines[3] = 'person2@example.org,Person 2,Example Daily,"line one\nline two, and more"\n'
    path = write(tmp_path / "notes.csv", lines)
    report = json.loads(run_cli("contacts", "import", str(path), "--json").stdout)
    assert report["created"] == 10 and report["rejected"] == 0
