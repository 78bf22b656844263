"""Applying the guard's rules as outcomes are recorded: pause an alert or one of its domains.

Called right after an SMTP 5xx is recorded (outreach.sending.record.watch_guard) and after a
bounce or complaint is read from the mailbox (outreach.inbound.record), in the caller's
session; the caller commits, so a pause and its audit row are one transaction.

Costs nothing on the hot path: successful sends are never looked at. Each hard bounce or
complaint costs two indexed counts for its alert; each policy rejection one row lock.

Safe under concurrency: the alert is paused by a conditional UPDATE (`state = 'sending'`),
so of several workers judging at once exactly one pauses it and writes the audit row; the
domain row is read FOR UPDATE (PostgreSQL; SQLite serialises writers anyway), so counts from
parallel workers add up. A pause moves no message: the alert's state (or the domain row)
is what the claim reads, so every message stays where it was and goes out after resume.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from outreach.audit import SYSTEM, record
from outreach.config import Settings
from outreach.db.models import Alert, AlertDomainGuard, Contact, InboundMail, Message, MessageEvent
from outreach.db.models.base import utcnow
from outreach.db.models.inbound import tied_to_our_message
from outreach.sending.guard import rules
from outreach.sending.guard.held import held_by_guard
from outreach.sending.guard.rules import Figures, GuardLimits, Trip
from outreach.sending.states import next_alert_state
from outreach.webhooks.events import emit
from outreach.webhooks.payloads import alert_data


@dataclass
class Decision:
    """What the guard did: the alert paused, and/or domains now held back for it."""

    paused_alert: bool = False
    held_domains: set[str] = field(default_factory=set)


def limits_for(session: Session, settings: Settings, alert_id: int) -> GuardLimits:
    overrides = session.scalar(select(Alert.guard).where(Alert.id == alert_id))
    return GuardLimits.from_settings(settings).with_overrides(overrides)


def figures(session: Session, alert_id: int) -> Figures:
    """The alert's totals (two indexed counts)."""
    counts = dict(session.execute(
        select(Message.status, func.count()).where(Message.alert_id == alert_id,
                                                   Message.status.in_(("sent", "bounced")))
        .group_by(Message.status)).all())
    complaints = session.scalar(select(func.count()).select_from(InboundMail).where(
        InboundMail.alert_id == alert_id, InboundMail.kind == "complaint",
        tied_to_our_message())) or 0  # forged reports (sender-only) are no evidence
    sent, bounced = counts.get("sent", 0), counts.get("bounced", 0)
    return Figures(attempts=sent + bounced, hard_bounces=bounced, delivered=sent,
                   complaints=complaints)


def watch_smtp(session: Session, settings: Settings, alert_id: int, message_id: int,
               email: str | None, status: str, code: int, text: str) -> Decision:
    """After a 5xx: a hard bounce is judged for the alert, a policy rejection for its domain."""
    if status == "bounced":
        return Decision(paused_alert=judge_alert(session, settings, alert_id, "hard_bounces"))
    if email and rules.is_policy_rejection(code, text):
        domain = email.rpartition("@")[2].lower()
        return note_policy_rejection(session, settings, alert_id, message_id, domain,
                                     {"email": email, "code": code, "text": text[:300]})
    return Decision()


def watch_inbound(session: Session, settings: Settings, alert_id: int | None,
                  kind: str) -> bool:
    """After a bounce or complaint read from the mailbox; True when the alert was paused."""
    if alert_id is None or kind not in ("bounce", "complaint"):
        return False
    return judge_alert(session, settings, alert_id,
                       "complaints" if kind == "complaint" else "hard_bounces")


def judge_alert(session: Session, settings: Settings, alert_id: int, rule: str) -> bool:
    """Judge one rule over the window since the last automatic pause; pause if it trips."""
    row = session.execute(select(Alert.state, Alert.guard_state)
                          .where(Alert.id == alert_id)).first()
    if row is None or row.state != "sending":
        return False  # done, paused or cancelled: nothing left to protect
    limits = limits_for(session, settings, alert_id)
    totals = figures(session, alert_id)
    window = totals.since((row.guard_state or {}).get("baseline"))
    judge = rules.hard_bounce_trip if rule == "hard_bounces" else rules.complaint_trip
    trip = judge(window, limits)
    if trip is None:
        return False
    replies = (_bounce_replies if rule == "hard_bounces" else _complaint_replies)(
        session, alert_id)
    return pause_alert(session, alert_id, trip, totals, replies)


def pause_alert(session: Session, alert_id: int, trip: Trip, totals: Figures,
                replies: list[dict[str, Any]]) -> bool:
    """Pause a sending alert with the reason; False if it was not sending (any more)."""
    state = session.scalar(select(Alert.guard_state).where(Alert.id == alert_id)) or {}
    pause = {"reason": trip.reason, "message": trip.message, "figures": trip.figures,
             "replies": replies, "at": utcnow().isoformat(), "totals": totals.to_json()}
    new_state = {**state, "pause": pause, "baseline": totals.to_json(),
                 "pauses": int(state.get("pauses", 0)) + 1}
    done = session.execute(
        update(Alert).where(Alert.id == alert_id, Alert.state == "sending")
        .values(state=next_alert_state("sending", "pause"), guard_state=new_state)
        .execution_options(synchronize_session=False)).rowcount
    if not done:
        return False
    record(session, SYSTEM, "alert.auto_pause", f"alert:{alert_id}", reason=trip.reason,
           message=trip.message, figures=trip.figures, replies=replies)
    alert = session.get(Alert, alert_id, populate_existing=True)
    if alert is not None:  # the webhook, stored with the pause (as control.pause does)
        emit(session, "alert.paused", {**alert_data(alert), "by": "guard",
                                       "reason": trip.reason, "message": trip.message})
    return True


def note_policy_rejection(session: Session, settings: Settings, alert_id: int,
                          message_id: int, domain: str, reply: dict[str, Any]) -> Decision:
    """Count a policy rejection for (alert, domain); pause the domain, maybe the alert."""
    row = _domain_row(session, alert_id, domain)
    if message_id not in row.message_ids:
        row.message_ids = [*row.message_ids, message_id]
        row.rejections = len(row.message_ids)
    row.replies = rules.reply_sample(list(row.replies), {**reply, "at": utcnow().isoformat()})
    row.updated_at = utcnow()
    limits = limits_for(session, settings, alert_id)
    decision = Decision()
    if row.paused_at is None and rules.domain_paused(row.rejections, limits):
        row.paused_at = utcnow()
        record(session, SYSTEM, "alert.auto_pause", f"alert:{alert_id}", reason="policy_domain",
               domain=domain, message=f"{row.rejections} messages to {domain} refused for "
               "policy reasons: that domain is paused, the rest goes on",
               figures={"rejections": row.rejections, "limit": limits.policy_rejections},
               replies=row.replies)
    session.flush()
    if row.paused_at is not None:
        decision.held_domains.add(domain)
        paused = held_domains(session, [alert_id])
        trip = rules.policy_domains_trip(sorted(paused), limits)
        if trip is not None:
            replies = [r for d in _domain_rows(session, alert_id) for r in d.replies][-5:]
            decision.paused_alert = pause_alert(session, alert_id, trip,
                                                figures(session, alert_id), replies)
    return decision


def held_domains(session: Session, alert_ids: list[int] | set[int]) -> set[str]:
    """The domains paused for any of these alerts (one indexed query)."""
    return set(session.scalars(select(AlertDomainGuard.domain).where(
        AlertDomainGuard.alert_id.in_(list(alert_ids)), AlertDomainGuard.paused_at.is_not(None))))


def only_held_left(session: Session, alert_id: int, open_count: int) -> bool:
    """Is every open message of the alert held back by a paused domain? (Then nothing more
    will happen until an organiser resumes: a progress display may stop waiting.)"""
    if open_count == 0 or not held_domains(session, [alert_id]):
        return False
    held = session.scalar(select(func.count()).select_from(Message).where(
        Message.alert_id == alert_id, Message.status.in_(("queued", "deferred")),
        held_by_guard())) or 0
    return held >= open_count


def _domain_rows(session: Session, alert_id: int) -> list[AlertDomainGuard]:
    return list(session.scalars(select(AlertDomainGuard)
                                .where(AlertDomainGuard.alert_id == alert_id)
                                .order_by(AlertDomainGuard.domain)))


def _domain_row(session: Session, alert_id: int, domain: str) -> AlertDomainGuard:
    """The (alert, domain) row, created if missing, locked for this transaction."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(AlertDomainGuard)
                    .values(alert_id=alert_id, domain=domain, rejections=0, message_ids=[],
                            replies=[], updated_at=utcnow())
                    .on_conflict_do_nothing())
    return session.scalars(
        select(AlertDomainGuard).where(AlertDomainGuard.alert_id == alert_id,
                                       AlertDomainGuard.domain == domain)
        .with_for_update().execution_options(populate_existing=True)).one()


def _bounce_replies(session: Session, alert_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Contact.email, MessageEvent.smtp_code, MessageEvent.detail, MessageEvent.at)
        .join(Message, Message.id == MessageEvent.message_id)
        .join(Contact, Contact.id == Message.contact_id)
        .where(Message.alert_id == alert_id, MessageEvent.kind == "bounced")
        .order_by(MessageEvent.id.desc()).limit(rules.REPLIES_KEPT))
    return [{"email": e, "code": c, "text": (d or "")[:300], "at": a.isoformat()}
            for e, c, d, a in reversed(rows.all())]


def _complaint_replies(session: Session, alert_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Contact.email, InboundMail.sender, InboundMail.subject, InboundMail.received_at)
        .outerjoin(Contact, Contact.id == InboundMail.contact_id)
        .where(InboundMail.alert_id == alert_id, InboundMail.kind == "complaint",
               tied_to_our_message())
        .order_by(InboundMail.id.desc()).limit(rules.REPLIES_KEPT))
    return [{"email": e, "text": f"complaint from {s or 'unknown'}: {subj or ''}"[:300],
             "at": at.isoformat()} for e, s, subj, at in reversed(rows.all())]


def resumed(alert: Alert) -> None:
    """The organiser resumed the alert: the automatic pause is read and over (kept as history;
    the baseline stays, so the figures already read do not pause it again)."""
    state = dict(alert.guard_state or {})
    if state.get("pause") and not state["pause"].get("resumed_at"):
        state["pause"] = {**state["pause"], "resumed_at": utcnow().isoformat()}
        alert.guard_state = state
