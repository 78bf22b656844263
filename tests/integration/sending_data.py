"""Test data for the sending tests: many contacts in one statement, and the example alert."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from outreach.alerts.create import create_alert
from outreach.config import Settings
from outreach.contacts.addresses import address_hash
from outreach.db.models import Alert, Contact, Message

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def address(i: int, domain: str = "example.org") -> str:
    return f"person{i:06d}@{domain}"


def add_contacts(session: Session, n: int, *, start: int = 0, languages: tuple[str, ...] = ("en",),
                 domain: str = "example.org") -> list[str]:
    """Insert `n` contacts (one statement) and return their addresses."""
    emails = [address(i, domain) for i in range(start, start + n)]
    rows = [{"email": e, "email_hash": address_hash(e), "first_name": f"P{i}",
             "type": "journalist", "language": languages[i % len(languages)],
             "attributes": {}, "status": "active"} for i, e in enumerate(emails)]
    for chunk in range(0, len(rows), 5000):
        session.execute(insert(Contact), rows[chunk:chunk + 5000])
    session.commit()
    return emails


def make_alert(session: Session, settings: Settings, *, variants: bool = False) -> Alert:
    extra = ({"ru": EXAMPLES / "alert.ru.md", "hu": EXAMPLES / "alert.hu.md"}
             if variants else None)
    alert = create_alert(session, settings, EXAMPLES / "alert.md", variants=extra)
    session.commit()
    return alert


def contact(session: Session, email: str) -> Contact:
    found = session.scalar(select(Contact).where(Contact.email == email))
    assert found is not None
    return found


def message_rows(session: Session, alert_id: int) -> list[Message]:
    session.expire_all()
    return list(session.scalars(select(Message).where(Message.alert_id == alert_id)
                                .order_by(Message.id)))
