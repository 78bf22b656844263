"""Rows and mail for the inbound tests: an alert already sent to a few contacts of one outlet,
and the fixture .eml files re-addressed to those messages' real tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from outreach.config import Settings
from outreach.contacts.addresses import address_hash
from outreach.db.models import Alert, AlertVariant, Contact, Message, Outlet, utcnow
from outreach.mail.tokens import message_token

DATA = Path(__file__).resolve().parents[1] / "data" / "inbound"
LINKS = ["https://news.example.org/statement", "https://example.com/photos?id=7&lang=en"]


@dataclass
class Sent:
    alert_id: int
    outlet_name: str
    messages: dict[str, int]  # contact email -> message id
    contacts: dict[str, int]  # contact email -> contact id


def make_sent_alert(session: Session, settings: Settings, emails: list[str], *,
                    track: bool = False, title: str = "Journalist detained at the border",
                    outlet_name: str = "Example Daily", sent_ago: timedelta = timedelta(minutes=5),
                    ) -> Sent:
    outlet = session.query(Outlet).filter_by(name_key=outlet_name.lower()).one_or_none()
    if outlet is None:
        outlet = Outlet(name=outlet_name, name_key=outlet_name.lower(), country="HU")
        session.add(outlet)
    alert = Alert(title=title, state="done", track_opens=track, track_clicks=track)
    session.add(alert)
    session.flush()
    variant = AlertVariant(
        alert_id=alert.id, language="en", source_markdown="# Alert", subject_template="Urgent",
        html_template="<p>x</p>", text_template="x", from_address=settings.from_address,
        links=list(LINKS),
    )
    session.add(variant)
    session.flush()
    sent = Sent(alert.id, outlet_name, {}, {})
    for email in emails:
        contact = session.query(Contact).filter_by(email=email).one_or_none()
        if contact is None:
            contact = Contact(email=email, email_hash=address_hash(email), outlet_id=outlet.id,
                              name=email.split("@")[0].replace(".", " ").title(), language="en")
            session.add(contact)
            session.flush()
        message = Message(alert_id=alert.id, contact_id=contact.id, variant_id=variant.id,
                          status="sent", attempts=1, sent_at=utcnow() - sent_ago)
        session.add(message)
        session.flush()
        message.message_id_header = f"<{token(settings, message.id)}@{settings.sender_domain}>"
        sent.messages[email], sent.contacts[email] = message.id, contact.id
    session.commit()
    return sent


def token(settings: Settings, message_id: int) -> str:
    return message_token(settings.secret_key, message_id)


def readdressed(name: str, settings: Settings, message_id: int | None,
                recipient: str | None = None, fake_token: str | None = None,
                fake_recipient: str | None = None) -> bytes:
    """A fixture file with its placeholder token (`NN-abcdefghijkl`) and recipient replaced."""
    raw = (DATA / name).read_bytes()
    if message_id is not None:
        fake = fake_token or _fake_token(raw)
        raw = raw.replace(fake.encode(), token(settings, message_id).encode())
    if recipient and fake_recipient:
        raw = raw.replace(fake_recipient.encode(), recipient.encode())
    return raw


def _fake_token(raw: bytes) -> str:
    match = re.search(rb"\b(\d+-abcdefghijkl)\b", raw)
    assert match, "fixture has no placeholder token"
    return match.group(1).decode()
