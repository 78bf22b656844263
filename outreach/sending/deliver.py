"""Delivering one batch of message ids: claim, compose, rate-limit, send, record.

Per batch: one claim transaction, one query for the contacts. Per message: an in-memory
render from templates compiled once per variant, the rate limiter (only when limits are
configured), one SMTP transaction on the process's reused connection, and one short
transaction recording the reply. Committing each outcome before the next send is what bounds
duplicates after a crash to the one message in flight per connection; batching the records
would be faster but would widen that window to the whole unrecorded batch.

About once a second the loop re-reads the alert state (pause/cancel take effect within
seconds) and renews its lease when half of it is gone.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import selectinload

from outreach.db.models import Contact
from outreach.db.models.base import utcnow
from outreach.guard.watch import held_domains
from outreach.sending.claim import Claimed, claim_batch, release, renew_lease
from outreach.sending.control import alert_state, finish_if_complete
from outreach.sending.record import (
    Outcome,
    plan_outcome,
    record_connection,
    record_outcome,
    suppress_bounced,
    watch_guard,
)
from outreach.sending.runtime import SendingRuntime

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 1.0
MAX_THROTTLE_SLEEP = 2.0
SLOW_DOWN_CODES = (421, 452)
RECORD_RETRIES = (0.1, 0.5, 1, 2, 4, 8)


@dataclass
class BatchReport:
    claimed: int = 0
    suppressed: int = 0
    released: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


def deliver_batch(rt: SendingRuntime, ids: list[int]) -> BatchReport:
    """Send what is still claimable among `ids`; a repeated or stale call does nothing."""
    rt.sender  # noqa: B018 - fail on a missing SMTP configuration before claiming anything
    token = f"{rt.worker_id}:{uuid.uuid4().hex[:10]}"
    now = utcnow()
    lease_until = now + timedelta(seconds=rt.config.lease_seconds)
    with rt.sessions() as session:
        result = claim_batch(session, sorted(set(ids)), token, lease_until, now)
        session.commit()
    report = BatchReport(claimed=len(result.claimed), suppressed=len(result.suppressed))
    if result.claimed:
        _Batch(rt, token, result.claimed, report, lease_until).run()
    return report


class _Batch:
    def __init__(self, rt: SendingRuntime, token: str, claimed: list[Claimed],
                 report: BatchReport, lease_until: datetime):
        self.rt, self.token, self.report = rt, token, report
        self.todo = list(claimed)
        self.alert_ids = {c.alert_id for c in claimed}
        self.lease_until = lease_until
        self.next_check = time.monotonic() + CHECK_EVERY_SECONDS
        self.held: set[str] = set()  # recipient domains the guard paused (outreach.guard)

    def run(self) -> None:
        with self.rt.sessions() as session, record_connection(self.rt.app_ctx.engine) as conn:
            self.session, self.conn = session, conn
            contacts = self._contacts([c.contact_id for c in self.todo])
            while self.todo:
                if self._check_due() and not self._still_go():
                    break
                claimed = self.todo.pop(0)
                self._send(claimed, contacts.get(claimed.contact_id))
            for alert_id in self.alert_ids:
                finish_if_complete(session, alert_id)
            session.commit()

    def _contacts(self, contact_ids: list[int]) -> dict[int, Contact]:
        rows = self.session.scalars(select(Contact).where(Contact.id.in_(contact_ids))
                                    .options(selectinload(Contact.outlet)))
        contacts = {c.id: c for c in rows}
        for alert_id in self.alert_ids:
            self.rt.alert_content(self.session, alert_id)
        # End the read transaction: on SQLite it holds the write lock the records need.
        self.session.commit()
        return contacts

    def _check_due(self) -> bool:
        """Time to re-read states, or the lease is too close to its end to start a send."""
        margin = timedelta(seconds=self.rt.config.lease_seconds / 2)
        return time.monotonic() >= self.next_check or utcnow() >= self.lease_until - margin

    def _still_go(self) -> bool:
        """Re-read alert states and renew the lease; release what must not be sent now."""
        self.next_check = time.monotonic() + CHECK_EVERY_SECONDS
        now = utcnow()
        session = self.session
        for alert_id in {c.alert_id for c in self.todo}:
            state = alert_state(session, alert_id)
            if state != "sending":
                ids = [c.id for c in self.todo if c.alert_id == alert_id]
                event = "cancel" if state == "cancelled" else "release"
                self.report.released += len(release(session, ids, self.token, now, event=event))
                self.todo = [c for c in self.todo if c.alert_id != alert_id]
        self.held = held_domains(session, self.alert_ids)
        lease = timedelta(seconds=self.rt.config.lease_seconds)
        if self.todo and self.lease_until - now < lease / 2:
            now = utcnow()
            self.lease_until = now + lease
            held = renew_lease(session, self.token, self.lease_until, now)
            self.todo = [c for c in self.todo if c.id in held]
        session.commit()
        return bool(self.todo)

    def _send(self, claimed: Claimed, contact: Contact | None) -> None:
        rt = self.rt
        alert, variants = rt.alert_content(self.session, claimed.alert_id)
        try:
            if contact is None or not contact.email:
                raise LookupError("the contact has no address any more")
            variant = variants.get(claimed.variant_id or -1) or _pick(alert, contact)
            mail = rt.compose(variant, alert, contact, claimed.id, rt.settings,
                              in_reply_to=claimed.in_reply_to)
        except Exception as exc:
            log.exception("message %s: could not render", claimed.id)
            self._record(claimed, Outcome("give_up", "failed", 0, f"not rendered: {exc}", False))
            return
        domain = mail.recipient.rpartition("@")[2].lower()
        if domain in self.held:  # paused by the guard: back to the queue, untouched
            self.report.released += len(release(self.session, [claimed.id], self.token,
                                                utcnow()))
            self.session.commit()
            return
        wait = self._throttle(domain)
        if wait:
            retry_at = utcnow() + timedelta(seconds=wait)
            self._record(claimed, Outcome("throttle", "deferred", 0, "rate limited", False,
                                          retry_at, counts_attempt=False))
            return
        result = rt.sender.send(mail.envelope_from, mail.recipient, mail.data)
        if result.code in SLOW_DOWN_CODES and rt.limiter is not None:
            rt.limiter.slow_down(domain, rt.config.slow_down_seconds)
        first = alert.started_at or utcnow()
        outcome = plan_outcome(result.outcome, result.code, result.text, result.uncertain,
                               attempts=claimed.attempts, first_attempt_at=first,
                               now=utcnow(), config=rt.config)
        self._record(claimed, outcome, mail.message_id_header)

    def _throttle(self, domain: str) -> float:
        """0 when the limiter lets the message go (sleeping briefly if needed), else the wait."""
        limiter = self.rt.limiter
        if limiter is None:
            return 0.0
        deadline = time.monotonic() + MAX_THROTTLE_SLEEP
        while (wait := limiter.wait_time(domain)) > 0:
            if time.monotonic() + wait > deadline:
                return wait
            time.sleep(wait)
        return 0.0

    def _record(self, claimed: Claimed, outcome: Outcome, header: str | None = None) -> None:
        ok = self._record_retrying(claimed.id, outcome, header)
        if ok and outcome.status == "bounced":
            suppress_bounced(self.session, claimed, outcome.text)
            self.session.commit()
        if ok and outcome.code >= 500:  # the deliverability guard may pause alert or domain
            decision = watch_guard(self.session, self.rt.settings, claimed, outcome)
            self.session.commit()
            self.held |= decision.held_domains
            if decision.paused_alert:
                self.next_check = 0.0
        if not ok:
            self.next_check = 0.0  # someone took it back: re-check what is still ours
            log.warning("message %s: lease lost before its outcome (%s) was recorded",
                        claimed.id, outcome.status)
        counts = self.report.outcomes
        counts[outcome.status] = counts.get(outcome.status, 0) + 1

    def _record_retrying(self, message_id: int, outcome: Outcome, header: str | None) -> bool:
        """The mail is out: a database hiccup must not lose its record (that would resend)."""
        for delay in (*RECORD_RETRIES, None):
            try:
                return record_outcome(self.conn, message_id, self.token, outcome, utcnow(),
                                      header)
            except DBAPIError as exc:
                if delay is None:
                    raise
                log.warning("message %s: recording %s failed (%s); retrying in %ss",
                            message_id, outcome.status, exc, delay)
                if self.conn.in_transaction():
                    self.conn.rollback()
                time.sleep(delay)
        raise AssertionError("unreachable")


def _pick(alert, contact):  # type: ignore[no-untyped-def]
    from outreach.mail.compose import pick_variant

    return pick_variant(alert, contact)
