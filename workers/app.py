"""The Celery app: Redis broker from OUTREACH_BROKER_URL, or the embedded `memory://` transport.

Tasks carry lists of message ids only; the database holds all state (see outreach.sending).
Late acks plus `task_reject_on_worker_lost` put a task back when its worker dies; the claim
makes a redelivered task harmless. The visibility timeout is above the longest batch; lost
work is re-enqueued within seconds by the sweeper that runs inside the workers themselves
(outreach.sending.keeper): beat only polls the mailbox (workers.schedule).
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from kombu import Queue

from outreach.config import Settings, load_settings
from outreach.context import AppContext
from outreach.sending.config import SendingConfig, default_processes
from workers.schedule import beat_schedule

QUEUES = ("urgent", "bulk")  # consumed in this order: urgent first
VISIBILITY_TIMEOUT = 3 * 3600
EMBEDDED_BROKER = "memory://"


app = Celery("outreach", include=["workers.tasks", "workers.tasks_inbound",
                                   "workers.tasks_webhooks"])
_state: dict[str, Settings] = {}


def celery_config(settings: Settings) -> dict[str, Any]:
    config = SendingConfig.from_settings(settings)
    broker = settings.broker_url or EMBEDDED_BROKER
    transport: dict[str, Any] = {"visibility_timeout": VISIBILITY_TIMEOUT,
                                 "queue_order_strategy": "priority"}
    if broker.startswith("memory"):
        transport = {"polling_interval": 0.02}
    elif config.broker_prefix:
        transport["global_keyprefix"] = config.broker_prefix
    return {
        "broker_url": broker,
        "broker_transport_options": transport,
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,
        "task_serializer": "json", "accept_content": ["json"], "result_serializer": "json",
        "task_ignore_result": True, "result_backend": None,
        "task_acks_late": True, "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_concurrency": worker_concurrency(settings),
        "task_queues": [Queue(name, routing_key=name) for name in QUEUES],
        "task_default_queue": "bulk", "task_default_routing_key": "bulk",
        "worker_hijack_root_logger": False,
        "timezone": "UTC", "enable_utc": True,
        "beat_schedule": beat_schedule(settings),
    }


def worker_concurrency(settings: Settings) -> int:
    """Worker processes per `celery worker` / `outreach worker`: OUTREACH_WORKER_CONCURRENCY,
    else one per core. Each process keeps several SMTP connections busy at once
    (outreach.sending.config.default_connections), which is what fills the cores while
    messages wait for replies and commits; more processes than cores only add switching.
    Measured on 2 cores with PostgreSQL and the sink on the same machine: see the README's
    benchmark section."""
    return settings.worker_concurrency or default_processes()


def use_settings(settings: Settings) -> Celery:
    """Configure the app for these settings (entrypoints call this once, before any use)."""
    previous = _state.get("settings")
    _state["settings"] = settings
    if previous is not None and previous.broker_url != settings.broker_url:
        _drop_connections()
    app.conf.update(celery_config(settings))
    return app


def _drop_connections() -> None:
    """Forget pooled connections to a previous broker (tests switch brokers in one process)."""
    from kombu import pools

    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


def current_settings() -> Settings:
    """The settings this process configured the app with (loaded from the env by default)."""
    if "settings" not in _state:
        _state["settings"] = load_settings()
    return _state["settings"]


@app.on_configure.connect
def _configure(sender: Celery, **_: Any) -> None:
    if "settings" not in _state:  # `celery -A workers ...`: the environment is the entrypoint
        sender.conf.update(celery_config(current_settings()))


_contexts: dict[int, AppContext] = {}


def process_context() -> AppContext:
    """One context (engine, pool) per worker process and settings, built on first use."""
    pid, settings = os.getpid(), current_settings()
    ctx = _contexts.get(pid)
    if ctx is None or ctx.settings is not settings:
        _contexts.clear()
        ctx = _contexts[pid] = AppContext(settings)
    return ctx
