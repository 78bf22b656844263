"""Reading SpamAssassin's answers (both tools) without running them."""

from __future__ import annotations

from outreach.alerts.spamcheck import _from_header, _from_spamc

SPAMASSASSIN = (
    "X-Spam-Checker-Version: SpamAssassin 4.0.1 (2024-03-25) on vm\r\n"
    "X-Spam-Outreach-Rules: 3.3 MISSING_DATE=2.739,MISSING_MID=0.552,\r\n"
    "\tNO_RECEIVED=-0.001,NO_RELAYS=-0.001\r\n"
    "Subject: hi\r\n\r\nX-Spam-Outreach-Rules: 99 FAKE=99 (in the body: ignored)\r\n")
SPAMC = ("3.3/5.0\n\nContent analysis details:   (3.3 points, 5.0 required)\n\n"
         " pts rule name              description\n"
         "---- ---------------------- ------------------------------------\n"
         " 0.6 MISSING_MID            Missing Message-Id: header\n"
         " 2.7 MISSING_DATE           Missing Date: header\n"
         "-0.0 NO_RECEIVED            Informational: message has no Received headers\n")


def test_spamassassin_header() -> None:
    report = _from_header(SPAMASSASSIN, "spamassassin")
    assert report is not None and report.score == 3.3
    assert list(report.rules) == ["MISSING_DATE", "MISSING_MID", "NO_RECEIVED", "NO_RELAYS"]
    assert report.line().startswith("SpamAssassin score 3.3 (spamassassin; rules: "
                                    "MISSING_DATE +2.739, MISSING_MID +0.552")
    assert _from_header("Subject: no header\r\n\r\n", "spamassassin") is None


def test_spamc_report() -> None:
    report = _from_spamc(SPAMC)
    assert report is not None and report.score == 3.3 and report.tool == "spamc"
    assert report.rules == {"MISSING_DATE": 2.7, "MISSING_MID": 0.6, "NO_RECEIVED": -0.0}
    assert _from_spamc("0/0\n") is not None and _from_spamc("garbage") is None
