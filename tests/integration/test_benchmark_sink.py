"""The benchmark helpers work (the smtp-sink download itself is exercised by `make bench`)."""

from __future__ import annotations

import pytest

from benchmarks.sink import aiosmtpd_sink_server, sample_messages, smtplib_baseline
from benchmarks.tls_proxy import tls_proxy
from outreach.mta.smtp import SmtpSender
from tests.fixtures.tls import TlsMaterial


def test_sample_messages_are_10kb_crlf_and_distinct() -> None:
    messages = list(sample_messages(3))
    assert len({m[1] for m in messages}) == 3
    for _, recipient, data in messages:
        assert 9_000 < len(data) < 12_000
        assert data.count(b"\n") == data.count(b"\r\n")
        assert f"To: {recipient}".encode() in data


def test_smtplib_baseline_counts_at_the_sink() -> None:
    with aiosmtpd_sink_server() as sink:
        result = smtplib_baseline(sink.host, sink.port, sample_messages(20))
        assert sink.wait_for(20, timeout=10) == 20
    assert result.messages == 20 and result.per_second > 0


@pytest.mark.parametrize("mode", ["starttls", "smtps", "plain"])
def test_tls_proxy_keeps_one_verified_connection(mode: str, tls_material: TlsMaterial) -> None:
    """TLS on: a whole run of messages goes over one connection, the certificate verified
    against the private CA (an untrusted CA is refused)."""
    with aiosmtpd_sink_server() as sink, \
            tls_proxy((sink.host, sink.port), mode, tls_material.server_context()) as proxy:
        with SmtpSender(proxy.url, ca_file=tls_material.ca_file) as sender:
            results = [sender.send(*m) for m in sample_messages(30)]
        assert {r.outcome for r in results} == {"sent"}
        assert sender.connections_opened == 1
        assert sink.wait_for(30, timeout=10) == 30
        if mode != "plain":
            with SmtpSender(proxy.url, ca_file=tls_material.other_ca_file) as stranger:
                refused = stranger.send(*next(sample_messages(1)))
            assert refused.outcome == "deferred" and refused.stage == "connect"
