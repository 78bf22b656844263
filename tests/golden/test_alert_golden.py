"""Golden files: the rendered example alerts for a fixed contact, so template changes show up
as a diff. Regenerate after an intended change with:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/golden
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from outreach.mail.compose import render
from tests.unit.alerts.helpers import alert, contact, settings, variant_from_file

HERE = Path(__file__).parent / "alerts"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
CFG = settings(org_name="Example Rights Foundation",
               postal_address="1 Example Street, 1000 Example City",
               base_url="https://alerts.example.org")
CASES = {
    "en": ("alert.md", {"first_name": "Anna", "last_name": "Kovács", "language": "en"}, False),
    "en-tracked": ("alert.md", {"first_name": None, "language": "en"}, True),
    "ru": ("alert.ru.md", {"first_name": "Иван", "last_name": "Петров", "language": "ru"}, False),
    "hu": ("alert.hu.md", {"first_name": "Zsófia", "last_name": "Kővári", "language": "hu"},
           False),
}


def _check(path: Path, actual: str) -> None:
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        if not UPDATE:
            pytest.fail(f"{path.name} was missing and has been written; check it and re-run")
        return
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path.name} differs; if intended: UPDATE_GOLDEN=1"


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendered_alert_matches_golden_files(case: str) -> None:
    name, fields, tracked = CASES[case]
    variant = variant_from_file(name, cfg=CFG, track_opens=tracked, track_clicks=tracked)
    out = render(variant, alert(track_opens=tracked, track_clicks=tracked),
                 contact(email="golden@example.net", outlet="Example Daily", **fields), 12345, CFG)
    _check(HERE / f"{case}.html", out.html)
    _check(HERE / f"{case}.txt", f"Subject: {out.subject}\n\n{out.text}")
