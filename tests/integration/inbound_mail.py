"""Inbound mail built from a message our sending engine really sent (as the sink received it):
a Postfix DSN to its return path, a quoting reply to its Reply-To, an out-of-office to its
return path, a mailto unsubscribe to its List-Unsubscribe address."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from tests.fixtures.smtp import ReceivedMessage

ORIGINAL_HEADERS = ("From", "Reply-To", "To", "Subject", "Message-ID", "Date", "List-Unsubscribe")


def _original(sent: ReceivedMessage) -> EmailMessage:
    return email.message_from_bytes(sent.data, policy=policy.default)  # type: ignore[return-value]


def _plain(original: EmailMessage) -> str:
    part = original.get_body(("plain",))
    return part.get_content() if part is not None else ""  # type: ignore[union-attr]


def _base(frm: str, to: str, subject: str) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = frm, to, subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="mail.example.net")
    msg["Delivered-To"] = to
    return msg


def dsn(sent: ReceivedMessage) -> bytes:
    """What Postfix sends back to the envelope sender when the recipient does not exist."""
    original, rcpt = _original(sent), sent.rcpt_tos[0]
    quoted = "".join(f"{h}: {original[h]}\r\n" for h in ORIGINAL_HEADERS if original[h])
    return (
        f"Return-Path: <>\r\nDelivered-To: {sent.mail_from}\r\n"
        f"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n"
        f"To: {sent.mail_from}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {formatdate()}\r\nMessage-ID: {make_msgid(domain='mx.example.net')}\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\n"
        f"<{rcpt}>: host mx.example.net said: 550 5.1.1 <{rcpt}>: User unknown\r\n\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {rcpt}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: User unknown\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n{quoted}\r\n--B--\r\n"
    ).encode()


def quoting_reply(sent: ReceivedMessage, new_text: str) -> bytes:
    original = _original(sent)
    msg = _base(sent.rcpt_tos[0], str(original["Reply-To"]), f"Re: {original['Subject']}")
    msg["In-Reply-To"] = msg["References"] = str(original["Message-ID"])
    quoted = "\n".join(f"> {line}" for line in _plain(original).splitlines())
    msg.set_content(f"{new_text}\n\nOn Wed, 25 Nov 2026 at 10:02, {original['From']} wrote:\n"
                    f"{quoted}\n")
    return bytes(msg)


def out_of_office(sent: ReceivedMessage) -> bytes:
    original = _original(sent)
    msg = _base(sent.rcpt_tos[0], sent.mail_from, f"Out of Office: {original['Subject']}")
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content("I am out of the office until Monday and will not read my email.\n")
    return bytes(msg)


def mailto_unsubscribe(sent: ReceivedMessage) -> bytes:
    original = _original(sent)
    mailto = re.search(r"<mailto:([^>?]+)", str(original["List-Unsubscribe"]))
    assert mailto, original["List-Unsubscribe"]
    msg = _base(sent.rcpt_tos[0], mailto.group(1), "unsubscribe")
    msg.set_content("")
    return bytes(msg)
