"""`outreach poll` against a real Dovecot mailbox and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from outreach.config import Settings
from outreach.db.models import Contact, InboundMail, Message, MessageEvent, Suppression
from outreach.inbound import poll as poll_module
from outreach.inbound.poll import poll_mailbox
from tests.fixtures.db import make_test_settings, settings_env
from tests.fixtures.imap import ImapServer
from tests.integration.inbound_rows import make_sent_alert, readdressed

pytestmark = pytest.mark.integration

EMAILS = ["bounce.me@example.net", "anna.editor@example.net", "harry@example.com",
          "uma@example.com"]


@pytest.fixture
def settings(db_url: str, imap_server: ImapServer) -> Settings:
    return make_test_settings(database_url=db_url, imap_url=imap_server.url)


def _counts(session) -> dict[str, int]:
    return {
        "inbound": session.scalar(select(func.count()).select_from(InboundMail)),
        "events": session.scalar(select(func.count()).select_from(MessageEvent)),
        "suppressions": session.scalar(select(func.count()).select_from(Suppression)),
    }


def _fill_acceptance_box(imap_server: ImapServer, settings: Settings, sent) -> None:
    m = sent.messages
    imap_server.append(
        readdressed("dsn-postfix.eml", settings, m[EMAILS[0]], EMAILS[0],
                    fake_recipient="nobody.here@example.net"),
        readdressed("reply-en-quoted.eml", settings, m[EMAILS[1]]),
        readdressed("auto-en-oof.eml", settings, m[EMAILS[2]]),
        readdressed("unsub-mailto.eml", settings, m[EMAILS[3]]),
    )


def test_one_poll_sorts_bounce_reply_auto_reply_and_unsubscribe(
        imap_server: ImapServer, settings: Settings, sessions, run_cli) -> None:
    with sessions() as session:
        sent = make_sent_alert(session, settings, EMAILS)
    _fill_acceptance_box(imap_server, settings, sent)

    out = run_cli("poll").output
    assert "4 recorded" in out and "bounce: 1" in out and "reply: 1" in out, out

    with sessions() as session:
        by_email = {c.email: c for c in session.scalars(select(Contact))}
        bounced = session.get(Message, sent.messages[EMAILS[0]])
        assert bounced.status == "bounced"
        assert by_email[EMAILS[0]].status == "bounced"
        assert by_email[EMAILS[1]].status == "active"
        assert by_email[EMAILS[3]].status == "unsubscribed"
        reasons = {s.address_hash: (s.reason, s.channel) for s in session.scalars(
            select(Suppression))}
        assert reasons == {by_email[EMAILS[0]].email_hash: ("bounced", "bounce"),
                           by_email[EMAILS[3]].email_hash: ("unsubscribed", "mailto")}
        kinds = {mail.contact_id: mail.kind for mail in session.scalars(select(InboundMail))}
        assert kinds == {sent.contacts[EMAILS[0]]: "bounce", sent.contacts[EMAILS[1]]: "reply",
                         sent.contacts[EMAILS[2]]: "auto_reply",
                         sent.contacts[EMAILS[3]]: "unsubscribe"}
        before = _counts(session)

    replies = json.loads(run_cli("replies", str(sent.alert_id), "--json").stdout)
    assert [r["kind"] for r in replies] == ["reply"]  # the auto-reply is left out
    reply = replies[0]
    assert reply["text"].startswith("Thanks for the alert. Could we interview your lawyer")
    assert "wrote:" not in reply["text"] and "detained" not in reply["text"]
    assert reply["outlet"]["name"] == sent.outlet_name
    assert reply["contact"]["email"] == EMAILS[1]
    assert reply["alert"]["id"] == sent.alert_id
    table = run_cli("replies", str(sent.alert_id)).output
    assert sent.outlet_name in table and "Could we interview your lawyer" in table
    with_auto = json.loads(run_cli("replies", "--all", "--json").stdout)
    assert sorted(r["kind"] for r in with_auto) == ["auto_reply", "reply", "unsubscribe"]

    second = run_cli("poll").output
    assert "0 message(s) read" in second
    with sessions() as session:
        assert _counts(session) == before

    # Even if the flags were lost, re-reading everything records nothing twice.
    with imap_server.client() as client:
        client.select_folder("INBOX")
        client.remove_flags(client.search("ALL"), ["$OutreachDone"])
    third = run_cli("poll", "--json").stdout
    assert json.loads(third)["duplicates"] == 4
    with sessions() as session:
        assert _counts(session) == before


def test_unmatched_and_mangled_mail_is_kept_and_listed(
        imap_server: ImapServer, settings: Settings, sessions, run_cli) -> None:
    with sessions() as session:
        make_sent_alert(session, settings, EMAILS)
    imap_server.append((DATA_STRANGER), readdressed("mangled.eml", settings, None))
    report = json.loads(run_cli("poll", "--json").stdout)
    assert report["recorded"] == {"unmatched": 1, "unparseable": 1}
    assert report["unparseable"], report
    rows = json.loads(run_cli("inbound", "unmatched", "--json").stdout)
    assert sorted(r["kind"] for r in rows) == ["unmatched", "unparseable"]
    assert "stranger@example.com" in run_cli("inbound", "unmatched").output
    assert imap_server.count() == 2  # both still in the mailbox


DATA_STRANGER = (b"From: Stranger <stranger@example.com>\r\nTo: press@example.org\r\n"
                 b"Subject: Hello\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\n"
                 b"Message-ID: <stranger-1@example.com>\r\n\r\nWho are you?\r\n")


def test_matching_by_references_and_by_sender(
        imap_server: ImapServer, settings: Settings, sessions) -> None:
    with sessions() as session:
        sent = make_sent_alert(session, settings, EMAILS)
        header = session.get(Message, sent.messages[EMAILS[1]]).message_id_header
    by_refs = (f"From: Anna <{EMAILS[1]}>\r\nTo: press@example.org\r\nSubject: Re: Urgent\r\n"
               f"Message-ID: <r1@example.net>\r\nIn-Reply-To: {header}\r\n\r\nCall me.\r\n")
    by_sender = (f"From: Harry <{EMAILS[2]}>\r\nTo: press@example.org\r\nSubject: Story\r\n"
                 f"Message-ID: <r2@example.com>\r\n\r\nDo you have photos?\r\n")
    imap_server.append(by_refs.encode(), by_sender.encode())
    report = poll_mailbox(_ctx(settings))
    assert report.recorded == {"reply": 2}
    with sessions() as session:
        methods = {m.sender: (m.match_method, m.message_id) for m in
                   session.scalars(select(InboundMail))}
    assert methods == {EMAILS[1]: ("references", sent.messages[EMAILS[1]]),
                       EMAILS[2]: ("sender", sent.messages[EMAILS[2]])}


def test_soft_bounces_suppress_after_the_configured_number_in_a_row(
        imap_server: ImapServer, db_url: str, sessions) -> None:
    settings = make_test_settings(database_url=db_url, imap_url=imap_server.url,
                                  soft_bounce_limit=2)
    address = "full.box@example.net"
    with sessions() as session:
        first = make_sent_alert(session, settings, [address], title="First")
        second = make_sent_alert(session, settings, [address], title="Second")
    imap_server.append(readdressed("dsn-exim-mailbox-full.eml", settings,
                                   first.messages[address]))
    assert poll_mailbox(_ctx(settings)).suppressed == 0
    raw = readdressed("dsn-exim-mailbox-full.eml", settings, second.messages[address])
    imap_server.append(raw.replace(b"E1tFq9z-000XyZ-1A", b"E1tFq9z-000XyZ-2B"))
    report = poll_mailbox(_ctx(settings))
    assert report.recorded == {"soft_bounce": 1} and report.suppressed == 1
    with sessions() as session:
        assert session.scalars(select(Contact)).one().status == "bounced"
        assert session.get(Message, second.messages[address]).status == "sent"


def test_poll_dying_between_commit_and_flag_loses_nothing_and_doubles_nothing(
        imap_server: ImapServer, settings: Settings, sessions,
        monkeypatch: pytest.MonkeyPatch) -> None:
    with sessions() as session:
        sent = make_sent_alert(session, settings, EMAILS)
    _fill_acceptance_box(imap_server, settings, sent)
    real = poll_module.process_one
    calls = {"n": 0}

    def dies_after_two(*args, **kwargs):
        if calls["n"] == 2:
            raise KeyboardInterrupt("worker killed")  # not an Exception: nothing catches it
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(poll_module, "process_one", dies_after_two)
    with pytest.raises(KeyboardInterrupt):
        poll_mailbox(_ctx(settings))
    monkeypatch.setattr(poll_module, "process_one", real)
    assert imap_server.count(criteria=["KEYWORD", "$OutreachDone"]) == 0  # died before flagging
    with sessions() as session:
        assert _counts(session)["inbound"] == 2

    report = poll_mailbox(_ctx(settings))
    assert report.duplicates == 2 and sum(report.recorded.values()) == 2
    with sessions() as session:
        counts = _counts(session)
        assert counts["inbound"] == 4 and counts["suppressions"] == 2
        assert counts["events"] == 4  # one per matched mail: none recorded twice
    assert imap_server.count(criteria=["NOT", "KEYWORD", "$OutreachDone"]) == 0


def test_killed_poll_subprocess_loses_nothing_and_records_nothing_twice(
        imap_server: ImapServer, settings: Settings, sessions) -> None:
    total = 240
    stranger = DATA_STRANGER.decode()
    imap_server.append(*(stranger.replace("stranger-1@", f"stranger-{i}@").encode()
                         for i in range(total)))
    env = {**os.environ, **settings_env(settings), "OUTREACH_IMAP_CHUNK": "10"}
    proc = subprocess.Popen([sys.executable, "-c", "from outreach.cli import main; main()",
                             "poll"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    recorded = 0
    while time.monotonic() < deadline and proc.poll() is None:
        with sessions() as session:
            recorded = _counts(session)["inbound"]
        if recorded >= 15:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert recorded > 0, "the subprocess recorded nothing before the kill"

    poll_mailbox(_ctx(settings))
    with sessions() as session:
        assert _counts(session)["inbound"] == total
        assert session.scalar(select(func.count(func.distinct(InboundMail.external_id)))) == total
    assert imap_server.count(criteria=["NOT", "KEYWORD", "$OutreachDone"]) == 0


def test_move_mode_moves_processed_mail_to_a_folder(
        imap_server: ImapServer, db_url: str, sessions) -> None:
    settings = make_test_settings(database_url=db_url, imap_url=imap_server.url,
                                  imap_processed="move:Processed")
    imap_server.append(DATA_STRANGER)
    assert poll_mailbox(_ctx(settings)).recorded == {"unmatched": 1}
    assert imap_server.count() == 0 and imap_server.count("Processed") == 1


def test_move_mode_without_the_move_extension(
        imap_server: ImapServer, db_url: str, sessions, monkeypatch: pytest.MonkeyPatch) -> None:
    from imapclient import IMAPClient

    real = IMAPClient.has_capability
    monkeypatch.setattr(IMAPClient, "has_capability",
                        lambda self, cap: False if cap.upper() == "MOVE" else real(self, cap))
    settings = make_test_settings(database_url=db_url, imap_url=imap_server.url,
                                  imap_processed="move:Done")
    imap_server.append(DATA_STRANGER, DATA_STRANGER.replace(b"stranger-1@", b"stranger-2@"))
    assert poll_mailbox(_ctx(settings)).recorded == {"unmatched": 2}
    assert imap_server.count() == 0 and imap_server.count("Done") == 2


def _ctx(settings: Settings):
    from outreach.context import AppContext

    return AppContext(settings)
