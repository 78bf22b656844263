"""Point 8: duplicate header names cost linear work, and an absurd header row is refused.

16,000 columns named `x` used to take 53 s (each duplicate tried `x (2)`, `x (3)` ... in
turn). Now a header row wider than MAX_COLUMNS is refused with one line naming it, and naming
duplicates is linear: a work counter (Python lines executed in outreach/contacts/fields.py,
counted with sys.settrace) stays proportional to the number of columns.
"""

from __future__ import annotations

import sys
import time

import pytest

from outreach.contacts import fields
from outreach.contacts.fields import Header
from tests.hostile.csvdata import contact_count, write

pytestmark = pytest.mark.integration
MAX_COLUMNS = getattr(fields, "MAX_COLUMNS", 1000)


def lines_executed_in_fields(call) -> tuple[object, int]:
    """(result, number of lines of fields.py executed by `call()`): work, not time."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if frame.f_code.co_filename != fields.__file__:
            return None
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        result = call()
    finally:
        sys.settrace(None)
    return result, count


def test_header_of_16000_duplicate_columns_is_refused_in_one_line(
        tmp_path, run_cli, sessions) -> None:
    path = write(tmp_path / "wide.csv", ["Email," + ",".join(["x"] * 16_000) + "\n",
                                         "a@example.org" + "," * 16_000 + "\n"])
    result = run_cli("contacts", "import", str(path), expect=1)
    message = result.output.strip()
    assert len(message.splitlines()) == 1 and "line 1" in message, message
    assert "16001 columns" in message and str(MAX_COLUMNS) in message
    assert contact_count(sessions) == 0


def test_naming_duplicate_columns_is_linear() -> None:
    for n in (100, MAX_COLUMNS - 1):
        started = time.perf_counter()
        header, work = lines_executed_in_fields(lambda n=n: Header.parse(["Email", *["x"] * n]))
        print(f"\n{n} duplicate columns: {work} lines executed, "
              f"{time.perf_counter() - started:.4f} s (traced)")
        assert list(header.extra)[:3] == ["x", "x (2)", "x (3)"]
        assert len(header.extra) == n and list(header.extra)[-1] == f"x ({n})"
        assert work <= 40 * n, f"{work} lines for {n} columns: not linear"
