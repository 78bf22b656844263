"""Fakes for the sending runtime's ports (outreach.sending.ports): a scripted SMTP sender,
a limiter that records its pauses, and a clock that only moves when something sleeps or
sends. With them `deliver_batch` runs in microseconds per message and never waits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from outreach.db.models import Message
from outreach.db.session import session_scope
from outreach.mta.smtp import SmtpResult
from outreach.sending.blast import create_blast
from outreach.sending.runtime import SendingRuntime
from tests.integration.sending_data import add_contacts, make_alert

SENT = SmtpResult(250, "2.0.0 Ok", "sent")
UNREACHABLE = SmtpResult(0, "127.0.0.1:25: connection refused", "deferred", False, "connect",
                         unreachable=True)
BUSY = SmtpResult(421, "4.3.2 Service not available", "deferred", False, "mail")
FULL = SmtpResult(452, "4.5.3 Insufficient system storage", "deferred", False, "rcpt")
BOUNCED = SmtpResult(550, "5.1.1 No such user", "bounced", False, "rcpt")


class FakeClock:
    """Wall time and monotonic time that advance together, only by `sleep` and `advance`."""

    def __init__(self, start: datetime | None = None):
        self.start = start or datetime.now(UTC)
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.elapsed += max(0.0, seconds)


@dataclass
class FakeSender:
    """Answers from `script` (one result per call, then SENT) and records each recipient."""

    clock: FakeClock
    script: list[SmtpResult] = field(default_factory=list)
    seconds_per_send: float = 0.01
    on_send: Callable[[int], None] | None = None  # called with the number of sends so far
    sent: list[str] = field(default_factory=list)
    calls: int = 0
    closed: bool = False
    connections: int = 1  # messages per round (send_many), like SMTP connections
    rounds: list[int] = field(default_factory=list)  # how many messages each round sent

    def send(self, envelope_from: str, recipient: str, data: bytes) -> SmtpResult:
        self.calls += 1
        self.clock.advance(self.seconds_per_send)
        result = self.script.pop(0) if self.script else SENT
        if result.outcome == "sent":
            self.sent.append(recipient)
        if self.on_send is not None:
            self.on_send(self.calls)
        return result

    def send_many(self, jobs: Sequence[tuple[str, str, bytes]]) -> list[SmtpResult]:
        self.rounds.append(len(jobs))
        return [self.send(*job) for job in jobs]

    def width(self) -> int:
        return self.connections

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeLimiter:
    """No rate limits; pauses kept on the fake clock, every `slow_down` recorded."""

    clock: FakeClock
    slowed: list[tuple[str, float]] = field(default_factory=list)
    paused_until: dict[str, float] = field(default_factory=dict)

    def wait_time(self, domain: str) -> float:
        now = self.clock.monotonic()
        return max(0.0, max(self.paused_until.get(b, 0.0) for b in ("*", domain)) - now)

    def slow_down(self, domain: str, seconds: float) -> None:
        self.slowed.append((domain, seconds))
        until = self.clock.monotonic() + seconds
        self.paused_until[domain] = max(self.paused_until.get(domain, 0.0), until)

    def server_pause(self) -> float:
        return max(0.0, self.paused_until.get("*", 0.0) - self.clock.monotonic())


@dataclass(frozen=True)
class FakeMail:
    recipient: str
    envelope_from: str = "press@example.org"
    data: bytes = b"Subject: test\r\n\r\nbody\r\n"
    message_id_header: str | None = None


def fake_compose(variant, alert, contact, message_id, settings, in_reply_to=None):  # type: ignore[no-untyped-def]
    """Composition is not what these tests are about: one tiny message per recipient."""
    return FakeMail(contact.email, message_id_header=f"<m{message_id}@example.org>")


def blast(rt: SendingRuntime, n: int, *, urgent: bool = False, start: int = 0) -> list[int]:
    with session_scope(rt.sessions) as session:
        add_contacts(session, n, start=start)
        alert = make_alert(session, rt.settings)
        create_blast(session, alert, urgent=urgent)
        return list(session.scalars(select(Message.id).where(Message.alert_id == alert.id)
                                    .order_by(Message.id)))


def rows(rt: SendingRuntime, ids: list[int]) -> list[Message]:
    with rt.sessions() as session:
        found = session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.id))
        return list(found)
