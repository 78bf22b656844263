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

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from outreach.db.models import Contact, InboundMail, Message

STALE_SOFT_BOUNCES = 2
STALE_UNREACHED = 3


def stale_clause() -> ColumnElement[bool]:
    """SQL on `Contact`: the contact is stale (correlated subqueries, per contact, evaluated
    only for the few contacts that `_ever_missed`)."""
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
    return and_(Contact.id.in_(_ever_missed()),
                or_(soft_bounces >= STALE_SOFT_BOUNCES, unreached >= STALE_UNREACHED))


def _ever_missed() -> Select[tuple[int]]:
    """Contacts with at least one miss ever: a bounced or failed message, or a soft bounce (of
    theirs, or of a message to them). A stale contact has one, so this only narrows the
    per-contact subqueries down to a short list, found through indexes on the misses, instead
    of running them for every contact of an audience (ten thousand and more at a launch)."""
    soft, soft_of = aliased(InboundMail), aliased(InboundMail)
    missed = aliased(Message)
    return union_all(
        select(missed.contact_id).where(missed.status.in_(("bounced", "failed"))),
        select(soft.contact_id).where(soft.kind == "soft_bounce", soft.contact_id.is_not(None)),
        select(missed.contact_id).join(soft_of, soft_of.message_id == missed.id)
        .where(soft_of.kind == "soft_bounce"),
    )


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
