"""`outreach alert guard`: per-alert limits, shown and audited; bad input is one line, exit 1."""

from __future__ import annotations

import json

import pytest

from outreach.audit import list_events
from tests.integration.sending_data import make_alert
from tests.integration.sending_run import own_session

pytestmark = pytest.mark.integration


def test_per_alert_limits(session, settings, run_cli):
    alert_id = make_alert(session, settings).id
    session.close()

    shown = json.loads(run_cli("alert", "guard", str(alert_id), "--json").stdout)
    assert shown["limits"] == {"enabled": True, "hard_bounce_percent": 5.0, "min_attempts": 200,
                               "complaint_percent": 0.3, "policy_rejections": 3,
                               "policy_domains": 3}
    assert shown["pause"] is None and shown["domains"] == [] and not shown["paused"]

    out = run_cli("alert", "guard", str(alert_id), "--set", "min_attempts=50",
                  "--set", "complaint-percent=0.5%", "--off").output
    assert "enabled=False" in out and "min_attempts=50" in out and "complaint_percent=0.5" in out
    shown = json.loads(run_cli("alert", "guard", str(alert_id), "--json").stdout)
    assert shown["overrides"] == {"min_attempts": 50, "complaint_percent": 0.5,
                                  "enabled": False}
    run_cli("alert", "guard", str(alert_id), "--reset")
    assert json.loads(run_cli("alert", "guard", str(alert_id), "--json").stdout)[
        "overrides"] == {}
    with own_session(settings) as s:
        assert [e.action for e in list_events(s, action="alert.guard")] == ["alert.guard"] * 2


@pytest.mark.parametrize(("args", "message"), [
    (("--set", "speed=9"), "--set 'speed=9': expected NAME=VALUE with NAME one of"),
    (("--set", "min_attempts=0"), "--set 'min_attempts=0': must be between 1 and"),
    (("--resume-domain", "example.net"), "--resume-domain: without OUTREACH_BROKER_URL"),
])
def test_bad_input_is_one_line(session, settings, run_cli, args, message):
    alert_id = make_alert(session, settings).id
    session.close()
    result = run_cli("alert", "guard", str(alert_id), *args, expect=1)
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "ALERT_ID 99: no such alert" in run_cli("alert", "guard", "99", expect=1).output
