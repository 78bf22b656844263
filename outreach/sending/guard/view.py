"""What the organiser sees of the guard (CLI `alert status`/`alert guard`, the dashboard)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach.config import Settings
from outreach.db.models import Alert, AlertDomainGuard, Contact, Message
from outreach.errors import UserError
from outreach.sending.guard.held import address_in
from outreach.sending.guard.rules import GuardLimits
from outreach.sending.guard.watch import figures


def guard_view(session: Session, settings: Settings, alert_id: int) -> dict[str, Any]:
    """`{"limits", "overrides", "figures", "window", "paused", "pause", "domains"}`.

    `paused` is true while the alert is paused by the guard (`pause` holds the reason, the
    figures and the replies that triggered it, and stays as history after a resume);
    `domains` lists recipient domains that refused mail for policy reasons, with the number
    of messages each holds back while paused.
    """
    row = session.execute(select(Alert.state, Alert.guard, Alert.guard_state)
                          .where(Alert.id == alert_id)).first()
    if row is None:
        raise UserError(f"ALERT_ID {alert_id}: no such alert (see `outreach alert list`)")
    state = row.guard_state or {}
    totals = figures(session, alert_id)
    pause = state.get("pause")
    return {
        "limits": GuardLimits.from_settings(settings).with_overrides(row.guard).to_json(),
        "overrides": dict(row.guard or {}),
        "figures": totals.to_json(),
        "window": totals.since(state.get("baseline")).to_json(),
        "paused": bool(pause and row.state == "paused" and not pause.get("resumed_at")),
        "pause": pause,
        "domains": _domains(session, alert_id),
    }


def _domains(session: Session, alert_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(AlertDomainGuard).where(AlertDomainGuard.alert_id == alert_id)
                           .order_by(AlertDomainGuard.domain)).all()
    return [{"domain": r.domain, "paused": r.paused_at is not None,
             "rejections": r.rejections,
             "paused_at": r.paused_at.isoformat() if r.paused_at else None,
             "resumed_at": r.resumed_at.isoformat() if r.resumed_at else None,
             "waiting": _waiting(session, alert_id, r.domain) if r.paused_at else 0,
             "replies": list(r.replies)} for r in rows]


def _waiting(session: Session, alert_id: int, domain: str) -> int:
    return session.scalar(
        select(func.count()).select_from(Message).join(Contact, Contact.id == Message.contact_id)
        .where(Message.alert_id == alert_id, Message.status.in_(("queued", "deferred")),
               address_in(Contact.email, domain))) or 0


def describe(view: dict[str, Any], alert_id: int) -> list[str]:
    """Plain lines for a terminal (the caller escapes them: replies are foreign text)."""
    lines: list[str] = []
    pause = view["pause"]
    if pause and view["paused"]:
        lines.append(f"PAUSED by the deliverability guard: {pause['message']}")
    elif pause:
        lines.append(f"last automatic pause ({pause['at']}, resumed): {pause['message']}")
    if pause:
        lines += [f"  {r.get('email') or '?'}: {r.get('code') or ''} {r.get('text', '')}".rstrip()
                  for r in pause.get("replies", [])]
    for domain in view["domains"]:
        if domain["paused"]:
            lines.append(f"domain {domain['domain']} PAUSED after {domain['rejections']} policy "
                         f"rejections; {domain['waiting']} messages wait "
                         f"(`outreach alert resume {alert_id}` to continue)")
            lines += [f"  {r.get('email')}: {r.get('code')} {r.get('text', '')}"
                      for r in domain["replies"]]
    if pause and view["paused"]:
        lines.append(f"read the replies above, then `outreach alert resume {alert_id}` (or "
                     f"change the limits: `outreach alert guard {alert_id} --set NAME=VALUE`)")
    return lines
