"""Acceptance: spam complaints (ARF reports) read from the mailbox (a private Dovecot) pause
an alert that is still sending once they pass 0.3 % of what was delivered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.utils import formatdate, make_msgid

import pytest
from sqlalchemy import select

from outreach.db.models import Message
from outreach.mta.smtp import SmtpSender
from outreach.sending.blast import create_blast
from outreach.sending.deliver import deliver_batch
from outreach.sending.runtime import SendingRuntime
from tests.fixtures.smtp import ReceivedMessage
from tests.integration.sending_data import add_contacts, make_alert

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(settings, smtp_sink, imap_server):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_url=smtp_sink.url, broker_url=None, imap_url=imap_server.url)


@pytest.fixture
def runtime(settings, smtp_sink) -> Iterator[SendingRuntime]:
    rt = SendingRuntime(settings, sender=SmtpSender(smtp_sink.url), name="guard-arf")
    yield rt
    rt.close()


def arf_complaint(sent: ReceivedMessage) -> bytes:
    """What a provider's feedback loop sends back when its user clicks "this is spam"
    (RFC 5965), addressed to the message's return path, the original attached."""
    original = sent.data.decode()
    return (
        f"From: <fbl@feedback.example.com>\r\nTo: <{sent.mail_from}>\r\n"
        f"Delivered-To: {sent.mail_from}\r\nSubject: FW: abuse report\r\n"
        f"Date: {formatdate()}\r\nMessage-ID: {make_msgid(domain='feedback.example.com')}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n\r\n"
        "--B\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\nUser-Agent: ExampleFBL/1.0\r\nVersion: 1\r\n"
        f"Original-Mail-From: <{sent.mail_from}>\r\nOriginal-Rcpt-To: <{sent.rcpt_tos[0]}>\r\n"
        "Source-IP: 192.0.2.1\r\n\r\n"
        f"--B\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n"
        f"{original}\r\n--B--\r\n"
    ).encode()


def test_complaints_above_point_three_percent_pause_the_alert(
        session, settings, smtp_sink, imap_server, runtime, run_cli) -> None:
    add_contacts(session, 400)
    alert = make_alert(session, settings)
    alert_id = alert.id
    create_blast(session, alert)
    session.commit()
    ids = list(session.scalars(select(Message.id).where(Message.alert_id == alert_id)
                               .order_by(Message.id)))
    session.close()
    deliver_batch(runtime, ids[:380])  # the blast is under way: 20 still to go
    assert len(smtp_sink.messages) == 380

    imap_server.append(arf_complaint(smtp_sink.messages[0]))
    assert "1 recorded" in run_cli("poll").output
    shown = json.loads(run_cli("alert", "status", str(alert_id), "--json").stdout)
    assert shown["state"] == "sending"  # 1 of 380 delivered: 0.26 %, under the limit
    assert shown["guard"]["figures"]["complaints"] == 1

    imap_server.append(arf_complaint(smtp_sink.messages[1]))
    assert "1 recorded" in run_cli("poll").output
    shown = json.loads(run_cli("alert", "status", str(alert_id), "--json").stdout)
    assert shown["state"] == "paused" and shown["guard"]["paused"]
    pause = shown["guard"]["pause"]
    assert pause["reason"] == "complaints"
    assert pause["figures"] == {"complaints": 2, "delivered": 380, "percent": 0.53,
                                "limit_percent": 0.3}
    assert [r["email"] for r in pause["replies"]] == [
        smtp_sink.messages[0].rcpt_tos[0], smtp_sink.messages[1].rcpt_tos[0]]
    assert "2 spam complaints for 380 delivered" in run_cli("alert", "status",
                                                           str(alert_id)).output
    assert deliver_batch(runtime, ids[380:]).claimed == 0  # paused: nothing more goes out
