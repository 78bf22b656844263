"""The benchmark helpers work (the smtp-sink download itself is exercised by `make bench`)."""

from __future__ import annotations

from benchmarks.sink import aiosmtpd_sink_server, sample_messages, smtplib_baseline


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
