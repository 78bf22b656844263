"""The IMAP adapter verifies certificates; a private CA only via OUTREACH_IMAP_CA_FILE."""

from __future__ import annotations

import pytest

from outreach.errors import UserError
from outreach.inbound.imap import Mailbox, parse_imap_url
from tests.fixtures.imap import ImapServer

pytestmark = pytest.mark.integration


def test_imaps_with_the_servers_ca_works(imaps_server: ImapServer) -> None:
    imaps_server.append(b"From: a@example.org\r\nSubject: hi\r\nMessage-ID: <t1@example.org>\r\n"
                        b"\r\nbody\r\n")
    config = parse_imap_url(imaps_server.url, ca_file=str(imaps_server.ca_file))
    with Mailbox(config) as box:
        uids = box.unprocessed()
        assert len(uids) == 1
        [(uid, raw)] = list(box.fetch(uids))
        assert b"Message-ID: <t1@example.org>" in raw
        box.mark_done([uid])
        assert box.unprocessed() == []


def test_an_unverifiable_certificate_is_refused(imaps_server: ImapServer) -> None:
    config = parse_imap_url(imaps_server.url)
    with pytest.raises(UserError, match=r"(?i)certificate[_ ]verify[_ ]failed"), Mailbox(config):
        pass


def test_a_wrong_password_is_one_line(imap_server: ImapServer) -> None:
    url = imap_server.url.replace(imap_server.password, "wrong")
    with pytest.raises(UserError, match="OUTREACH_IMAP_URL"), Mailbox(parse_imap_url(url)):
        pass
