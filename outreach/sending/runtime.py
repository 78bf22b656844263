"""What a sending process builds once and reuses across batches: its own database engine,
one SMTP connection, the shared limiter (rate limits and back-pressure pauses), a clock and
a cache of alert content (immutable).

A Celery worker process builds one at `worker_process_init`; the embedded worker thread of
the CLI builds its own; unit tests pass fakes (tests/support/). Nothing here is shared across
processes. Outcomes commit durably by default. With OUTREACH_ASYNC_RECORDS=1 on PostgreSQL its
connections commit asynchronously (`synchronous_commit = off`), and the record journal
(outreach.sending.journal) makes that safe through a crash of the database server; not through
a crash of the whole host, which takes the journal with it, hence the durable default.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from outreach.config import Settings
from outreach.context import AppContext
from outreach.db.models import Alert, AlertVariant
from outreach.sending.config import SendingConfig
from outreach.sending.journal import RecordJournal
from outreach.sending.ports import Clock, Limiter, Sender, SystemClock
from outreach.sending.pressure import Breaker

ALERT_CACHE_SIZE = 32


class SendingRuntime:
    def __init__(self, settings: Settings, *, sender: Sender | None = None,
                 limiter: Limiter | None = None, compose: Callable[..., Any] | None = None,
                 clock: Clock | None = None, name: str | None = None):
        self.settings = settings
        self.config = SendingConfig.from_settings(settings)
        self.app_ctx = AppContext(settings)
        # The prefix of every claim token: the random part tells a restarted process with a
        # recycled pid from the dead one whose claims the sweeper must take back.
        self.worker_id = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.clock: Clock = clock or SystemClock()
        self.breaker = Breaker(self.config.breaker_max_seconds)
        self._sender = sender
        self._limiter = limiter
        self._compose = compose
        self._alerts: dict[int, tuple[Alert, dict[int, AlertVariant]]] = {}
        self.journal: RecordJournal | None = None
        if settings.async_records and self.app_ctx.engine.dialect.name == "postgresql":
            self.journal = RecordJournal()
            event.listen(self.app_ctx.engine, "connect", _async_commit)

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.app_ctx.sessions

    @property
    def sender(self) -> Sender:
        if self._sender is None:
            from outreach.mta.smtp import sender_from_settings

            self._sender = sender_from_settings(self.settings, self.config.smtp_connections)
        return self._sender

    @property
    def limiter(self) -> Limiter:
        """The shared limiter: configured rate limits, and always the back-pressure pauses
        (through the broker's Redis when there is one, so every worker obeys them)."""
        if self._limiter is None:
            from outreach.sending.ratelimit import limiter_from_limits

            prefix = f"{self.config.broker_prefix}outreach:rl"
            self._limiter = limiter_from_limits(self.config.rate_limits,
                                                self.settings.broker_url, prefix)
        return self._limiter

    def compose(self, *args: Any, **kwargs: Any) -> Any:
        if self._compose is None:
            from outreach.mail.compose import compose

            self._compose = compose
        return self._compose(*args, **kwargs)

    def alert_content(self, session: Session, alert_id: int,
                      ) -> tuple[Alert, dict[int, AlertVariant]]:
        """The alert and its variants, loaded once per process (content never changes)."""
        cached = self._alerts.get(alert_id)
        if cached is None:
            alert = session.scalar(select(Alert).where(Alert.id == alert_id))
            if alert is None:
                raise LookupError(f"alert {alert_id} vanished")
            cached = (alert, {v.id: v for v in alert.variants})
            if len(self._alerts) >= ALERT_CACHE_SIZE:
                self._alerts.clear()
            self._alerts[alert_id] = cached
        return cached

    def warm_up(self) -> None:
        """Open a database connection and import the composer now, so that the first batch of
        an urgent blast does not pay for them (Jinja, the email package, OpenSSL bindings)."""
        with self.app_ctx.engine.connect():
            pass
        if self._compose is None:
            from outreach.mail.compose import compose

            self._compose = compose

    def close(self) -> None:
        if self._sender is not None:
            self._sender.close()
            self._sender = None
        self.app_ctx.engine.dispose()


def _async_commit(dbapi_conn: Any, _record: Any) -> None:
    autocommit = dbapi_conn.autocommit
    dbapi_conn.autocommit = True
    dbapi_conn.execute("SET synchronous_commit TO off")
    dbapi_conn.autocommit = autocommit
