"""The embedded mode: with no OUTREACH_BROKER_URL, the same tasks run through Celery on the
in-process `memory://` transport, consumed by a worker thread of the CLI, with the same keeper
thread (heartbeat and sweep) as a real worker. One command sends a blast on a machine with no
Redis.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from outreach.config import Settings
from outreach.sending.runtime import SendingRuntime
from workers.app import QUEUES, app, use_settings


@contextmanager
def embedded_worker(settings: Settings) -> Iterator[SendingRuntime]:
    """Run a solo Celery worker and the keeper in threads of this process while in the block."""
    from celery._state import _set_task_join_will_block, task_join_will_block

    from outreach.sending.keeper import Keeper
    from workers.tasks import publish, queue_depth, set_runtime

    join_blocked_before = task_join_will_block()
    use_settings(settings)
    runtime = SendingRuntime(settings, name=f"embedded:{threading.get_native_id()}")
    set_runtime(runtime)
    worker = app.WorkController(pool_cls="solo", concurrency=1, queues=list(QUEUES),
                                loglevel="WARNING", without_heartbeat=True,
                                without_mingle=True, without_gossip=True,
                                hostname="embedded@localhost")
    thread = threading.Thread(target=worker.start, name="celery-embedded", daemon=True)
    thread.start()
    keeper = Keeper(runtime, publish, queue_depth).start()
    try:
        yield runtime
    finally:
        keeper.stop()
        worker.stop(in_sighandler=False)
        thread.join(timeout=10)
        set_runtime(None)
        runtime.close()
        # The solo pool marks the whole process as "inside a worker"; undo it, as Celery's own
        # test worker does, so that code running after the block may wait on results again.
        _set_task_join_will_block(join_blocked_before)
