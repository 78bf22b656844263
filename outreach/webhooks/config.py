"""Webhook delivery knobs, from the typed settings (OUTREACH_WEBHOOK_* in outreach/config.py).

OUTREACH_WEBHOOK_ALLOW_PRIVATE=1   allow private, loopback and link-local targets (tests, labs)
OUTREACH_WEBHOOK_RETRY_BASE        first retry delay in seconds (default 5), doubling each time
OUTREACH_WEBHOOK_RETRY_MAX         longest delay between two attempts (default 3600 s)
OUTREACH_WEBHOOK_GIVE_UP           stop retrying this long after the event (default 86400 s)
OUTREACH_WEBHOOK_TIMEOUT           seconds to wait for the receiver (default 10)
"""

from __future__ import annotations

from dataclasses import dataclass

from outreach.config import Settings


@dataclass(frozen=True)
class WebhookConfig:
    allow_private: bool = False
    retry_base: float = 5.0
    retry_max: float = 3600.0
    give_up: float = 86400.0
    timeout: float = 10.0
    lease: float = 120.0  # an attempt in flight longer than this is taken as lost

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookConfig:
        return cls(allow_private=settings.webhook_allow_private,
                   retry_base=settings.webhook_retry_base, retry_max=settings.webhook_retry_max,
                   give_up=settings.webhook_give_up, timeout=settings.webhook_timeout)

    def backoff(self, attempts: int) -> float:
        """Delay before the next attempt after `attempts` failed ones: base, 2·base, 4·base…"""
        return float(min(self.retry_max, self.retry_base * 2 ** max(0, attempts - 1)))
