"""`outreach doctor` against real services: one line per check, exit 1 when one fails."""

from __future__ import annotations

import pytest

from outreach.context import AppContext
from outreach.health import CHECKS, CheckResult, run_checks
from tests.fixtures.services import REDIS_URL

pytestmark = pytest.mark.integration


def lines(result) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    found = {}
    for line in result.output.splitlines():
        status, name, text = [*line.split(None, 2), "", ""][:3]
        found[name] = (status.lower(), text)
    return found


def test_embedded_setup_with_a_reachable_smtp_server(settings, smtp_sink, run_cli, monkeypatch):
    monkeypatch.setenv("OUTREACH_SMTP_URL", smtp_sink.url)
    result = run_cli("doctor", "--only", ",".join(name for name, _ in CHECKS))
    got = lines(result)
    assert [name for name, _ in CHECKS] == list(got)
    assert got["database"][0] == "ok" and got["smtp"][0] == "ok"
    assert "ready" in got["smtp"][1] and smtp_sink.messages == []  # a probe sends nothing
    assert got["workers"][0] == "skip"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_no_worker_and_no_smtp_server_fail_with_their_reason(settings, redis_prefix, run_cli,
                                                            monkeypatch):
    monkeypatch.setenv("OUTREACH_BROKER_URL", REDIS_URL)
    monkeypatch.setenv("OUTREACH_SMTP_URL", "smtp://127.0.0.1:9")
    got = lines(run_cli("doctor", "--only", "broker,workers,sweeper,smtp", expect=1))
    assert got["broker"][0] == "ok"
    assert got["workers"] == ("fail", got["workers"][1]) and "outreach worker" in got["workers"][1]
    assert got["sweeper"][0] == "fail"
    assert got["smtp"][0] == "fail" and "connection refused" in got["smtp"][1]


def test_adding_a_check_is_one_line_and_a_crash_is_its_own_failure(settings):
    ctx = AppContext(settings)
    extra = [("boom", f"{__name__}:_boom"), ("fine", f"{__name__}:_fine")]
    got = dict(run_checks(ctx, extra))
    assert got["boom"].status == "fail" and "RuntimeError: no resolver" in got["boom"].text
    assert got["fine"] == CheckResult.ok("fine")


def _boom(ctx: AppContext) -> CheckResult:
    raise RuntimeError("no resolver")


def _fine(ctx: AppContext) -> CheckResult:
    return CheckResult.ok("fine")
