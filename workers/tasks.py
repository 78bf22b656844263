"""Sending tasks. Each takes plain message ids; running one twice does nothing harmful.

Every sending process also runs a keeper thread (outreach.sending.keeper): its heartbeat, and
the sweep in turn with the other workers, so that no beat is needed for a blast to finish.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import signals
from kombu.exceptions import ChannelError

from outreach.sending.deliver import deliver_batch
from outreach.sending.keeper import Keeper
from outreach.sending.runtime import SendingRuntime
from workers.app import QUEUES, app, current_settings

log = logging.getLogger(__name__)
_runtime: dict[int, SendingRuntime] = {}
_keeper: dict[int, Keeper] = {}


def get_runtime() -> SendingRuntime:
    """This process's runtime (engine, SMTP connection, limiter), built once per process."""
    pid = os.getpid()
    if pid not in _runtime:
        _runtime.clear()
        _runtime[pid] = SendingRuntime(current_settings())
    return _runtime[pid]


def set_runtime(runtime: SendingRuntime | None) -> None:
    """The embedded worker (a thread of the CLI) installs its own runtime."""
    _runtime.clear()
    if runtime is not None:
        _runtime[os.getpid()] = runtime


def start_keeper(runtime: SendingRuntime) -> Keeper:
    """Start this process's heartbeat-and-sweep thread (once per process)."""
    pid = os.getpid()
    if pid not in _keeper:
        _keeper.clear()
        _keeper[pid] = Keeper(runtime, publish, queue_depth).start()
    return _keeper[pid]


def stop_keeper() -> None:
    keeper = _keeper.pop(os.getpid(), None)
    if keeper is not None:
        keeper.stop()


@signals.worker_process_init.connect
def _init_process(**_: Any) -> None:
    set_runtime(None)
    _keeper.clear()  # a forked child inherits the parent's dict, not its thread
    runtime = get_runtime()
    runtime.warm_up()
    start_keeper(runtime)


@signals.worker_ready.connect
def _warm_up(sender: Any = None, **_: Any) -> None:
    """A solo-pool worker sends from this process: connect to the database and start the
    keeper before the first task (prefork children do it in worker_process_init; the parent
    must not, or the children would inherit its connections)."""
    pool = getattr(sender, "pool", None)
    if pool is not None and type(pool).__module__ == "celery.concurrency.solo":
        runtime = get_runtime()
        runtime.warm_up()
        start_keeper(runtime)


@signals.worker_process_shutdown.connect
@signals.worker_shutdown.connect
def _close_process(**_: Any) -> None:
    stop_keeper()
    runtime = _runtime.pop(os.getpid(), None)
    if runtime is not None:
        runtime.close()


@app.task(name="workers.tasks.deliver", acks_late=True, ignore_result=True)
def deliver(message_ids: list[int]) -> dict[str, Any]:
    report = deliver_batch(get_runtime(), [int(i) for i in message_ids])
    log.info("batch of %d: claimed %d, %s", len(message_ids), report.claimed, report.outcomes)
    return {"claimed": report.claimed, "suppressed": report.suppressed,
            "released": report.released, **report.outcomes}


@app.task(name="workers.tasks.sweep", acks_late=True, ignore_result=True)
def sweep() -> dict[str, Any]:
    """A sweep on demand (older deployments' beat schedules still name it); it takes its turn
    like the keepers' sweeps, so running it beside them is harmless."""
    runtime = get_runtime()
    result = Keeper(runtime, publish, queue_depth).sweep_turn()
    if result is None:
        return {"skipped": True}
    return {"started": result.started, "recovered": result.recovered,
            "uncertain": result.uncertain, "finished": result.finished,
            "enqueued": sum(len(ids) for _, ids in result.batches)}


def publish(batches: list[tuple[str, list[int]]]) -> int:
    """Put batches of ids on the broker (after the caller committed); returns ids published.

    The core's `Publisher` (outreach.sending.ports): entrypoints pass this function in."""
    if not batches:
        return 0
    with app.producer_or_acquire() as producer:
        for queue, ids in batches:
            deliver.apply_async(args=[ids], queue=queue, routing_key=queue, producer=producer,
                                retry=True, retry_policy={"max_retries": 30, "interval_start": 0.2,
                                                          "interval_step": 0.5,
                                                          "interval_max": 2})
    return sum(len(ids) for _, ids in batches)


def queue_depth() -> int | None:
    """Tasks waiting on the sending queues (the core's `QueueDepth`): 0 tells the sweeper that
    queued ids enqueued a few seconds ago are on no queue (the broker lost them)."""
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
        channel = conn.default_channel
        return sum(_waiting(channel, queue) for queue in QUEUES)


def _waiting(channel: Any, queue: str) -> int:
    """Messages on one queue. kombu's virtual transports (redis, memory) count with `_size`
    (their passive `queue_declare` answers NOT_FOUND under a `global_keyprefix`)."""
    size = getattr(channel, "_size", None)
    if size is not None:
        return int(size(queue))
    try:
        return int(channel.queue_declare(queue=queue, passive=True).message_count)
    except ChannelError:  # not declared (yet, or since a restart): nothing waits on it
        return 0
