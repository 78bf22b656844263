"""A database that cannot be used is one line and exit code 1, never a driver's traceback."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from outreach.cli import main


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args", [("db", "status"), ("db", "upgrade"), ("alert", "list"),
                                  ("contacts", "show", "nobody@example.org")])
@pytest.mark.parametrize("kind", ["sqlite-missing-dir", "postgres-refused"])
def test_unusable_database_is_one_line(tmp_path, monkeypatch, args, kind):
    url = (f"sqlite:///{tmp_path}/no/such/dir/x.sqlite" if kind == "sqlite-missing-dir"
           else f"postgresql://u:hunter2@127.0.0.1:{_closed_port()}/db")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OUTREACH_DATABASE_URL", url)
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: OUTREACH_DATABASE_URL"), lines
    assert "Traceback" not in result.output and "hunter2" not in result.output
    assert ("directory" if kind == "sqlite-missing-dir" else "refused") in lines[0]


@pytest.mark.parametrize("args", [(), ("alert",), ("outlets",)])
def test_a_group_without_command_shows_its_help_not_an_error(args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage:") and "error:" not in result.output
