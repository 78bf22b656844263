"""End-to-end blast benchmark: database -> Redis -> Celery workers -> smtp-sink -> status.

    .venv/bin/python -m benchmarks.blast_benchmark [--recipients 10000] [--workers 2]

Needs PostgreSQL and Redis (OUTREACH_TEST_POSTGRES_URL / OUTREACH_TEST_REDIS_URL, defaults
as in the tests) and Postfix's smtp-sink (fetched by benchmarks.sink). It creates a
throwaway database, starts `--workers` real `celery -A workers worker` processes, runs
`outreach alert send ID` as a subprocess (progress bar, waits for the end), then sends the
same messages, pre-rendered, with plain smtplib over one connection to the same sink.
Prints ONE JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.sink import smtp_sink_server, smtplib_baseline  # noqa: E402
from outreach.config import Settings  # noqa: E402
from outreach.context import AppContext  # noqa: E402
from outreach.db.session import make_engine, upgrade  # noqa: E402
from tests.fixtures.celery import CeleryWorkers, worker_env  # noqa: E402
from tests.fixtures.services import POSTGRES_URL, REDIS_URL  # noqa: E402
from tests.integration.sending_data import add_contacts, make_alert  # noqa: E402


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size (VmHWM) of a running process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a running process has used so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def watch_first(sink, since: int, found: dict[str, float], stop: threading.Event) -> None:  # type: ignore[no-untyped-def]
    while not stop.is_set():
        if sink.delivered() > since:
            found["at"] = time.time()
            return
        time.sleep(0.002)


def make_database() -> tuple[str, str]:
    name = f"outreach_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return name, url


def drop_database(name: str) -> None:
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run(recipients: int, workers: int, tmp: Path) -> dict[str, object]:
    name, url = make_database()
    prefix = f"outreach-bench-{uuid.uuid4().hex[:8]}:"
    try:
        with smtp_sink_server() as sink:
            settings = Settings(
                database_url=url, broker_url=REDIS_URL, smtp_url=sink.url,
                secret_key="bench-secret-0123456789", from_address="Press <press@example.org>",
                extra={"OUTREACH_BROKER_PREFIX": prefix,
                       "OUTREACH_SEND_BATCH_SIZE": "200"})
            return _blast_and_baseline(settings, sink, recipients, workers, tmp)
    finally:
        drop_database(name)
        _drop_keys(prefix)


def _drop_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


def _blast_and_baseline(settings: Settings, sink, recipients: int, workers: int,  # type: ignore[no-untyped-def]
                        tmp: Path) -> dict[str, object]:
    ctx = AppContext(settings)
    with ctx.sessions() as session:
        add_contacts(session, recipients, domain="example.net")
        alert_id = make_alert(session, settings).id
    pool = CeleryWorkers(tmp)
    procs = [pool.start(settings) for _ in range(workers)]
    try:
        found: dict[str, float] = {}
        stop = threading.Event()
        watcher = threading.Thread(target=watch_first, args=(sink, sink.delivered(), found, stop))
        watcher.start()
        cpu_before = sum(cpu_seconds(p.pid) for p in procs)
        spawned = time.time()
        cli = subprocess.Popen([str(Path(sys.executable).with_name("outreach")), "alert", "send",
                                str(alert_id), "--yes"], env=worker_env(settings), cwd=tmp,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(cli.pid, 0)
        cli.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        watcher.join()
        if cli.returncode != 0:
            raise RuntimeError(f"outreach alert send failed: {cli.stderr.read().decode()}")
        cli_exited = time.time()
        worker_cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu_before
        worker_rss = max(peak_rss_mb(p.pid) for p in procs)
    finally:
        pool.stop_all()
    timing = _timing(ctx, alert_id)
    baseline = smtplib_baseline(sink.host, sink.port, _prerendered(ctx, alert_id))
    ctx.engine.dispose()
    seconds = timing["seconds"]
    return {
        "messages": timing["sent"], "seconds": round(seconds, 2),
        "messages_per_second": round(timing["sent"] / seconds, 1),
        "baseline_messages_per_second": round(baseline.per_second, 1),
        "ratio": round(timing["sent"] / seconds / baseline.per_second, 3),
        "first_message_seconds": round(found.get("at", 0) - timing["started"], 3),
        "first_message_seconds_from_cli_spawn": round(found.get("at", 0) - spawned, 3),
        "cli_wall_seconds": round(cli_exited - spawned, 2),
        "cpu_ms_per_message": {"workers": round(1000 * worker_cpu / max(timing["sent"], 1), 3),
                               "cli": round(1000 * (usage.ru_utime + usage.ru_stime)
                                            / max(timing["sent"], 1), 3)},
        "workers": workers,
        "peak_rss_mb": {"worker": worker_rss, "cli": round(usage.ru_maxrss / 1024, 1)},
    }


def _timing(ctx: AppContext, alert_id: int) -> dict[str, float]:
    from outreach.db.models import Alert
    from outreach.sending.status import alert_status

    with ctx.sessions() as session:
        status = alert_status(session, alert_id)
        alert = session.get(Alert, alert_id)
        assert alert is not None and alert.started_at and alert.finished_at
        return {"sent": status["counts"]["sent"], "started": alert.started_at.timestamp(),
                "seconds": (alert.finished_at - alert.started_at).total_seconds()}


def _prerendered(ctx: AppContext, alert_id: int) -> list[tuple[str, str, bytes]]:
    """The same messages, rendered before the clock starts (what smtplib alone would send)."""
    from sqlalchemy.orm import selectinload

    from outreach.db.models import Contact, Message
    from outreach.mail.compose import compose

    with ctx.sessions() as session:
        rows = session.execute(select(Message, Contact).join(Contact)
                               .where(Message.alert_id == alert_id)
                               .options(selectinload(Contact.outlet))).all()
        out = []
        for message, contact in rows:
            mail = compose(message.variant, message.alert, contact, message.id, ctx.settings)
            out.append((mail.envelope_from, mail.recipient, mail.data))
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.recipients, args.workers, Path(tmp))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
