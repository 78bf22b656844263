"""List hygiene: contacts the last alerts did not reach, flagged `stale`.

A list goes stale quietly: people change jobs, mailboxes fill up and are abandoned, and the
hard bounces that would suppress an address never come from a mailbox that soft-bounces or
times out. Mailing such addresses again and again is what providers read as a careless
sender. So a contact is *stale* when, since its last clean delivery (accepted and not
soft-bounced afterwards),
- `STALE_SOFT_BOUNCES` messages soft-bounced (mailbox full, over quota, ...), or
- `STALE_UNREACHED` messages in a row did not reach it (bounced, given up, soft-bounced).
One clean delivery clears the flag. It is computed in SQL (segment filter `status=stale`),
so it never goes out of date and needs no job to maintain it.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from outreach.db.models import Contact, InboundMail, Message

STALE_SOFT_BOUNCES = 2
STALE_UNREACHED = 3


def stale_clause() -> ColumnElement[bool]:
    """SQL on `Contact`: the contact is stale (correlated subqueries, per contact)."""
    clean, later = aliased(Message), aliased(Message)
    soft = aliased(InboundMail)
    last_clean = (select(func.max(clean.id))
                  .where(clean.contact_id == Contact.id, clean.status == "sent",
                         ~_soft_bounced(clean.id))
                  .correlate(Contact).scalar_subquery())  # nested twice: say it explicitly
    after = func.coalesce(last_clean, 0)
    soft_bounces = (select(func.count(func.distinct(soft.message_id)))
                    .where(soft.contact_id == Contact.id, soft.kind == "soft_bounce",
                           soft.message_id > after)
                    .correlate(Contact).scalar_subquery())
    unreached = (select(func.count()).select_from(later)
                 .where(later.contact_id == Contact.id, later.id > after,
                        or_(later.status.in_(("bounced", "failed")),
                            and_(later.status == "sent", _soft_bounced(later.id))))
                 .correlate(Contact).scalar_subquery())
    return or_(soft_bounces >= STALE_SOFT_BOUNCES, unreached >= STALE_UNREACHED)


def _soft_bounced(message_id: ColumnElement[int]) -> ColumnElement[bool]:
    mail = aliased(InboundMail)
    return exists().where(mail.message_id == message_id, mail.kind == "soft_bounce")


def stale_count(session: Session, where: ColumnElement[bool]) -> int:
    """How many contacts matching `where` (a segment clause) are stale."""
    return session.scalar(select(func.count()).select_from(Contact)
                          .where(where, stale_clause())) or 0


def stale_in_alert(session: Session, alert_id: int) -> int:
    """How many of an alert's recipients are stale: for the launch summary."""
    recipients = select(Message.contact_id).where(Message.alert_id == alert_id)
    return stale_count(session, Contact.id.in_(recipients))
