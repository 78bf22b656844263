"""`outreach demo` with no services and no OUTREACH_* settings: every example contact sent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_sends_every_example_contact(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    outreach = Path(sys.executable).with_name("outreach")
    result = subprocess.run([str(outreach), "demo", "--dir", str(tmp_path / "demo")], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every example contact got the alert" in result.stdout
    received = list((tmp_path / "demo" / "maildir" / "new").iterdir())
    assert len(received) == 30
    assert all(b"example." in p.read_bytes() for p in received)
