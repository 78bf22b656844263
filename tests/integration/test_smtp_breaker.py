"""What the circuit breaker and `outreach doctor` read from the SMTP adapter: `unreachable`
(nothing could have been delivered: the breaker pauses instead of charging an attempt) and
`probe()` (the whole connection set-up, no message)."""

from __future__ import annotations

from outreach.mta.smtp import SmtpSender
from tests.fixtures.smtp import RecordingSmtpServer
from tests.fixtures.tls import TlsMaterial

FROM = "press@example.org"
BODY = b"Subject: t\r\n\r\nbody\r\n"


def test_a_closed_port_is_unreachable_and_a_restart_on_it_is_reachable_again(
        smtp_sink: RecordingSmtpServer) -> None:
    sender = SmtpSender(smtp_sink.url, timeout=5)
    assert sender.send(FROM, "a@example.net", BODY).outcome == "sent"
    smtp_sink.stop()
    down = sender.send(FROM, "b@example.net", BODY)
    assert down.unreachable and (down.outcome, down.stage) == ("deferred", "connect")
    assert sender.probe().unreachable
    smtp_sink.start()  # the same port
    assert sender.probe().outcome == "sent"
    assert sender.send(FROM, "c@example.net", BODY).outcome == "sent"
    assert smtp_sink.recipients() == ["a@example.net", "c@example.net"]


def test_refusals_about_the_message_are_not_unreachable(smtp_sink: RecordingSmtpServer) -> None:
    smtp_sink.fail(421, at="mail", times=1)
    busy = SmtpSender(smtp_sink.url, timeout=5).send(FROM, "a@example.net", BODY)
    assert busy.code == 421 and not busy.unreachable  # busy: a slow-down, not the breaker
    smtp_sink.fail(451, at="rcpt", times=1)
    later = SmtpSender(smtp_sink.url, timeout=5).send(FROM, "a@example.net", BODY)
    assert later.code == 451 and not later.unreachable


def test_a_bad_certificate_is_configuration_not_an_outage(smtp_tls_sink: RecordingSmtpServer,
                                                         tls_material: TlsMaterial) -> None:
    wrong = SmtpSender(smtp_tls_sink.auth_url, ca_file=tls_material.other_ca_file, timeout=5)
    result = wrong.probe()
    assert result.outcome == "deferred" and not result.unreachable
    assert "certificate" in result.text
    right = SmtpSender(smtp_tls_sink.auth_url, ca_file=tls_material.ca_file, timeout=5)
    assert right.probe().text.endswith("ready (TLS)")
    assert smtp_tls_sink.messages == []
