"""Delivering one batch of message ids: claim, compose, rate-limit, send, record.

Per batch: one claim transaction, one query for the contacts. Then rounds: the lowest ids
left, one per SMTP connection of the process (OUTREACH_SMTP_CONNECTIONS), each rendered in
memory from templates compiled once per variant and passed through the limiter (a cached
pause check when no limit is configured), sent on all connections at once
(`outreach.mta.smtp.send_all`), and their outcomes recorded together in one short
transaction before any connection takes its next message. Committing each round before the
next is what bounds duplicates after a crash to the one message in flight per connection
(the claim token says how many connections, so the sweeper flags that many); batching more
records would widen that window to the whole unrecorded batch.

About once a second the loop re-reads the alert state (pause/cancel take effect within
seconds), renews its lease when half of it is gone and, in a bulk batch, serves messages of
urgent alerts first (see `claim_urgent`). While the SMTP server is paused (421, or the
breaker: outreach.sending.pressure) the batch holds its claims and waits; a database outage
is waited out (outreach.sending.dbretry).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import selectinload

from outreach.db.models import Contact
from outreach.mta.smtp import SmtpResult
from outreach.sending.claim import (
    Claimed,
    ClaimResult,
    claim_batch,
    claim_token,
    claim_urgent,
    reclaim,
    release,
    renew_lease,
    urgent_alerts,
)
from outreach.sending.control import alert_state, finish_if_complete
from outreach.sending.dbretry import retrying
from outreach.sending.guard.watch import held_domains
from outreach.sending.journal import Entry, replay
from outreach.sending.pressure import SERVER_BUSY, domain_pause_for, server_pause_for
from outreach.sending.record import (
    Outcome,
    Record,
    plan_outcome,
    record_connection,
    record_outcomes,
    suppress_bounced,
    watch_guard,
)
from outreach.sending.runtime import SendingRuntime

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 1.0
MAX_THROTTLE_SLEEP = 2.0


@dataclass
class BatchReport:
    claimed: int = 0
    suppressed: int = 0
    released: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


def deliver_batch(rt: SendingRuntime, ids: list[int]) -> BatchReport:
    """Send what is still claimable among `ids`; a repeated or stale call does nothing."""
    rt.sender  # noqa: B018 - fail on a missing SMTP configuration before claiming anything
    return _claim_and_run(rt, lambda s, tok, lease, now: claim_batch(
        s, sorted(set(ids)), tok, lease, now), urgent=False)


def _claim_and_run(rt: SendingRuntime, claim, urgent: bool,  # type: ignore[no-untyped-def]
                   report: BatchReport | None = None) -> BatchReport:
    token = claim_token(rt.worker_id, max(1, rt.sender.connections))
    now = rt.clock.now()
    lease_until = now + timedelta(seconds=rt.config.lease_seconds)

    def take() -> ClaimResult:
        with rt.sessions() as session:
            result = claim(session, token, lease_until, now)
            session.commit()
            return result

    result = retrying(take, clock=rt.clock, budget=rt.config.db_retry_seconds, what="claim",
                      on_error=rt.journal.outage if rt.journal else None)
    report = report or BatchReport()
    report.claimed += len(result.claimed)
    report.suppressed += len(result.suppressed)
    if result.claimed:
        _Batch(rt, token, result.claimed, report, lease_until, urgent).run()
    return report


@dataclass(frozen=True)
class _Ready:
    """A composed message that may go now."""

    claimed: Claimed
    mail: Any
    domain: str
    started_at: datetime | None

    @property
    def job(self) -> tuple[str, str, bytes]:
        return self.mail.envelope_from, self.mail.recipient, self.mail.data


class _Batch:
    def __init__(self, rt: SendingRuntime, token: str, claimed: list[Claimed],
                 report: BatchReport, lease_until: datetime, urgent: bool):
        self.rt, self.token, self.report, self.urgent = rt, token, report, urgent
        self.todo = list(claimed)
        self.alert_ids = {c.alert_id for c in claimed}
        self.lease_until = lease_until
        self.next_check = rt.clock.monotonic() + CHECK_EVERY_SECONDS
        self.contacts: dict[int, Contact] = {}
        self.conn: Connection | None = None
        self.held: set[str] = set()  # recipient domains the guard paused (outreach.sending.guard)
        self.outages_seen = rt.journal.outages if rt.journal else 0

    def run(self) -> None:
        with self.rt.sessions() as session:
            self.session = session
            try:
                self._loop()
            finally:
                self._reset_conn()

    def _loop(self) -> None:
        rt = self.rt
        self._db(self._load, "load contacts")
        self.urgent = self.urgent or all(
            rt.alert_content(self.session, a)[0].urgent for a in self.alert_ids)
        while self.todo:
            self._after_outage()
            if self._check_due():
                if not self._db(self._still_go, "check alert state"):
                    break
                self._serve_urgent()
            if not self._wait_for_server():
                break
            self._round()
        self._db(self._finish, "finish alerts")

    def _db(self, call, what: str):  # type: ignore[no-untyped-def]
        journal = self.rt.journal
        return retrying(call, clock=self.rt.clock, budget=self.rt.config.db_retry_seconds,
                        what=what, undo=self.session.rollback,
                        on_error=journal.outage if journal else None)

    def _after_outage(self) -> None:
        """The database failed since this batch last looked: write again what it may have
        forgotten (outreach.sending.journal), and hold again the claims still to send."""
        journal = self.rt.journal
        if journal is None or journal.outages == self.outages_seen:
            return
        self.outages_seen = journal.outages
        self._db(lambda: replay(self._conn(), journal.snapshot()), "replay the journal")
        now = self.rt.clock.now()
        held = self._db(lambda: _commit_after(self.session, lambda s: reclaim(
            s, [c.id for c in self.todo], self.token, self.lease_until, now)), "reclaim")
        self.todo = [c for c in self.todo if c.id in held]

    def _load(self) -> None:
        ids = [c.contact_id for c in self.todo]
        rows = self.session.scalars(select(Contact).where(Contact.id.in_(ids))
                                    .options(selectinload(Contact.outlet)))
        self.contacts = {c.id: c for c in rows}
        for alert_id in self.alert_ids:
            self.rt.alert_content(self.session, alert_id)
        # End the read transaction: on SQLite it holds the write lock the records need.
        self.session.commit()

    def _finish(self) -> None:
        for alert_id in self.alert_ids:
            finish_if_complete(self.session, alert_id)
        self.session.commit()

    def _check_due(self) -> bool:
        """Time to re-read states, or the lease is too close to its end to start a send."""
        margin = timedelta(seconds=self.rt.config.lease_seconds / 2)
        return (self.rt.clock.monotonic() >= self.next_check
                or self.rt.clock.now() >= self.lease_until - margin)

    def _still_go(self) -> bool:
        """Re-read alert states and renew the lease; release what must not be sent now."""
        rt, session = self.rt, self.session
        self.next_check = rt.clock.monotonic() + CHECK_EVERY_SECONDS
        now = rt.clock.now()
        for alert_id in {c.alert_id for c in self.todo}:
            state = alert_state(session, alert_id)
            if state != "sending":
                ids = [c.id for c in self.todo if c.alert_id == alert_id]
                event = "cancel" if state == "cancelled" else "release"
                self.report.released += len(release(session, ids, self.token, now, event=event))
                self.todo = [c for c in self.todo if c.alert_id != alert_id]
        self.held = held_domains(session, self.alert_ids)
        lease = timedelta(seconds=rt.config.lease_seconds)
        if self.todo and self.lease_until - now < lease / 2:
            self.lease_until = now + lease
            held = renew_lease(session, self.token, self.lease_until, now)
            self.todo = [c for c in self.todo if c.id in held]
        session.commit()
        return bool(self.todo)

    def _serve_urgent(self) -> None:
        """Between two bulk messages: send waiting urgent messages first, under a claim of
        their own (each claim is sent in id order: that is what the sweeper's uncertain
        flag relies on). Not while the server is paused: the bulk claims would wait on it."""
        if self.urgent or self.rt.limiter.server_pause() > 0:
            return
        alert_ids = self._db(lambda: _commit_after(self.session, urgent_alerts), "urgent check")
        if alert_ids:
            limit = max(1, self.rt.config.batch_size // 4)
            _claim_and_run(self.rt, lambda s, tok, lease, now: claim_urgent(
                s, alert_ids, tok, lease, now, limit), urgent=True, report=self.report)

    def _wait_for_server(self) -> bool:
        """Hold the claims while the whole server is paused; False if the batch must stop."""
        while (left := self.rt.limiter.server_pause()) > 0:
            self.rt.clock.sleep(min(left, CHECK_EVERY_SECONDS))
            if self._check_due() and not self._db(self._still_go, "check alert state"):
                return False
        return True

    def _round(self) -> None:
        """The next messages, one per SMTP connection, sent at the same time; their outcomes
        recorded together, in one commit, before any connection takes its next message.
        So at any moment at most one message per connection is out but unrecorded, as with
        one connection: the claim token says how many (`lanes_of`), for the sweeper."""
        width = max(1, self.rt.sender.width())
        take, self.todo = self.todo[:width], self.todo[width:]
        records: list[tuple[Claimed, Record]] = []
        ready: list[_Ready] = []
        for claimed in take:
            prepared = self._prepare(claimed)
            if isinstance(prepared, _Ready):
                ready.append(prepared)
            elif prepared is not None:
                records.append((claimed, prepared))
        results = self.rt.sender.send_many([r.job for r in ready]) if ready else []
        back: list[Claimed] = []
        for item, result in zip(ready, results, strict=True):
            record = self._judge(item, result, paused=bool(back))
            if record is None:
                back.append(item.claimed)
            else:
                records.append((item.claimed, record))
        self.todo[:0] = back  # nothing delivered: the same messages again after the pause
        self._record(records)

    def _prepare(self, claimed: Claimed) -> _Ready | Record | None:
        """Compose one message and pass it through the guard's holds and the rate limit:
        ready to send, or a record to write without sending, or None (given back)."""
        rt = self.rt
        alert, variants = rt.alert_content(self.session, claimed.alert_id)
        contact = self.contacts.get(claimed.contact_id)
        try:
            if contact is None or not contact.email:
                raise LookupError("the contact has no address any more")
            variant = variants.get(claimed.variant_id or -1) or _pick(alert, contact)
            mail = rt.compose(variant, alert, contact, claimed.id, rt.settings,
                              in_reply_to=claimed.in_reply_to)
        except Exception as exc:
            log.exception("message %s: could not render", claimed.id)
            return Record(claimed.id, Outcome("give_up", "failed", 0, f"not rendered: {exc}",
                                              False))
        domain = mail.recipient.rpartition("@")[2].lower()
        if domain in self.held:  # paused by the guard: back to the queue, untouched
            self.report.released += len(self._db(lambda: _commit_after(
                self.session, lambda s: release(s, [claimed.id], self.token, rt.clock.now())),
                "release"))
            return None
        wait = self._throttle(domain)
        if wait:
            return Record(claimed.id, _throttled(rt.clock.now(), wait, "rate limited"))
        return _Ready(claimed, mail, domain, alert.started_at)

    def _judge(self, item: _Ready, result: SmtpResult, paused: bool) -> Record | None:
        """The server's answer -> the record to write, or None: not delivered because the whole
        server is paused (421, unreachable), to be sent again after the pause."""
        rt = self.rt
        if paused and (result.unreachable or result.code == SERVER_BUSY):
            return None  # this round already paused the server (the breaker counts one probe)
        pause = server_pause_for(result, rt.breaker, rt.config.slow_down_seconds)
        if pause:
            log.warning("SMTP server paused for %.1fs: %s %s", pause, result.code, result.text)
            rt.limiter.slow_down("*", pause)
            return None
        rt.breaker.success()
        if domain_pause := domain_pause_for(result, rt.config.slow_down_seconds):
            rt.limiter.slow_down(item.domain, domain_pause)
            return Record(item.claimed.id, _throttled(rt.clock.now(), domain_pause, result.text))
        outcome = plan_outcome(result.outcome, result.code, result.text, result.uncertain,
                               attempts=item.claimed.attempts,
                               first_attempt_at=item.started_at or rt.clock.now(),
                               now=rt.clock.now(), config=rt.config)
        return Record(item.claimed.id, outcome, item.mail.message_id_header)

    def _throttle(self, domain: str) -> float:
        """0 when the limiter lets the message go (sleeping briefly if needed), else the wait."""
        limiter, clock = self.rt.limiter, self.rt.clock
        deadline = clock.monotonic() + MAX_THROTTLE_SLEEP
        while (wait := limiter.wait_time(domain)) > 0:
            if clock.monotonic() + wait > deadline:
                return wait
            clock.sleep(wait)
        return 0.0

    def _record(self, records: list[tuple[Claimed, Record]]) -> None:
        """The mail may be out: a database outage must not lose its record (that would
        resend it), so the records wait for the database to come back."""
        if not records:
            return
        rt, journal, at = self.rt, self.rt.journal, self.rt.clock.now()
        if journal is not None:
            for _, r in records:
                journal.add(Entry(r.message_id, self.token, r.outcome, at, r.header))
        written = retrying(lambda: record_outcomes(self._conn(), self.token,
                                                   [r for _, r in records], at),
                           clock=rt.clock, budget=rt.config.db_retry_seconds,
                           what=f"record {len(records)} outcome(s)", undo=self._reset_conn,
                           on_error=journal.outage if journal else None)
        if journal is not None:
            for _, r in records:
                journal.acked(r.message_id, rt.clock.monotonic())
            if len(written) < len(records) and journal.outages != self.outages_seen:
                self._after_outage()  # the claim itself may be what the crash forgot
                written = {r.message_id for _, r in records}
        for claimed, r in records:
            self._after_record(claimed, r.outcome, claimed.id in written)

    def _after_record(self, claimed: Claimed, outcome: Outcome, ok: bool) -> None:
        if ok and outcome.status == "bounced":
            self._db(lambda: _suppress(self.session, claimed, outcome.text), "suppress")
        if ok and outcome.code >= 500:
            self._db(lambda: self._guard(claimed, outcome), "deliverability guard")
        if not ok:
            self.next_check = 0.0  # someone took it back: re-check what is still ours
            log.warning("message %s: claim lost before its outcome (%s) was recorded",
                        claimed.id, outcome.status)
        counts = self.report.outcomes
        counts[outcome.status] = counts.get(outcome.status, 0) + 1

    def _guard(self, claimed: Claimed, outcome: Outcome) -> None:
        """The deliverability guard (outreach.sending.guard) may pause the alert or a domain."""
        decision = watch_guard(self.session, self.rt.settings, claimed, outcome)
        self.session.commit()
        self.held |= decision.held_domains
        if decision.paused_alert:
            self.next_check = 0.0

    def _conn(self) -> Connection:
        """The records' own connection, opened again after a database error: a reconnected
        connection would not be in AUTOCOMMIT any more, and its records would sit in a
        transaction that is rolled back at the end of the batch."""
        if self.conn is None:
            self.conn = record_connection(self.rt.app_ctx.engine)
        return self.conn

    def _reset_conn(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(DBAPIError):
                conn.close()


def _throttled(now: datetime, wait: float, text: str) -> Outcome:
    """Deferred without charging an attempt: the message never reached the server."""
    return Outcome("throttle", "deferred", 0, text, False, now + timedelta(seconds=wait),
                   counts_attempt=False)


def _commit_after(session, query):  # type: ignore[no-untyped-def]
    """A read that ends its transaction (SQLite: it would hold the lock the records need)."""
    result = query(session)
    session.commit()
    return result


def _suppress(session, claimed: Claimed, text: str) -> None:  # type: ignore[no-untyped-def]
    suppress_bounced(session, claimed, text)
    session.commit()


def _pick(alert, contact):  # type: ignore[no-untyped-def]
    from outreach.mail.compose import pick_variant

    return pick_variant(alert, contact)
