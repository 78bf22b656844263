"""What a sending process builds once and reuses across batches: its own database engine,
one SMTP connection, the shared rate limiter and a cache of alert content (immutable).

A Celery worker process builds one at `worker_process_init`; the embedded worker thread of
the CLI builds its own. Nothing here is shared across processes.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from outreach.config import Settings
from outreach.context import AppContext
from outreach.db.models import Alert, AlertVariant
from outreach.sending.config import SendingConfig

ALERT_CACHE_SIZE = 32


class SendingRuntime:
    def __init__(self, settings: Settings, *, sender: Any = None, limiter: Any = None,
                 name: str | None = None):
        self.settings = settings
        self.config = SendingConfig.from_settings(settings)
        self.app_ctx = AppContext(settings)
        self.worker_id = name or f"{socket.gethostname()}:{os.getpid()}"
        self._sender = sender
        self._limiter = limiter
        self._limiter_built = limiter is not None
        self._compose: Callable[..., Any] | None = None
        self._alerts: dict[int, tuple[Alert, dict[int, AlertVariant]]] = {}
        if self.app_ctx.engine.dialect.name == "postgresql":
            # DESIGN.md: status updates may commit asynchronously; only a database crash
            # (not a worker crash) can lose them.
            event.listen(self.app_ctx.engine, "connect", _async_commit)

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.app_ctx.sessions

    @property
    def sender(self) -> Any:
        if self._sender is None:
            from outreach.mta.smtp import sender_from_settings

            self._sender = sender_from_settings(self.settings, self.config.smtp_connections)
        return self._sender

    @property
    def limiter(self) -> Any:
        """The shared rate limiter, or None when no limit is configured (no Redis round trip)."""
        if not self._limiter_built:
            self._limiter_built = True
            limits = self.config.rate_limits
            if not limits.unlimited:
                from outreach.sending.ratelimit import limiter_from_limits

                prefix = f"{self.config.broker_prefix}outreach:rl"
                self._limiter = limiter_from_limits(limits, self.settings.broker_url, prefix)
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
