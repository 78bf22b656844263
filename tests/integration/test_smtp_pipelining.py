"""SmtpSender's PIPELINING path (RFC 2920: MAIL, RCPT and DATA in one write) against a real
aiosmtpd server that advertises PIPELINING, and against Postfix's smtp-sink.

The recording server of tests/fixtures/smtp.py does not advertise PIPELINING by itself (so
test_smtp_sender.py covers the one-command-at-a-time path); here a `handle_EHLO` hook adds it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from outreach.mta.smtp import SmtpSender
from tests.fixtures.smtp import RecordingSmtpServer, _Handler
from tests.integration.test_smtp_sender import BODY, FROM, message


async def _advertise_pipelining(self: object, server: object, session: object,
                                envelope: object, hostname: str,
                                responses: list[str]) -> list[str]:
    session.host_name = hostname  # type: ignore[attr-defined]  # the hook's job in aiosmtpd
    return [*responses[:-1], "250-PIPELINING", responses[-1]]


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingSmtpServer]:
    monkeypatch.setattr(_Handler, "handle_EHLO", _advertise_pipelining, raising=False)
    with RecordingSmtpServer() as server:
        yield server


def _pipelined(sender: SmtpSender) -> bool:
    return sender._conn is not None and sender._conn.has_extn("pipelining")


def test_many_messages_on_one_pipelined_connection(sink: RecordingSmtpServer) -> None:
    with SmtpSender(sink.url) as sender:
        results = [sender.send(FROM, f"r{i}@example.net", message(i)) for i in range(25)]
        assert _pipelined(sender)
        assert results[0].outcome == "sent", results[0]
        assert sender.send(FROM, "dots@example.net", BODY).outcome == "sent"
    assert {(r.code, r.outcome, r.uncertain) for r in results} == {(250, "sent", False)}
    received = sink.wait_for(26)
    assert [m.rcpt_tos for m in received[:25]] == [(f"r{i}@example.net",) for i in range(25)]
    assert received[25].data == BODY and "BODY=8BITMIME" in received[25].mail_options
    assert sink.connections == 1


@pytest.mark.parametrize(("code", "at", "outcome"), [
    (421, "rcpt", "deferred"), (451, "rcpt", "deferred"), (550, "rcpt", "bounced"),
    (552, "rcpt", "deferred"), (451, "data", "deferred"), (554, "data", "bounced"),
    (452, "data_command", "deferred"), (550, "mail", "deferred"), (451, "mail", "deferred"),
])
def test_refusals_are_classified_and_the_session_recovers(sink: RecordingSmtpServer, code: int,
                                                          at: str, outcome: str) -> None:
    sink.fail(code, at=at, recipient="bad@example.net" if at != "mail" else None, nth=2)
    with SmtpSender(sink.url) as sender:
        assert sender.send(FROM, "ok@example.net", message(1)).outcome == "sent"
        result = sender.send(FROM, "bad@example.net", message(2))
        assert (result.code, result.outcome, result.uncertain) == (code, outcome, False)
        assert sender.send(FROM, "next@example.net", message(3)).outcome == "sent"
    assert [m.rcpt_tos[0] for m in sink.wait_for(2)] == ["ok@example.net", "next@example.net"]
    assert sink.connections == (2 if code == 421 else 1)


def test_reused_connection_dropped_or_421_at_mail_is_retried_once(
        sink: RecordingSmtpServer) -> None:
    sink.fail(421, at="mail", nth=2)
    with SmtpSender(sink.url) as sender:
        assert sender.send(FROM, "a@example.net", message(1)).outcome == "sent"
        assert sender.send(FROM, "b@example.net", message(2)).outcome == "sent"
        sink.disconnect_all()
        assert sender.send(FROM, "c@example.net", message(3)).outcome == "sent"
    assert len(sink.wait_for(3)) == 3 and sink.connections == 3


def test_drops_keep_their_certainty(sink: RecordingSmtpServer) -> None:
    sink.drop(at="data", recipient="maybe@example.net")  # delivered, reply lost
    sink.drop(at="data_mid", recipient="mid@example.net")
    sink.drop(at="rcpt", recipient="r@example.net")
    with SmtpSender(sink.url) as sender:
        maybe = sender.send(FROM, "maybe@example.net", message(1))
        assert (maybe.code, maybe.outcome, maybe.uncertain) == (0, "deferred", True)
        mid = sender.send(FROM, "mid@example.net", message(2) * 50)
        assert (mid.code, mid.outcome) == (0, "deferred")  # how far it got is unknowable
        refused = sender.send(FROM, "r@example.net", message(2))
        assert (refused.code, refused.outcome, refused.uncertain) == (0, "deferred", False)
        assert sender.send(FROM, "next@example.net", message(3)).outcome == "sent"
    assert [m.rcpt_tos[0] for m in sink.wait_for(2)] == ["maybe@example.net", "next@example.net"]


def test_postfix_smtp_sink_takes_pipelined_messages() -> None:
    from benchmarks.sink import smtp_sink_server
    from tests.fixtures.services import require

    try:
        server = smtp_sink_server()
        postfix = server.__enter__()
    except RuntimeError as exc:
        require("Postfix smtp-sink", False, str(exc))
        return
    try:
        with SmtpSender(postfix.url) as sender:
            results = [sender.send(FROM, f"r{i}@example.net", message(i)) for i in range(50)]
            assert _pipelined(sender)
        assert {r.outcome for r in results} == {"sent"}
        assert postfix.wait_for(50, timeout=10) == 50
    finally:
        server.__exit__(None, None, None)


def test_idna_domain_and_smtputf8_pipelined(sink: RecordingSmtpServer) -> None:
    with SmtpSender(sink.url) as sender:
        assert sender.send(FROM, "anna@bücher.example.org", BODY).outcome == "sent"
        assert sender.send(FROM, "анна@example.net", BODY).outcome == "sent"
        assert _pipelined(sender)
    idna, utf8 = sink.wait_for(2)
    assert idna.rcpt_tos == ("anna@xn--bcher-kva.example.org",)
    assert "SMTPUTF8" not in idna.mail_options
    assert utf8.rcpt_tos == ("анна@example.net",) and "SMTPUTF8" in utf8.mail_options
