"""Acceptance of the deliverability guard on the SMTP side: a real blast through the sending
engine into an aiosmtpd sink that refuses part of the list. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from outreach.db.models import AuditEvent, Message
from outreach.mta.smtp import SmtpSender
from outreach.sending.blast import create_blast
from outreach.sending.config import SendingConfig
from outreach.sending.deliver import deliver_batch
from outreach.sending.runtime import SendingRuntime
from tests.integration.sending_data import add_contacts, make_alert
from tests.integration.sending_run import own_session, status

pytestmark = pytest.mark.integration
FAST = {"retry_schedule": (0.2, 0.4), "sweep_seconds": 0.2, "send_batch_size": 100}
BLOCKED = "550 5.7.1 Service unavailable; client host [192.0.2.7] blocked using zen.spamhaus.org"


@pytest.fixture
def settings(settings, smtp_sink):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_url=smtp_sink.url, broker_url=None, **FAST)


@pytest.fixture
def runtime(settings, smtp_sink) -> Iterator[SendingRuntime]:
    rt = SendingRuntime(settings, sender=SmtpSender(smtp_sink.url), name="guard-test")
    yield rt
    rt.close()


def test_ten_percent_hard_bounces_pause_the_alert_until_resume(session, settings, smtp_sink,
                                                                run_cli):
    emails = add_contacts(session, 1000)
    bad = emails[5::10]  # 100 dead addresses, spread over the whole list
    for address in bad:
        smtp_sink.fail(550, at="rcpt", recipient=address)  # "550 5.1.1 Mailbox unavailable"
    alert_id = make_alert(session, settings).id
    session.close()

    out = run_cli("alert", "send", str(alert_id), "--yes").output
    assert "PAUSED by the deliverability guard" in out, out

    first = status(settings, alert_id)
    attempts = first["counts"]["sent"] + first["counts"]["bounced"]
    assert first["state"] == "paused"
    assert 200 <= attempts <= 215, first  # paused at the first bounce past 200 attempts
    assert first["counts"]["queued"] == 1000 - attempts
    received = len(smtp_sink.messages)
    assert received == first["counts"]["sent"]
    time.sleep(1.5)
    assert len(smtp_sink.messages) == received  # nothing more is sent until resume

    shown = json.loads(run_cli("alert", "status", str(alert_id), "--json").stdout)["guard"]
    assert shown["paused"] and shown["pause"]["reason"] == "hard_bounces"
    figures = shown["pause"]["figures"]
    assert figures["attempts"] == attempts and figures["percent"] > 5
    assert len(shown["pause"]["replies"]) == 5
    assert all(r["email"] in bad and "5.1.1" in r["text"] for r in shown["pause"]["replies"])
    text = run_cli("alert", "status", str(alert_id)).output
    assert "hard bounces in" in text and "is above the limit of 5 %" in text
    with own_session(settings) as s:
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "alert.auto_pause")).all()
        assert [(a.actor_kind, a.target, a.detail["reason"]) for a in audit] == [
            ("system", f"alert:{alert_id}", "hard_bounces")]

    # The organiser read it and decides this list may bounce up to 20 %: one limit, one resume.
    run_cli("alert", "guard", str(alert_id), "--set", "hard_bounce_percent=20")
    run_cli("alert", "resume", str(alert_id))
    final = status(settings, alert_id)
    assert final["state"] == "done"
    assert final["counts"]["sent"] == 900 and final["counts"]["bounced"] == 100
    counts = Counter(smtp_sink.recipients())
    assert set(counts) == set(emails) - set(bad) and set(counts.values()) == {1}
    shown = json.loads(run_cli("alert", "guard", str(alert_id), "--json").stdout)
    assert not shown["paused"] and shown["pause"]["resumed_at"]
    assert shown["limits"]["hard_bounce_percent"] == 20


def test_a_domain_refusing_us_is_paused_and_the_rest_goes_on(session, settings, smtp_sink,
                                                             runtime, run_cli):
    good = add_contacts(session, 90)
    blocked = add_contacts(session, 30, start=1000, domain="mx.example.net")
    for address in blocked:
        smtp_sink.fail(BLOCKED, at="rcpt", recipient=address)
    alert_id = make_alert(session, settings).id
    session.close()

    out = run_cli("alert", "send", str(alert_id), "--yes").output  # returns: only held left
    paused = re.search(r"domain mx\.example\.net PAUSED after (\d+) policy rejections; "
                       r"30 messages wait", out)
    assert paused, out
    # The third policy rejection paused the domain; the messages already out on the other
    # SMTP connections of that round were refused too, and no more after it.
    refused = sum(f.fired for f in smtp_sink.faults)
    connections = SendingConfig.from_settings(settings).smtp_connections
    assert int(paused[1]) == refused and 3 <= refused < 3 + connections
    assert set(smtp_sink.recipients()) == set(good)
    with own_session(settings) as s:
        ids = list(s.scalars(select(Message.id).where(Message.alert_id == alert_id)))
    shown = json.loads(run_cli("alert", "status", str(alert_id), "--json").stdout)
    assert shown["state"] == "sending" and not shown["guard"]["paused"]
    [domain] = shown["guard"]["domains"]
    assert domain["domain"] == "mx.example.net" and domain["paused"]
    assert domain["rejections"] == refused and domain["waiting"] == 30
    assert "blocked using zen.spamhaus.org" in domain["replies"][0]["text"]
    assert shown["counts"]["bounced"] == 0  # the addresses are fine: nobody is suppressed
    assert paused[0] in run_cli("alert", "status", str(alert_id)).output

    time.sleep(0.5)  # the three refused are deferred and due again: still held back
    assert deliver_batch(runtime, ids).claimed == 0

    smtp_sink.clear_faults()  # the organiser got the server delisted
    out = run_cli("alert", "resume", str(alert_id)).output
    assert "domain mx.example.net resumed" in out
    assert status(settings, alert_id)["state"] == "done"
    counts = Counter(smtp_sink.recipients())
    assert set(counts) == set(good) | set(blocked) and set(counts.values()) == {1}


def test_several_domains_refusing_us_pause_the_alert(session, settings, smtp_sink, runtime,
                                                     run_cli):
    add_contacts(session, 20)
    for n, domain in enumerate(("a.example.net", "b.example.net", "c.example.net")):
        for address in add_contacts(session, 3, start=100 * (n + 1), domain=domain):
            smtp_sink.fail(BLOCKED, at="rcpt", recipient=address)
    alert = make_alert(session, settings)
    alert_id = alert.id
    create_blast(session, alert)
    session.commit()
    ids = list(session.scalars(select(Message.id).where(Message.alert_id == alert_id)
                               .order_by(Message.id)))
    session.close()

    deliver_batch(runtime, ids)

    shown = json.loads(run_cli("alert", "status", str(alert_id), "--json").stdout)
    assert shown["state"] == "paused" and shown["guard"]["paused"]
    assert shown["guard"]["pause"]["reason"] == "policy_domains"
    assert shown["guard"]["pause"]["figures"]["domains"] == [
        "a.example.net", "b.example.net", "c.example.net"]
    assert shown["counts"]["sent"] == 20  # the good addresses came first (lower ids)
