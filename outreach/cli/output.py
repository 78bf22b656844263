"""Printing command results: JSON for `--json`, and rich tables that stay wide when piped."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console

WIDE = 200  # piped output (files, CI logs) is not squeezed to 80 columns

_console = Console()


def echo_json(data: Any) -> None:
    """Indented JSON, non-ASCII text (names, Cyrillic subjects) kept readable."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def table_console() -> Console:
    """The terminal's console, or a WIDE one when output goes to a file or pipe."""
    return _console if _console.is_terminal else Console(width=WIDE)
