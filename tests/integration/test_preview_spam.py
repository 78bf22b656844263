"""The optional spam check in preview: SpamAssassin scores the compiled example alert under 2
(CI installs it; without it this fails in CI and skips elsewhere)."""

from __future__ import annotations

import re

import pytest

from outreach.alerts.spamcheck import available, spam_score
from outreach.mail import preview
from tests.fixtures.services import require
from tests.integration.sending_data import make_alert

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _spamassassin() -> None:
    require("SpamAssassin", available() is not None, "apt-get install spamassassin")


def test_the_example_alert_scores_under_two(session, settings, run_cli):
    alert = make_alert(session, settings)
    mail = preview.compose_copy(alert, preview.sample_contact(), settings)
    session.close()

    report = spam_score(mail.data)

    assert report is not None and report.score < 2, report
    out = run_cli("alert", "preview", str(alert.id)).output
    shown = re.search(r"^SpamAssassin score (-?[\d.]+) \(\w+; rules: (.*)\)$", out, re.MULTILINE)
    assert shown is not None, out
    assert float(shown.group(1)) == report.score


def test_a_spammy_message_scores_high_with_its_rules() -> None:
    spammy = (b"From: winner@example.org\r\nTo: you@example.net\r\nSubject: FREE MONEY!!!\r\n"
              b"\r\nClick here to claim your FREE prize!!! 100% FREE, act now, limited time, "
              b"no credit check, cash bonus, earn $$$ from home, viagra, lottery winner.\r\n")
    report = spam_score(spammy)
    assert report is not None and report.score >= 2
    assert "MISSING_DATE" in report.rules and report.rules["MISSING_DATE"] > 0
