"""User mistakes around the inbound commands are one line, exit code 1."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_poll_without_an_imap_url(run_cli) -> None:
    result = run_cli("poll", expect=1)
    assert "OUTREACH_IMAP_URL" in result.output and "Traceback" not in result.output


def test_replies_for_an_unknown_alert(run_cli) -> None:
    assert "ALERT_ID 999: no such alert" in run_cli("replies", "999", expect=1).output


def test_empty_lists(run_cli) -> None:
    assert run_cli("replies").output.strip() == "no replies yet"
    assert run_cli("inbound", "unmatched").output.strip() == "no unmatched inbound mail"
    assert run_cli("replies", "--json").stdout.strip() == "[]"
