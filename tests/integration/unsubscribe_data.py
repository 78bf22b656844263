"""Rows for the unsubscribe tests: an alert with en/ru/hu variants and messages to contacts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach.contacts.addresses import address_hash
from outreach.db.models import Alert, AlertVariant, Contact, ContactEvent, Message, Suppression


def make_alert(session: Session, languages: tuple[str, ...] = ("en", "ru", "hu")) -> Alert:
    alert = Alert(title="Journalist detained at the border", default_language="en", state="done")
    for lang in languages:
        alert.variants.append(AlertVariant(
            language=lang, source_markdown="# Alert", subject_template="Alert",
            html_template="<p>Alert</p>", text_template="Alert",
            from_address="Example Rights Foundation <press@example.org>",
        ))
    session.add(alert)
    session.flush()
    return alert


def make_contact(session: Session, email: str, language: str | None = "en") -> Contact:
    contact = Contact(email=email, email_hash=address_hash(email), language=language,
                      type="journalist")
    session.add(contact)
    session.flush()
    return contact


def make_message(session: Session, alert: Alert, contact: Contact, status: str = "sent") -> Message:
    message = Message(alert_id=alert.id, contact_id=contact.id, status=status)
    session.add(message)
    session.flush()
    return message


def seed(session: Session, email: str = "anna@example.org", language: str | None = "en",
         ) -> tuple[int, int, int]:
    """(alert id, contact id, message id), committed."""
    alert = make_alert(session)
    contact = make_contact(session, email, language)
    message = make_message(session, alert, contact)
    session.commit()
    return alert.id, contact.id, message.id


# Read helpers end their transaction: SQLite takes its write lock at BEGIN (see outreach.db),
# so a test session left open would block the server under test.

def suppression_count(session: Session) -> int:
    count = session.scalar(select(func.count()).select_from(Suppression)) or 0
    session.commit()
    return count


def events(session: Session, contact_id: int) -> list[ContactEvent]:
    session.expire_all()
    query = select(ContactEvent).where(ContactEvent.contact_id == contact_id)
    rows = list(session.scalars(query.order_by(ContactEvent.id)))
    session.commit()
    return rows


def contact_state(session: Session, contact_id: int) -> tuple[bool, str]:
    """(suppressed?, contact status), read fresh."""
    session.expire_all()
    contact = session.get(Contact, contact_id)
    assert contact is not None
    suppressed = session.scalar(select(Suppression.id).where(
        Suppression.address_hash == contact.email_hash)) is not None
    status = contact.status
    session.commit()
    return suppressed, status
