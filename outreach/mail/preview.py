"""Preview and test copies: the real composer, for a sample or a chosen contact, no Message row.

A preview or test copy uses message id 0 (`outreach.mail.compose.TEST_MESSAGE_ID`): its token and
signed links are well-formed, but they name no message, so anything coming back from such a
copy (reply, bounce, unsubscribe click) matches nothing and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from outreach.alerts.repository import pick_variant
from outreach.config import Settings
from outreach.db.models import Alert, Contact
from outreach.mail.compose import TEST_MESSAGE_ID, ComposedMail, compose


@dataclass(frozen=True)
class _Outlet:
    name: str


@dataclass
class StandIn:
    """A contact that is not in the database: the sample, or a real one re-addressed for a test."""

    email: str
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    role: str | None = None
    outlet: _Outlet | None = None
    type: str = "journalist"
    country: str | None = None
    language: str | None = None
    tags: list[str] = field(default_factory=list)
    beats: list[str] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    id: int = 0


def sample_contact(language: str | None = None) -> StandIn:
    return StandIn(email="sample.journalist@example.net", first_name="Sam", last_name="Sample",
                   role="Reporter", outlet=_Outlet("Example Daily"), country="HU",
                   language=language, tags=["press"], beats=["human rights"])


def readdressed(contact: Contact | StandIn, email: str) -> StandIn:
    """A stand-in with the contact's fields and another address (for `alert test --to`)."""
    outlet = contact.outlet.name if contact.outlet is not None else None
    return StandIn(email=email, first_name=contact.first_name, last_name=contact.last_name,
                   name=contact.name, role=contact.role,
                   outlet=_Outlet(outlet) if outlet else None, type=contact.type,
                   country=contact.country, language=contact.language, tags=list(contact.tags),
                   beats=list(contact.beats), attributes=dict(contact.attributes or {}))


def compose_copy(alert: Alert, contact: Contact | StandIn, settings: Settings, *,
                 test: bool = False) -> ComposedMail:
    """What a real send would produce for `contact`, under message id 0."""
    real = cast(Contact, contact)
    return compose(pick_variant(alert, real), alert, real, TEST_MESSAGE_ID, settings, test=test)


def parts(mail: ComposedMail) -> tuple[EmailMessage, str, str]:
    """The parsed message, its text part and its HTML part."""
    msg = cast(EmailMessage, message_from_bytes(mail.data, policy=policy.default))
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    return (msg, text.get_content() if text else "",  # type: ignore[union-attr]
            html.get_content() if html else "")  # type: ignore[union-attr]
