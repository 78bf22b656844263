"""What the sending core needs from the outside, as small Protocols (listmonk's `Messenger`).

The core never imports `workers`, `cli` or `web`: an entrypoint passes its adapters in
(`workers.tasks.publish` as the `Publisher`, `workers.tasks.queue_depth` as the
`QueueDepth`), and unit tests pass the fakes in tests/support/.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from outreach.db.models.base import utcnow

if TYPE_CHECKING:  # an annotation only: `alert send` imports the ports, not the SMTP client
    from outreach.mta.smtp import SmtpResult

Batches = list[tuple[str, list[int]]]  # (queue name, message ids)


class Publisher(Protocol):
    """Puts batches of ids on the broker (after the caller committed); returns ids published."""

    def __call__(self, batches: Batches) -> int: ...


class QueueDepth(Protocol):
    """Tasks waiting on the broker's sending queues, or None when it cannot say."""

    def __call__(self) -> int | None: ...


class Sender(Protocol):
    """One SMTP transaction per call; never raises for SMTP or network errors."""

    connections: int  # the most messages `send_many` takes at once (the claim token says it)

    def send(self, envelope_from: str, recipient: str, data: bytes) -> SmtpResult: ...

    def send_many(self, jobs: Sequence[tuple[str, str, bytes]]) -> list[SmtpResult]:
        """Up to `connections` messages at once, one per connection, results in order."""
        ...

    def width(self) -> int:
        """How many to send in the next round (<= connections: open ones, and one more)."""
        ...

    def close(self) -> None: ...


class Limiter(Protocol):
    """Shared rate limits and pauses (outreach.sending.ratelimit)."""

    def wait_time(self, domain: str) -> float: ...

    def slow_down(self, domain: str, seconds: float) -> None: ...

    def server_pause(self) -> float: ...


class Clock(Protocol):
    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return utcnow()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
