"""Back-pressure and the circuit breaker: how a sick SMTP server slows every worker down.

- A 421 ("service not available, closing channel") is the server speaking for itself, and
  OUTREACH_SMTP_URL is one server (a relay) for every recipient: the whole server is paused
  for OUTREACH_SLOW_DOWN_SECONDS on every worker (a shared key in Redis).
- A 452 ("insufficient storage", "too many recipients") slows that recipient domain only.
- An unreachable server (refused, timed out, lost before the greeting) trips the breaker:
  a whole-server pause that doubles with each failed probe up to OUTREACH_BREAKER_MAX_SECONDS,
  so sending resumes within that time of the server coming back.
In all three cases the message never reached a point where it could have been delivered, so
the batch keeps its claim and tries it again after the pause: no attempt is charged, no
deferral written, and no connection is spent while the pause lasts.
"""

from __future__ import annotations

from outreach.mta.smtp import SmtpResult

BREAKER_FIRST_SECONDS = 0.5
SERVER_BUSY, DOMAIN_BUSY = 421, 452


class Breaker:
    """Per process: consecutive unreachable-server failures -> the next probe interval."""

    def __init__(self, max_seconds: float, first_seconds: float = BREAKER_FIRST_SECONDS):
        self.max_seconds = max_seconds
        self.first_seconds = min(first_seconds, max_seconds)
        self.failures = 0

    def failure(self) -> float:
        """One more failed probe: the whole-server pause to set now."""
        self.failures += 1
        return min(self.max_seconds, self.first_seconds * 2 ** (self.failures - 1))

    def success(self) -> None:
        self.failures = 0


def server_pause_for(result: SmtpResult, breaker: Breaker, slow_down_seconds: float,
                     ) -> float:
    """Pure: seconds to pause the whole server after `result` (0: not a server problem)."""
    if result.unreachable:
        return breaker.failure()
    if result.code == SERVER_BUSY:
        return slow_down_seconds
    return 0.0


def domain_pause_for(result: SmtpResult, slow_down_seconds: float) -> float:
    """Pure: seconds to pause the recipient's domain after `result`."""
    return slow_down_seconds if result.code == DOMAIN_BUSY else 0.0
