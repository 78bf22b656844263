"""Resuming what the guard paused: the alert, its paused domains, or both in one action.

Beside `control`, not inside `outreach.sending.guard`: it drives `control.resume`, and control
calls the guard, so the guard itself never imports control (no cycle)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from outreach.alerts.repository import get_alert
from outreach.audit import Actor, record
from outreach.db.models import AlertDomainGuard, Contact, Message
from outreach.db.models.base import utcnow
from outreach.errors import UserError
from outreach.sending import control
from outreach.sending.guard.held import address_in


@dataclass
class Resumed:
    alert: bool = False
    domains: list[str] = field(default_factory=list)


def resume_everything(session: Session, alert_id: int, actor: Actor) -> Resumed:
    """`alert resume`: the alert if it is paused, and every domain the guard paused.

    A UserError (as before) when there is nothing to resume. The caller commits, then
    enqueues the alert (the domain's messages are marked not enqueued, so they go at once).
    """
    alert = get_alert(session, alert_id)
    result = Resumed(domains=resume_domains(session, alert_id, None, actor))
    if alert.state == "paused" or not result.domains:
        control.resume(session, alert_id)  # raises "cannot resume" for a sending alert
        result.alert = True
        # Publish the queued messages again now: tasks published before the pause may be gone
        # (the embedded transport's queue dies with its command). A task that still exists
        # claims nothing the second time, so republishing is harmless.
        session.execute(update(Message).where(Message.alert_id == alert_id,
                                              Message.status == "queued")
                        .values(enqueued_at=None).execution_options(synchronize_session=False))
    return result


def resume_domains(session: Session, alert_id: int, domains: list[str] | None,
                   actor: Actor) -> list[str]:
    """Resume these paused domains (None: all); their counts start again from zero."""
    query = select(AlertDomainGuard).where(AlertDomainGuard.alert_id == alert_id,
                                           AlertDomainGuard.paused_at.is_not(None))
    if domains is not None:
        wanted = [d.strip().lower() for d in domains]
        query = query.where(AlertDomainGuard.domain.in_(wanted))
    rows = list(session.scalars(query.with_for_update()))
    if domains is not None and len(rows) < len(set(wanted)):
        missing = sorted(set(wanted) - {r.domain for r in rows})
        raise UserError(f"--resume-domain {missing[0]}: not paused for alert {alert_id}")
    now = utcnow()
    for row in rows:
        row.paused_at, row.resumed_at = None, now
        row.message_ids, row.rejections = [], 0
        session.execute(
            update(Message).where(Message.alert_id == alert_id,
                                  Message.status.in_(("queued", "deferred")),
                                  Message.contact_id.in_(select(Contact.id).where(
                                      address_in(Contact.email, row.domain))))
            .values(enqueued_at=None, next_attempt_at=now)
            .execution_options(synchronize_session=False))
        record(session, actor, "alert.resume_domain", f"alert:{alert_id}", domain=row.domain)
    session.flush()
    return [r.domain for r in rows]
