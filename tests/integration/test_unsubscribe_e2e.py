"""Acceptance, end to end: real blasts through the sending engine to the test SMTP sink, the
List-Unsubscribe URL of a received message answered by `outreach web` (gunicorn), and what
later and paused blasts then do. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import email
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.alerts.create import create_alert
from outreach.contacts.segments import Segment
from outreach.db.models import Alert, Message
from outreach.mta.smtp import SmtpSender
from outreach.sending.blast import BlastSummary, create_blast
from outreach.sending.control import pause, resume
from outreach.sending.deliver import deliver_batch
from outreach.sending.runtime import SendingRuntime
from tests.fixtures.web import post_one_click
from tests.integration.unsubscribe_data import contact_state, events, make_contact

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PEOPLE = {"anna@example.org": "en", "olga@example.net": "ru", "bela@example.com": "hu"}


@pytest.fixture
def runtime(settings, smtp_sink) -> Iterator[SendingRuntime]:
    rt = SendingRuntime(settings, sender=SmtpSender(smtp_sink.url), name="e2e-unsubscribe")
    yield rt
    rt.close()


@pytest.fixture
def contacts(session: Session) -> dict[str, int]:
    ids = {addr: make_contact(session, addr, lang).id for addr, lang in PEOPLE.items()}
    session.commit()
    return ids


# Ids, not ORM objects, cross these helpers: touching an expired object would open a read
# transaction, and SQLite (BEGIN IMMEDIATE, see outreach.db.session) would lock out the web server.

def new_alert(session: Session, settings) -> int:
    alert = create_alert(session, settings, EXAMPLES / "alert.md", segment=Segment(), variants={
        "ru": EXAMPLES / "alert.ru.md", "hu": EXAMPLES / "alert.hu.md"})
    session.commit()
    return alert.id


def blast(session: Session, alert_id: int) -> tuple[BlastSummary, dict[int, int]]:
    """Create the blast; returns the summary and {contact id: message id}."""
    summary = create_blast(session, session.get(Alert, alert_id))
    session.commit()
    rows = session.execute(select(Message.contact_id, Message.id)
                           .where(Message.alert_id == alert_id)).all()
    session.commit()
    return summary, dict(rows)


def one_click_url(raw: bytes) -> str:
    """The https/http URL of List-Unsubscribe, after checking List-Unsubscribe-Post."""
    message = email.message_from_bytes(raw)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    links = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
    assert any(link.startswith("mailto:") for link in links)
    [url] = [link for link in links if link.startswith(("https://", "http://"))]
    return url


def received_by(sink, address: str) -> list[bytes]:
    return [m.data for m in sink.messages if address in m.rcpt_tos]


def status_of(session: Session, message_id: int) -> str:
    status = session.scalar(select(Message.status).where(Message.id == message_id))
    session.commit()
    return status


def test_one_click_from_a_received_message_and_the_next_blast_skips(
        session, settings, contacts, runtime, smtp_sink, live_server):
    first = new_alert(session, settings)
    summary, messages = blast(session, first)
    assert (summary.queued, summary.suppressed) == (3, 0)
    deliver_batch(runtime, list(messages.values()))
    smtp_sink.wait_for(3)

    olga = contacts["olga@example.net"]
    [raw] = received_by(smtp_sink, "olga@example.net")
    url = live_server.rebase(one_click_url(raw))
    with urllib.request.urlopen(url, timeout=10) as response:  # a link scanner's GET
        assert response.status == 200
    assert contact_state(session, olga) == (False, "active")

    assert 200 <= post_one_click(url) < 300
    assert contact_state(session, olga) == (True, "unsubscribed")
    [event] = events(session, olga)
    assert (event.channel, event.alert_id, event.message_id) == (
        "one-click", first, messages[olga])
    assert 200 <= post_one_click(url) < 300  # repeating is harmless
    assert len(events(session, olga)) == 1

    second = new_alert(session, settings)
    summary, messages = blast(session, second)
    assert (summary.queued, summary.suppressed) == (2, 1)
    assert olga not in messages
    deliver_batch(runtime, list(messages.values()))
    smtp_sink.wait_for(5)
    assert len(received_by(smtp_sink, "olga@example.net")) == 1  # only the first alert


def test_unsubscribing_during_a_paused_blast_stops_the_rest(
        session, settings, contacts, runtime, smtp_sink, live_server):
    first = new_alert(session, settings)
    _, first_messages = blast(session, first)
    deliver_batch(runtime, list(first_messages.values()))
    smtp_sink.wait_for(3)
    olga, anna = contacts["olga@example.net"], contacts["anna@example.org"]
    olga_link = live_server.rebase(one_click_url(received_by(smtp_sink, "olga@example.net")[0]))

    running = new_alert(session, settings)
    summary, messages = blast(session, running)
    assert summary.queued == 3
    assert deliver_batch(runtime, [messages[anna]]).claimed == 1  # the blast is under way
    smtp_sink.wait_for(4)
    pause(session, running)
    session.commit()
    rest = [mid for cid, mid in messages.items() if cid != anna]
    assert deliver_batch(runtime, rest).claimed == 0  # paused: nothing goes out

    assert 200 <= post_one_click(olga_link) < 300  # she unsubscribes now
    sent_before = len(smtp_sink.messages)
    resume(session, running)
    session.commit()
    report = deliver_batch(runtime, rest)
    assert (report.claimed, report.suppressed) == (1, 1)
    smtp_sink.wait_for(sent_before + 1)
    after = smtp_sink.messages[sent_before:]
    assert [m.rcpt_tos for m in after] == [("bela@example.com",)]
    assert len(received_by(smtp_sink, "olga@example.net")) == 1  # only the first alert
    assert status_of(session, messages[olga]) == "suppressed"
