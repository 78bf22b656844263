"""Point 13: one hostile inbound message costs bounded work, whatever its size.

A 5 MB body of `> x` lines used to cost about 46 s of CPU inside the poll (flufl.bounce's
detectors and the reply-quote parser walk every line). Now classification reads a bounded
prefix: spies on the two expensive libraries record how much they were given, and the test
asserts those sizes, not a time (the CPU time is printed for the record). Real Dovecot, real
`outreach poll`, both backends.
"""

from __future__ import annotations

import json
import time
from email.message import Message

import pytest
from sqlalchemy import select

from outreach.config import Settings
from outreach.db.models import InboundMail
from outreach.db.models import Message as MessageRow
from outreach.inbound import bounces, replytext
from tests.fixtures.db import make_test_settings
from tests.fixtures.imap import ImapServer
from tests.integration.inbound_rows import make_sent_alert

pytestmark = pytest.mark.integration
BODY_BYTES = 5 * 1024 * 1024
MAX_GIVEN = 64 * 1024  # what either library may be handed, in characters


@pytest.fixture
def settings(db_url: str, imap_server: ImapServer) -> Settings:
    return make_test_settings(database_url=db_url, imap_url=imap_server.url)


def _payload_chars(msg: Message) -> int:
    return sum(len(str(part.get_payload())) for part in msg.walk() if not part.is_multipart())


def hostile(sender: str, header: str, plain: bool) -> bytes:
    lines = "> x\r\n" * (BODY_BYTES // 5)
    ctype = "text/plain; charset=utf-8" if plain else "text/plain"  # no charset: detection
    return (f"From: <{sender}>\r\nTo: press@example.org\r\nSubject: Re: Urgent\r\n"
            f"Message-ID: <huge-{int(plain)}@example.net>\r\nIn-Reply-To: {header}\r\n"
            f"Content-Type: {ctype}\r\n\r\nThanks, see below.\r\n{lines}").encode()


def test_a_5_mb_hostile_body_is_classified_on_a_bounded_prefix(
        imap_server: ImapServer, settings: Settings, sessions, run_cli,
        monkeypatch: pytest.MonkeyPatch) -> None:
    with sessions() as session:
        sent = make_sent_alert(session, settings, ["big.sender@example.net"])
        header = session.get(MessageRow, sent.messages["big.sender@example.net"]
                             ).message_id_header
    imap_server.append(hostile("big.sender@example.net", header, True),
                       hostile("big.sender@example.net", header, False))

    given: dict[str, list[int]] = {"flufl": [], "reply_parser": []}
    real_failures, real_parse = bounces.all_failures, replytext._PARSER.parse_reply

    def spy_failures(msg):
        given["flufl"].append(_payload_chars(msg))
        return real_failures(msg)

    def spy_parse(text, *args, **kwargs):
        given["reply_parser"].append(len(text))
        return real_parse(text, *args, **kwargs)

    monkeypatch.setattr(bounces, "all_failures", spy_failures)
    monkeypatch.setattr(replytext._PARSER, "parse_reply", spy_parse)
    started = time.process_time()
    report = json.loads(run_cli("poll", "--json").stdout)
    cpu = time.process_time() - started
    print(f"\npoll of 2 messages of {BODY_BYTES >> 20} MB: {cpu:.2f} s CPU; "
          f"given to flufl.bounce {given['flufl']}, to the reply parser {given['reply_parser']}")
    assert report["recorded"] == {"reply": 2}, report
    assert given["flufl"] and given["reply_parser"], given
    assert max(given["flufl"]) <= MAX_GIVEN and max(given["reply_parser"]) <= MAX_GIVEN, given
    with sessions() as session:
        texts = list(session.scalars(select(InboundMail.text)))
        assert all(t.startswith("Thanks, see below.") for t in texts)
