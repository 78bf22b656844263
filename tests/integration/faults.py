"""Fault scenarios on a running blast, shared by tests/integration/test_sending_faults.py
(small, asserting) and benchmarks/fault_benchmark.py (larger, printing JSON).

Each scenario starts real `celery -A workers worker` processes (no beat), sends a blast into
the aiosmtpd sink, injects one fault of issue 10's table while it runs, waits for the end and
returns a `FaultReport`: messages lost, duplicates flagged uncertain / not flagged, seconds
from the end of the fault to the last message at the server, and the scenario's own figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from outreach.config import Settings
from outreach.contacts.segments import Segment
from outreach.db.models import Contact, Message, MessageEvent
from outreach.sending import control
from outreach.sending.config import SendingConfig
from outreach.sending.status import alert_status
from tests.fixtures.celery import CeleryWorkers, ThrowawayRedis
from tests.fixtures.postgres import ThrowawayPostgres
from tests.fixtures.smtp import RecordingSmtpServer
from tests.integration.sending_data import EXAMPLES, add_contacts
from tests.integration.sending_run import own_session, received_counts, start_blast

# Short timings, through the typed settings: a dead worker is noticed in 3 s, lost broker
# work republished 2 s after the queues run dry; the lease (60 s) and the requeue time
# (300 s, the default) are long on purpose, so that a test shows they are not what rescues.
KNOBS: dict[str, Any] = {
    "send_lease_seconds": 60.0, "retry_schedule": (0.3, 0.6), "sweep_seconds": 0.5,
    "send_batch_size": 50, "slow_down_seconds": 1.0,
    "heartbeat_seconds": 0.5, "worker_dead_after_seconds": 3.0,
    "requeue_idle_seconds": 2.0, "breaker_max_seconds": 1.0,
}


def fault_settings(base: Settings, *, smtp_url: str, broker_url: str, prefix: str,
                   **knobs: Any) -> Settings:
    return base.replace(smtp_url=smtp_url, broker_url=broker_url, broker_prefix=prefix,
                        **{**KNOBS, **knobs})


@dataclass
class FaultEnv:
    settings: Settings
    sink: RecordingSmtpServer
    workers: CeleryWorkers
    redis: ThrowawayRedis | None = None
    postgres: ThrowawayPostgres | None = None
    n_workers: int = 2

    @property
    def connections_per_worker(self) -> int:
        """SMTP connections of each worker process (the default layout unless set)."""
        return SendingConfig.from_settings(self.settings).smtp_connections

    @property
    def open_connections(self) -> int:
        """The duplicate bound: at most one unrecorded message per open SMTP connection."""
        return self.n_workers * self.connections_per_worker


@dataclass
class FaultReport:
    fault: str
    recipients: int
    lost: int
    duplicates_flagged: int
    duplicates_unflagged: int
    seconds_after_fault: float  # from the end of the fault to the last message at the server
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"fault": self.fault, "recipients": self.recipients, "lost": self.lost,
                "duplicates_flagged": self.duplicates_flagged,
                "duplicates_unflagged": self.duplicates_unflagged,
                "seconds_after_fault": round(self.seconds_after_fault, 2), **self.extra}


class Run:
    """One blast through the env's workers, and what the sink and the database saw."""

    def __init__(self, env: FaultEnv, n: int, *, domain: str = "example.org",
                 urgent: bool = False, start: int = 0):
        self.env, self.n, self.urgent = env, n, urgent
        with own_session(env.settings) as session:
            self.emails = add_contacts(session, n, start=start, domain=domain)
            segment = Segment(where=(("domain", (domain,)),))
            from outreach.alerts.create import create_alert

            alert = create_alert(session, env.settings, EXAMPLES / "alert.md", segment=segment)
            session.commit()
            self.alert_id = alert.id

    def start(self) -> None:
        start_blast(self.env.settings, self.alert_id, urgent=self.urgent)

    def delivered(self) -> int:
        wanted = set(self.emails)
        return sum(1 for r in self.env.sink.recipients() if r in wanted)

    def wait_delivered(self, count: int, timeout: float) -> None:
        wait_for(lambda: self.delivered() >= count, timeout, f"{count} messages delivered")

    def status(self) -> dict[str, Any]:
        with own_session(self.env.settings) as session:
            return alert_status(session, self.alert_id)

    def wait_done(self, timeout: float) -> dict[str, Any]:
        last: dict[str, Any] = {}

        def done() -> bool:
            try:
                last.update(self.status())
            except DBAPIError:  # the database may still be coming back
                return False
            return last["state"] in ("done", "cancelled")

        wait_for(done, timeout, f"alert {self.alert_id} to finish", lambda: last)
        return last

    def report(self, fault: str, fault_end: float, **extra: Any) -> FaultReport:
        counts = received_counts(self.env.sink)
        wanted = set(self.emails)
        with own_session(self.env.settings) as session:
            flagged = set(session.scalars(
                select(Contact.email).join(Message, Message.contact_id == Contact.id)
                .where(Message.alert_id == self.alert_id, Message.uncertain.is_(True))))
        duplicates = {a for a in wanted if counts.get(a, 0) > 1}
        times = [m.received_at for m in self.env.sink.messages
                 if set(m.rcpt_tos) & wanted]
        return FaultReport(fault, self.n, len(wanted - set(counts)),
                           sum(counts[a] - 1 for a in duplicates & flagged),
                           sum(counts[a] - 1 for a in duplicates - flagged),
                           max(times) - fault_end, extra)

    def attempts_over_one(self) -> int:
        with own_session(self.env.settings) as session:
            return session.scalar(select(func.count()).select_from(Message).where(
                Message.alert_id == self.alert_id, Message.attempts > 1)) or 0

    def events(self, kind: str) -> int:
        with own_session(self.env.settings) as session:
            return session.scalar(select(func.count()).select_from(MessageEvent)
                                  .join(Message).where(Message.alert_id == self.alert_id,
                                                       MessageEvent.kind == kind)) or 0


def wait_for(check: Callable[[], bool], timeout: float, what: str,
             detail: Callable[[], object] = lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}: {detail()}")
        time.sleep(0.05)


def start_workers(env: FaultEnv) -> None:
    procs = [env.workers.start(env.settings, wait=False) for _ in range(env.n_workers)]
    for proc in procs:
        env.workers._wait_ready(proc)


# -- the scenarios: one per row of issue 10's table ---------------------------------------


def pause_resume(env: FaultEnv, n: int, paused: float = 2.0) -> FaultReport:
    """Pause a quarter in, wait (workers take and drop the queued tasks), resume."""
    from outreach.cli.sending import enqueue
    from outreach.context import AppContext

    run = Run(env, n)
    run.start()
    run.wait_delivered(n // 4, 60)
    with own_session(env.settings) as session:
        control.pause(session, run.alert_id)
        session.commit()
    wait_for(lambda: run.status()["counts"]["sending"] == 0, 20, "the workers to stop")
    time.sleep(paused)
    before = len(env.sink.messages)
    resumed = time.monotonic()
    ctx = AppContext(env.settings)
    try:
        with ctx.sessions() as session:
            control.resume(session, run.alert_id)
            session.commit()
        enqueue(ctx, run.alert_id)
    finally:
        ctx.engine.dispose()
    wait_for(lambda: len(env.sink.messages) > before, 30, "a message after the resume")
    first = env.sink.messages[before].received_at - resumed
    run.wait_done(60)
    return run.report("pause_resume", resumed, first_message_after_resume=round(first, 2))


def redis_restart(env: FaultEnv, n: int, down: float = 2.0) -> FaultReport:
    assert env.redis is not None
    run = Run(env, n)
    run.start()
    run.wait_delivered(n // 4, 60)
    env.redis.stop()
    time.sleep(down)
    env.redis.start()
    back = time.monotonic()
    run.wait_done(90)
    return run.report("redis_restart", back, down_seconds=down)


def postgres_outage(env: FaultEnv, n: int, down: float = 4.0, *, crash: bool = False,
                    ) -> FaultReport:
    """PostgreSQL stopped cleanly (`down`), or killed without a checkpoint (`crash`)."""
    assert env.postgres is not None
    run = Run(env, n)
    run.start()
    run.wait_delivered(n // 4, 60)
    (env.postgres.crash if crash else env.postgres.stop)()
    time.sleep(down)
    env.postgres.start()
    back = time.monotonic()
    run.wait_done(120)
    return run.report("postgres_crash" if crash else "postgres_down", back, down_seconds=down,
                      connections=env.open_connections)


def worker_kill9(env: FaultEnv, n: int) -> FaultReport:
    run = Run(env, n)
    run.start()
    run.wait_delivered(n // 4, 60)
    env.workers.procs[0].kill9()
    killed = time.monotonic()
    run.wait_done(90)
    return run.report("worker_kill9", killed)


def no_beat(env: FaultEnv, n: int) -> FaultReport:
    """No beat anywhere; some recipients answer 451 twice: their retries need a sweeper."""
    run = Run(env, n)
    for address in run.emails[:: max(1, n // 5)]:
        env.sink.fail(451, at="rcpt", recipient=address, times=2)
    started = time.monotonic()
    run.start()
    final = run.wait_done(90)
    return run.report("no_beat", started, deferred_then_sent=run.events("deferred"),
                      warning=final["warning"], swept=final["last_sweep_at"] is not None)


def smtp_421(env: FaultEnv, n: int, down: float = 3.0) -> FaultReport:
    run = Run(env, n)
    run.start()
    run.wait_delivered(n // 4, 60)
    before = env.sink.connections
    env.sink.fail(421, at="mail")
    time.sleep(down)
    env.sink.clear_faults()
    back = time.monotonic()
    during = env.sink.connections - before
    run.wait_done(60)
    return run.report("smtp_421", back, down_seconds=down, connections_during_fault=during,
                      messages_charged_twice=run.attempts_over_one())


def smtp_port_closed(env: FaultEnv, n: int, down: float = 4.0) -> FaultReport:
    run = Run(env, n)
    run.start()
    run.wait_delivered(n // 4, 60)
    env.sink.stop()
    time.sleep(down)
    env.sink.start()  # the same port again
    back = time.monotonic()
    run.wait_done(60)
    return run.report("smtp_port_closed", back, down_seconds=down,
                      messages_charged_twice=run.attempts_over_one(),
                      deferred_events=run.events("deferred"))


def urgent_during_bulk(env: FaultEnv, n: int, n_urgent: int = 20) -> FaultReport:
    """A bulk blast under way, then an urgent one: when does its first message go out?"""
    bulk = Run(env, n, domain="bulk.example.org")
    urgent = Run(env, n_urgent, domain="urgent.example.org", urgent=True, start=n)
    bulk.start()
    bulk.wait_delivered(n // 5, 60)
    sent = time.monotonic()
    urgent.start()
    wait_for(lambda: urgent.delivered() > 0, 30, "the first urgent message")
    first = min(m.received_at for m in env.sink.messages
                if set(m.rcpt_tos) & set(urgent.emails)) - sent
    urgent.wait_done(60)
    bulk_left = n - bulk.delivered()
    bulk.wait_done(120)
    report = urgent.report("urgent_during_bulk", sent, first_urgent_seconds=round(first, 2),
                           bulk_left_when_urgent_done=bulk_left)
    lost_bulk = bulk.report("bulk", sent)
    report.lost += lost_bulk.lost
    report.duplicates_unflagged += lost_bulk.duplicates_unflagged
    report.duplicates_flagged += lost_bulk.duplicates_flagged
    return report
