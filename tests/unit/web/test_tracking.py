"""Prefetch detection for opens and clicks (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from outreach.web.tracking import prefetch_reason

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15"


def test_people_are_not_prefetch() -> None:
    assert prefetch_reason("GET", BROWSER, NOW - timedelta(minutes=3), NOW, is_open=False) is None
    assert prefetch_reason("GET", "Mozilla/5.0 GoogleImageProxy", NOW - timedelta(minutes=3),
                           NOW, is_open=True) is None


def test_machines_are_prefetch() -> None:
    old = NOW - timedelta(hours=1)
    assert prefetch_reason("HEAD", BROWSER, old, NOW, is_open=False) == "HEAD request"
    assert prefetch_reason("GET", "", old, NOW, is_open=False) == "no user agent"
    for agent in ("Mozilla/5.0 (compatible; proofpoint)", "python-requests/2.32",
                  "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0)",
                  "Slackbot-LinkExpanding 1.0", "curl/8.5.0"):
        assert prefetch_reason("GET", agent, old, NOW, is_open=False) == "scanner user agent"
    assert prefetch_reason("GET", BROWSER, NOW - timedelta(seconds=1), NOW,
                           is_open=False) == "within 2 s of delivery"
