"""Printing command results: JSON for `--json`, and rich tables that stay wide when piped.

Every value that comes from data (names, outlets, subjects, replies, file cells, server
answers) goes through `safe` before rich sees it, or `plain` before click prints it: rich reads
`[...]` as markup (`[/x]` raises, `[link=...]` makes a clickable link) and a terminal obeys
escape sequences (ESC c clears the screen, OSC 0 sets the window title, a bidi override
reorders what the operator reads). JSON output needs neither: json.dumps escapes controls.
"""

from __future__ import annotations

import json
import re
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

WIDE = 200  # piped output (files, CI logs) is not squeezed to 80 columns

_console = Console()
# C0 and C1 controls (ESC, BEL, CSI ...), DEL, line/paragraph separators and bidi controls.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_BUT_LINES = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def plain(value: object, *, lines: bool = False) -> str:
    """Data as printable text: control characters become spaces (`lines`: keep tab and LF)."""
    text = "" if value is None else str(value)
    return (_CONTROL_BUT_LINES if lines else _CONTROL).sub(" ", text.replace("\r\n", "\n"))


def safe(value: object) -> str:
    """Data for rich (tables, console.print): `plain`, then rich markup escaped."""
    return escape(plain(value))


def echo_json(data: Any) -> None:
    """Indented JSON, non-ASCII text (names, Cyrillic subjects) kept readable."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def table_console() -> Console:
    """The terminal's console, or a WIDE one when output goes to a file or pipe."""
    return _console if _console.is_terminal else Console(width=WIDE)
