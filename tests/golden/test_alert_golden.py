"""Golden files: the example alerts as whole messages (`.eml`, exactly the bytes a send would
hand to SMTP, with CRLF written as LF) for a fixed contact, so that a change to any header,
part or byte of the body shows up in review as a diff, as in Mailman's tests.

Only what changes from run to run is normalised: the `Date` header, and the random Message-ID
of a test copy. Regenerate after an intended change with:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/golden
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from outreach.mail.compose import compose
from tests.support.alerts import alert, contact, settings, variant_from_file

HERE = Path(__file__).parent / "alerts"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
CFG = settings(org_name="Example Rights Foundation",
               postal_address="1 Example Street, 1000 Example City",
               base_url="https://alerts.example.org")
# case: (source, contact fields, tracked, test copy)
CASES = {
    "en": ("alert.md", {"first_name": "Anna", "last_name": "Kovács", "language": "en"},
           False, False),
    "en-tracked": ("alert.md", {"first_name": None, "language": "en"}, True, False),
    "en-test-copy": ("alert.md", {"first_name": "Anna", "language": "en"}, False, True),
    "ru": ("alert.ru.md", {"first_name": "Иван", "last_name": "Петров", "language": "ru"},
           False, False),
    "hu": ("alert.hu.md", {"first_name": "Zsófia", "last_name": "Kővári", "language": "hu"},
           False, False),
}
VOLATILE = (
    (re.compile(rb"^Date: [^\r\n]+", re.M), b"Date: <normalised>"),
    (re.compile(rb"^Message-ID: <test-[0-9a-f]+@", re.M), b"Message-ID: <test-normalised@"),
)


def normalised(data: bytes) -> str:
    """The message with its volatile headers replaced, CRLF as LF (every line ends in CRLF:
    the composer's own tests check that)."""
    for pattern, replacement in VOLATILE:
        data, count = pattern.subn(replacement, data, count=1)
        assert count <= 1
    return data.replace(b"\r\n", b"\n").decode("ascii")  # the wire form is 7-bit


def _check(path: Path, actual: str) -> None:
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="ascii", newline="\n")
        if not UPDATE:
            pytest.fail(f"{path.name} was missing and has been written; check it and re-run")
        return
    expected = path.read_text(encoding="ascii")
    assert actual == expected, f"{path.name} differs; if intended: UPDATE_GOLDEN=1"


@pytest.mark.parametrize("case", sorted(CASES))
def test_composed_alert_matches_its_golden_message(case: str) -> None:
    name, fields, tracked, test = CASES[case]
    variant = variant_from_file(name, cfg=CFG, track_opens=tracked, track_clicks=tracked)
    mail = compose(variant, alert(track_opens=tracked, track_clicks=tracked),
                   contact(email="golden@example.net", outlet="Example Daily", **fields),
                   12345, CFG, test=test)
    _check(HERE / f"{case}.eml", normalised(mail.data))


def test_only_volatile_headers_are_normalised() -> None:
    raw = (b"Message-ID: <12345-abc@example.org>\r\nDate: Sun, 29 Nov 2026 11:21:42 +0000\r\n"
           b"Subject: Date: not a header\r\n\r\nbody\r\n")
    assert normalised(raw) == ("Message-ID: <12345-abc@example.org>\nDate: <normalised>\n"
                               "Subject: Date: not a header\n\nbody\n")
