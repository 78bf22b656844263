"""Point 1: forged mail (a contact's From:, a DSN or an ARF report naming a contact) changes no
state; it is kept for a person to read, marked as matched by sender, and not counted as a reply.

Real parts: a private Dovecot mailbox, `outreach poll` through the CLI, SQLite and PostgreSQL.
A control message carrying the per-message token shows that genuine mail still acts.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from outreach.config import Settings
from outreach.db.models import (
    Contact,
    ContactEvent,
    InboundMail,
    Message,
    MessageEvent,
    Suppression,
)
from outreach.reports.reach import reach_report, reply_counts
from tests.fixtures.db import make_test_settings
from tests.fixtures.imap import ImapServer
from tests.integration.inbound_rows import make_sent_alert, readdressed

pytestmark = pytest.mark.integration

VICTIM = "victim.editor@example.net"
REPLIER = "quiet.reporter@example.net"
GENUINE = "real.unsub@example.net"


@pytest.fixture
def settings(db_url: str, imap_server: ImapServer) -> Settings:
    return make_test_settings(database_url=db_url, imap_url=imap_server.url)


def forged_remove_me(sender: str) -> bytes:
    return (f"From: Victim <{sender}>\r\nTo: press@example.org\r\n"
            "Subject: Re: Urgent: journalist detained\r\nMessage-ID: <forged-1@evil.test>\r\n"
            "Date: Wed, 25 Nov 2026 12:00:00 +0000\r\n\r\n"
            "Please remove me from this list. Unsubscribe me.\r\n").encode()


def forged_reply(sender: str) -> bytes:
    return (f"From: Reporter <{sender}>\r\nTo: press@example.org\r\n"
            "Subject: Re: Urgent\r\nMessage-ID: <forged-2@evil.test>\r\n"
            "Date: Wed, 25 Nov 2026 12:01:00 +0000\r\n\r\n"
            "Thanks, we will run the story tomorrow.\r\n").encode()


def forged_dsn(recipient: str, action: str = "failed", status: str = "5.1.1") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.evil.test\r\nTo: press@example.org\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <forged-3@evil.test>\r\n"
        "Date: Wed, 25 Nov 2026 12:02:00 +0000\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.evil.test\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {status[0]}50 {status} mailbox unavailable\r\n"
        "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: press@example.org\r\nTo: {recipient}\r\nSubject: Urgent\r\n"
        "Message-ID: <guessed-123@example.org>\r\n--b1--\r\n").encode()


def forged_arf(recipient: str) -> bytes:
    return (
        "From: <fbl@feedback.evil.test>\r\nTo: press@example.org\r\n"
        "Subject: FW: Urgent\r\nMessage-ID: <forged-4@evil.test>\r\n"
        "Date: Wed, 25 Nov 2026 12:03:00 +0000\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="b2"\r\n\r\n'
        "--b2\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report.\r\n"
        "--b2\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\nUser-Agent: Evil/1.0\r\nVersion: 1\r\n"
        f"Original-Rcpt-To: <{recipient}>\r\n"
        "--b2\r\nContent-Type: message/rfc822\r\n\r\n"
        f"From: press@example.org\r\nTo: {recipient}\r\nSubject: Urgent\r\n\r\nHello\r\n"
        "--b2--\r\n").encode()


def _state(session) -> dict[str, object]:
    return {
        "suppressions": session.scalar(select(func.count()).select_from(Suppression)),
        "message_events": session.scalar(select(func.count()).select_from(MessageEvent)),
        "contact_events": session.scalar(select(func.count()).select_from(ContactEvent)),
        "statuses": sorted(session.scalars(select(Message.status))),
        "contacts": sorted(session.scalars(select(Contact.status))),
    }


def test_forged_mail_changes_nothing_and_is_kept_for_a_person(
        imap_server: ImapServer, settings: Settings, sessions, run_cli) -> None:
    with sessions() as session:
        sent = make_sent_alert(session, settings, [VICTIM, REPLIER, GENUINE])
        before = _state(session)
    imap_server.append(forged_remove_me(VICTIM), forged_dsn(VICTIM), forged_arf(VICTIM),
                       forged_reply(REPLIER))

    report = json.loads(run_cli("poll", "--json").stdout)
    assert sum(report["recorded"].values()) == 4 and report["suppressed"] == 0, report

    with sessions() as session:
        assert _state(session) == before  # nothing suppressed, bounced or complained
        rows = list(session.scalars(select(InboundMail).order_by(InboundMail.id)))
        assert [r.match_method for r in rows] == ["sender"] * 4
        assert {r.contact_id for r in rows} == {sent.contacts[VICTIM], sent.contacts[REPLIER]}
        rows_by_sender = {r.sender: r for r in rows}
        assert rows_by_sender[REPLIER].kind == "reply"
        reach = reach_report(session, sent.alert_id)
        assert sum(row.replied for row in reach.rows) == 0
        assert sum(row.unsubscribed + row.complained for row in reach.rows) == 0
        assert reply_counts(session, [sent.alert_id]).get(sent.alert_id, 0) == 0

    shown = json.loads(run_cli("replies", "--all", "--json").stdout)
    assert {(r["contact"]["email"], r["match"]) for r in shown} >= {(REPLIER, "sender")}
    assert "by sender" in run_cli("replies").output
    listed = json.loads(run_cli("inbound", "unmatched", "--json").stdout)  # reports, for a person
    assert sorted(r["kind"] for r in listed) == ["bounce", "complaint"]
    assert all(r["match"] == "sender" and "nothing changed" in r["note"] for r in listed)

    # Control: the same words with the per-message token still unsubscribe.
    imap_server.append(readdressed("unsub-en.eml", settings, sent.messages[GENUINE]))
    again = json.loads(run_cli("poll", "--json").stdout)
    assert again["suppressed"] == 1, again
    with sessions() as session:
        statuses = dict(session.execute(select(Contact.email, Contact.status)).all())
        assert statuses == {VICTIM: "active", REPLIER: "active", GENUINE: "unsubscribed"}


def test_forged_soft_bounces_do_not_count_towards_the_soft_bounce_limit(
        imap_server: ImapServer, db_url: str, sessions) -> None:
    """A forged soft bounce is stored but is no evidence: with a limit of 2, one forged and
    one genuine soft bounce in a row must not suppress the contact."""
    from outreach.context import AppContext
    from outreach.inbound.poll import poll_mailbox

    settings = make_test_settings(database_url=db_url, imap_url=imap_server.url,
                                  soft_bounce_limit=2)
    address = "full.box@example.net"
    with sessions() as session:
        first = make_sent_alert(session, settings, [address], title="First")
        make_sent_alert(session, settings, [address], title="Second")
    imap_server.append(forged_dsn(address, action="delayed", status="4.2.2"))
    assert poll_mailbox(AppContext(settings)).recorded == {"soft_bounce": 1}
    imap_server.append(readdressed("dsn-exim-mailbox-full.eml", settings,
                                   first.messages[address]))
    report = poll_mailbox(AppContext(settings))
    assert report.recorded == {"soft_bounce": 1} and report.suppressed == 0, report
    with sessions() as session:
        assert session.scalars(select(Contact.status)).one() == "active"
        assert session.scalar(select(func.count()).select_from(Suppression)) == 0


def test_forged_complaints_do_not_pause_a_sending_alert(
        imap_server: ImapServer, settings: Settings, sessions) -> None:
    """The deliverability guard pauses an alert above 0.3 % complaints: forged ARF reports
    must not count towards it. 400 delivered, 1 genuine complaint (0.25 %) and 5 forged."""
    from outreach.context import AppContext
    from outreach.db.models import Alert
    from outreach.inbound.poll import poll_mailbox

    emails = [f"reader{i}@example.net" for i in range(400)]
    with sessions() as session:
        sent = make_sent_alert(session, settings, emails)
        session.get(Alert, sent.alert_id).state = "sending"
        session.commit()
    imap_server.append(*(forged_arf(e).replace(b"forged-4@", f"forged-arf-{i}@".encode())
                         for i, e in enumerate(emails[:5])))
    genuine = readdressed("arf-complaint.eml", settings, sent.messages[emails[9]])
    imap_server.append(genuine.replace(b"annoyed.reader@example.com", emails[9].encode()))
    report = poll_mailbox(AppContext(settings))
    assert report.recorded == {"complaint": 6} and report.suppressed == 1, report
    with sessions() as session:
        assert session.get(Alert, sent.alert_id).state == "sending"
