"""`outreach --help` imports no command module; the table it lists from matches the commands."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from outreach.cli import COMMANDS, load, main


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_listed_help_is_the_commands_own(name: str) -> None:
    load(main, name)
    real = main.commands[name]
    listed = click.Command(name, help=COMMANDS[name].help)
    for limit in (30, 45, 60, 300):
        assert listed.get_short_help_str(limit) == real.get_short_help_str(limit)


def test_every_command_is_in_the_table() -> None:
    for name in COMMANDS:
        load(main, name)
    assert set(main.commands) == set(COMMANDS)


def test_help_imports_no_command_module() -> None:
    code = ("import sys\nfrom outreach.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "import json\nprint(json.dumps(sorted(sys.modules)), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    modules = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert "alert" in done.stdout and "worker" in done.stdout
    heavy = {"sqlalchemy", "celery", "flask", "rich", "jinja2", "outreach.cli.sending"}
    assert not heavy & modules


def test_a_command_still_runs() -> None:
    result = CliRunner().invoke(main, ["alert", "--help"])
    assert "send" in result.output and "create" in result.output and "follow-up" in result.output
