"""Point 7: a NUL character costs a warning naming its line, never a traceback with data.

PostgreSQL refuses NUL in text; a UTF-16 file (NUL allowed through by its BOM) or a NUL after
the first MiB used to crash the import printing contact data. Real CLI, both backends.
"""

from __future__ import annotations

import json

import pytest

from tests.hostile.csvdata import HEADER, contact_count, emails, rows, write

pytestmark = pytest.mark.integration


def _check(run_cli, sessions, path, line: int, total: int) -> None:
    result = run_cli("contacts", "import", str(path), "--json", expect=None)
    assert result.exit_code == 0, result.output[-2000:]
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    assert report["created"] == total, report
    assert any(w["line"] == line and "NUL" in w["reason"] for w in report["warnings"])
    assert contact_count(sessions) == total


def test_nul_in_a_utf16_file(tmp_path, run_cli, sessions) -> None:
    lines = [HEADER, *rows(20)]
    lines[4] = "person3@example.org,Per\x00son 3,Example Daily,no\x00te\n"  # physical line 5
    path = write(tmp_path / "utf16.csv", ["\ufeff", *lines], encoding="utf-16-le")
    _check(run_cli, sessions, path, 5, 20)
    assert "person3@example.org" in emails(sessions)


def test_nul_after_the_first_mib(tmp_path, run_cli, sessions) -> None:
    lines = [HEADER, *rows(20_000)]
    assert sum(len(x) for x in lines) > 1 << 20
    lines[19_990] = "person19989@example.org,Person\x00 19989,Example Daily,x\n"  # line 19991
    path = write(tmp_path / "late-nul.csv", lines)
    _check(run_cli, sessions, path, 19_991, 20_000)
