"""Reply classification, SMTP URL parsing and the DATA payload: pure logic, no server."""

from __future__ import annotations

import pytest

from outreach.errors import ConfigError
from outreach.mta.smtp import SmtpResult, _payload, classify, parse_smtp_url


@pytest.mark.parametrize(("code", "outcome"), [
    (250, "sent"), (251, "sent"), (200, "sent"),
    (421, "deferred"), (450, "deferred"), (451, "deferred"), (452, "deferred"),
    (550, "bounced"), (551, "bounced"), (553, "bounced"), (554, "bounced"),
    (552, "deferred"),  # mailbox full: temporary (RFC 5321 4.5.3.1.10, like Mailman)
    (0, "deferred"), (354, "deferred"), (199, "deferred"), (600, "deferred"),
])
def test_classify(code: int, outcome: str) -> None:
    assert classify(code) == outcome


@pytest.mark.parametrize(("code", "outcome"), [
    (500, "deferred"), (501, "deferred"), (504, "deferred"),  # "500 Line too long": our fault
    (550, "bounced"), (554, "bounced"), (552, "deferred"), (451, "deferred"), (250, "sent"),
])
def test_classify_after_data(code: int, outcome: str) -> None:
    assert classify(code, "data") == outcome
    assert classify(501, "rcpt") == "bounced"  # bad recipient address syntax


def test_server_problem_flags_connection_level_failures() -> None:
    assert SmtpResult(0, "refused", "deferred", stage="connect").server_problem
    assert SmtpResult(421, "bye", "deferred", stage="rcpt").server_problem
    assert not SmtpResult(451, "later", "deferred", stage="rcpt").server_problem
    assert not SmtpResult(550, "no such user", "bounced", stage="rcpt").server_problem


@pytest.mark.parametrize(("url", "scheme", "port"), [
    ("smtp://mail.example.org", "smtp", 25),
    ("smtp+starttls://mail.example.org", "smtp+starttls", 587),
    ("smtps://mail.example.org", "smtps", 465),
    ("SMTPS://mail.example.org:2465", "smtps", 2465),
    ("smtp://127.0.0.1:2525/", "smtp", 2525),
])
def test_parse_scheme_and_default_ports(url: str, scheme: str, port: int) -> None:
    parsed = parse_smtp_url(url)
    assert (parsed.scheme, parsed.port) == (scheme, port)
    assert parsed.username is None and parsed.password is None


def test_parse_credentials_are_percent_decoded_and_never_shown() -> None:
    parsed = parse_smtp_url("smtps://press%40example.org:p%40ss%3Aw%2Fo%20rd@mail.example.org")
    assert parsed.username == "press@example.org"
    assert parsed.password == "p@ss:w/o rd"
    assert "p@ss" not in repr(parsed) and "p@ss" not in parsed.display
    assert parsed.display == "smtps://press@example.org@mail.example.org:465"


def test_parse_query_options() -> None:
    parsed = parse_smtp_url("smtp+starttls://mail.example.org?timeout=7.5&helo=out.example.org")
    assert parsed.timeout == 7.5 and parsed.helo == "out.example.org"


def test_parse_ipv6_host() -> None:
    parsed = parse_smtp_url("smtp://[::1]:2525")
    assert parsed.host == "::1" and parsed.display == "smtp://[::1]:2525"


@pytest.mark.parametrize(("url", "message"), [
    ("http://mail.example.org", "must start with smtp://"),
    ("smtp://", "has no host"),
    ("smtp://mail.example.org:notaport", "Port could not be cast"),
    ("smtp://mail.example.org/path", "unexpected path"),
    ("smtp://mail.example.org?tls=1", "unknown option 'tls'"),
    ("smtp://mail.example.org?timeout=soon", "timeout='soon'"),
    ("smtp://mail.example.org?timeout=0", "timeout='0'"),
    ("smtp://user:secret@mail.example.org", "unencrypted"),
])
def test_parse_errors_are_config_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match="OUTREACH_SMTP_URL") as info:
        parse_smtp_url(url)
    assert message in str(info.value)
    assert "secret" not in str(info.value)


def test_password_over_plain_smtp_is_allowed_on_loopback() -> None:
    assert parse_smtp_url("smtp://user:pw@127.0.0.1:2525").password == "pw"
    assert parse_smtp_url("smtp://user:pw@localhost").password == "pw"


def test_payload_dot_stuffs_and_terminates() -> None:
    assert _payload(b"a\r\n.b\r\n..c\r\nd") == b"a\r\n..b\r\n...c\r\nd\r\n.\r\n"


def test_payload_keeps_crlf_and_fixes_bare_line_ends() -> None:
    assert _payload(b"a\r\nb\r\n") == b"a\r\nb\r\n.\r\n"
    assert _payload(b"a\nb\rc\n") == b"a\r\nb\r\nc\r\n.\r\n"


def test_payload_leading_dot_and_mixed_line_ends() -> None:
    assert _payload(b".x\r\ny") == b"..x\r\ny\r\n.\r\n"
    assert _payload(b"a\n.b\r\n.") == b"a\r\n..b\r\n..\r\n.\r\n"
    assert _payload(b"") == b"\r\n.\r\n"
