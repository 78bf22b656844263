"""Follow-ups: a new alert aimed only at the contacts of an earlier one that did not reply
(or were not reached), threaded to the message each of them received.

The target cannot be expressed as a `Segment`, so it is stored on the follow-up alert as
`segment["follow_up"] = {"of": ID, "not_replied": bool, "not_reached": bool}`. The sending
engine's `create_blast` calls two hooks from here when `alert.follow_up_of` is set:
`follow_up_clause(alert)` narrows the contacts to insert, and `thread_follow_up(session,
alert)` copies each original Message-ID into the new message's `in_reply_to` (one UPDATE).
Claim and send stay the sending engine's; the composer turns `in_reply_to` into
`In-Reply-To`/`References` headers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session, aliased, object_session

from outreach.alerts.repository import get_alert
from outreach.alerts.source import AlertSource
from outreach.config import Settings
from outreach.contacts.addresses import email_domain
from outreach.contacts.suppression import not_suppressed
from outreach.db.models import Alert, Contact, InboundMail, Message
from outreach.db.models.inbound import tied_to_our_message
from outreach.errors import UserError


@dataclass(frozen=True)
class FollowUpTarget:
    """`by_outlet`: also require that the contact's whole outlet (or, without an outlet, its
    email domain) did not reply / was not reached: one answer from a newsroom is enough."""

    of: int
    not_replied: bool
    not_reached: bool
    by_outlet: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"of": self.of, "not_replied": self.not_replied, "not_reached": self.not_reached,
                "by_outlet": self.by_outlet}

    @classmethod
    def of_alert(cls, alert: Alert) -> FollowUpTarget | None:
        data = (alert.segment or {}).get("follow_up")
        if alert.follow_up_of is None or not isinstance(data, dict):
            return None
        return cls(of=alert.follow_up_of, not_replied=bool(data.get("not_replied")),
                   not_reached=bool(data.get("not_reached")),
                   by_outlet=bool(data.get("by_outlet")))


def _has_inbound(message: Any, kind: str) -> ColumnElement[bool]:
    return exists().where(InboundMail.message_id == message.id, InboundMail.kind == kind,
                          tied_to_our_message())


def _reached(message: Any) -> ColumnElement[bool]:
    return and_(message.status == "sent", not_(_has_inbound(message, "bounce")))


def _replied(message: Any) -> ColumnElement[bool]:
    return _has_inbound(message, "reply")


def _group_has(target: FollowUpTarget, dialect: str, test: Callable[[Any], Any]
               ) -> ColumnElement[bool]:
    """Some original message to the contact's outlet (or email domain) passes `test`.

    The outlets and domains that pass are two uncorrelated subqueries, computed once per
    statement, not once per contact."""
    other, peer = aliased(Message), aliased(Contact)
    passing = (select(peer.outlet_id).select_from(other).join(peer, peer.id == other.contact_id)
               .where(other.alert_id == target.of, test(other)))
    outlets = passing.where(peer.outlet_id.is_not(None))
    domains = passing.with_only_columns(email_domain(peer.email, dialect)).where(
        peer.outlet_id.is_(None))
    return or_(and_(Contact.outlet_id.is_not(None), Contact.outlet_id.in_(outlets)),
               and_(Contact.outlet_id.is_(None),
                    email_domain(Contact.email, dialect).in_(domains)))


def _original_condition(target: FollowUpTarget, original: Any, dialect: str
                        ) -> ColumnElement[bool]:
    """On an aliased original Message: did this contact fall in the follow-up's target?"""
    wanted = []
    if target.not_replied:
        wanted.append(and_(_reached(original), not_(_replied(original)),
                           not_(_group_has(target, dialect, _replied))
                           if target.by_outlet else true()))
    if target.not_reached:
        wanted.append(and_(not_(_reached(original)),
                           not_(_group_has(target, dialect, _reached))
                           if target.by_outlet else true()))
    return or_(false(), *wanted)


def target_clause(target: FollowUpTarget, dialect: str = "sqlite") -> ColumnElement[bool]:
    original = aliased(Message)
    return exists().where(original.alert_id == target.of, original.contact_id == Contact.id,
                          _original_condition(target, original, dialect))


def follow_up_clause(alert: Alert) -> ColumnElement[bool]:
    """SQL on Contact for `create_blast`: only the follow-up's target (all contacts if none).

    An alert with `follow_up_of` but no stored target (made by `alert create` directly)
    aims at the original's recipients that did not reply, the safest reading.
    """
    target = FollowUpTarget.of_alert(alert)
    if target is None and alert.follow_up_of is not None:
        target = FollowUpTarget(alert.follow_up_of, not_replied=True, not_reached=False)
    if target is None:
        return true()
    session = object_session(alert)
    return target_clause(target, _dialect(session) if session else "sqlite")


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def thread_follow_up(session: Session, alert: Alert) -> int:
    """Set each new message's in_reply_to to the Message-ID its contact got from the original."""
    if alert.follow_up_of is None:
        return 0
    original = aliased(Message)
    header = (select(original.message_id_header)
              .where(original.alert_id == alert.follow_up_of,
                     original.contact_id == Message.contact_id)
              .scalar_subquery())
    stmt = (update(Message).where(Message.alert_id == alert.id, Message.in_reply_to.is_(None))
            .values(in_reply_to=header).execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount or 0


def count_targets(session: Session, target: FollowUpTarget) -> int:
    """How many contacts a blast of the follow-up would reach now (minus suppressed)."""
    query = (select(func.count()).select_from(Contact)
             .where(target_clause(target, _dialect(session)), Contact.email.is_not(None),
                    not_suppressed()))
    return session.scalar(query) or 0


def create_follow_up(session: Session, settings: Settings, original_id: int,
                     source: Path | list[AlertSource], *, not_replied: bool, not_reached: bool,
                     by_outlet: bool = False, variants: dict[str, Path] | None = None,
                     created_by: str | None = None) -> tuple[Alert, int]:
    """A draft alert for the original's non-responders; returns it and its target count.

    `source` is the main file (with `variants`, other languages' files), or the console's
    sources, default language first."""
    from outreach.alerts.create import create_alert, create_from_sources

    original = get_alert(session, original_id)
    if not (not_replied or not_reached):
        not_replied = True
    if not session.scalar(select(func.count()).select_from(Message)
                          .where(Message.alert_id == original_id)):
        raise UserError(f"ALERT_ID {original_id}: that alert was never sent, nothing to follow up")
    target = FollowUpTarget(original_id, not_replied=not_replied, not_reached=not_reached,
                            by_outlet=by_outlet)
    tracking = {"track_opens": original.track_opens, "track_clicks": original.track_clicks,
                "follow_up_of": original_id, "created_by": created_by}
    alert = (create_alert(session, settings, source, variants=variants, **tracking)
             if isinstance(source, Path)
             else create_from_sources(session, settings, source, **tracking))
    alert.segment = {"where": [], "tags": [], "follow_up": target.to_json()}
    session.flush()
    return alert, count_targets(session, target)
