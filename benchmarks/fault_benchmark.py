"""Fault benchmark: issue 10's fault table against the real engine, one JSON line per fault.

    .venv/bin/python -m benchmarks.fault_benchmark [--recipients 1000] [--workers 3]
        [--faults pause_resume,redis_restart,...] [--scale 1.0]

Each fault gets its own private PostgreSQL (initdb/pg_ctl) and Redis (redis-server) on free
ports, `--workers` real `celery -A workers worker` processes (no beat) and an aiosmtpd sink;
the scenarios are those of tests/integration/faults.py, with the fault durations of the issue
(pause 27 s, Redis down 4 s, PostgreSQL down 20 s, 421 for 20 s, SMTP port closed 30 s; times
`--scale`) and the production timings (heartbeat 2 s, dead after 15 s, sweep 2 s, breaker 5 s,
slow-down 5 s; only the retry schedule is shortened to 2,4 s). Each line says: messages lost,
duplicates flagged uncertain / not flagged, seconds from the end of the fault to the last
message at the server, and the fault's own figures. Runs as root or as a user that may run
initdb (root uses the `postgres` account for it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.celery import CeleryWorkers, ThrowawayRedis  # noqa: E402
from tests.fixtures.db import make_test_settings  # noqa: E402
from tests.fixtures.postgres import ThrowawayPostgres  # noqa: E402
from tests.fixtures.smtp import RecordingSmtpServer  # noqa: E402
from tests.integration import faults  # noqa: E402
from tests.integration.faults import FaultEnv, FaultReport  # noqa: E402

PRODUCTION = {"retry_schedule": (2.0, 4.0)}  # every other knob at its default


def scenarios(scale: float) -> dict[str, Callable[[FaultEnv, int], FaultReport]]:
    return {
        "pause_resume": lambda env, n: faults.pause_resume(env, n, paused=27 * scale),
        "redis_restart": lambda env, n: faults.redis_restart(env, n, down=4 * scale),
        "postgres_down": lambda env, n: faults.postgres_outage(env, n, down=20 * scale),
        "postgres_crash": lambda env, n: faults.postgres_outage(env, n, down=2, crash=True),
        "worker_kill9": faults.worker_kill9,
        "no_beat": faults.no_beat,
        "smtp_421": lambda env, n: faults.smtp_421(env, n, down=20 * scale),
        "smtp_port_closed": lambda env, n: faults.smtp_port_closed(env, n, down=30 * scale),
        "urgent_during_bulk": faults.urgent_during_bulk,
    }


def run_one(name: str, scenario: Callable[[FaultEnv, int], FaultReport], recipients: int,
            workers: int) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix=f"outreach-fault-{name}-"))
    postgres, redis_server = ThrowawayPostgres(), ThrowawayRedis(tmp)
    postgres.init()
    redis_server.start()
    procs = CeleryWorkers(tmp)
    try:
        with RecordingSmtpServer() as sink:
            base = make_test_settings(database_url=postgres.url)
            settings = base.replace(smtp_url=sink.url, broker_url=redis_server.url,
                                    broker_prefix=f"fault-{uuid.uuid4().hex[:6]}:",
                                    **PRODUCTION)
            env = FaultEnv(settings, sink, procs, redis=redis_server, postgres=postgres,
                           n_workers=workers)
            faults.start_workers(env)
            report = scenario(env, recipients)
            return {**report.to_json(), "workers": workers}
    finally:
        procs.stop_all()
        redis_server.stop()
        postgres.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--faults", default="", help="comma-separated (default: all)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply the fault durations (e.g. 0.2 for a quick run)")
    args = parser.parse_args()
    table = scenarios(args.scale)
    chosen = [f.strip() for f in args.faults.split(",") if f.strip()] or list(table)
    for name in chosen:
        if name not in table:
            parser.error(f"--faults: unknown fault {name!r} (known: {', '.join(table)})")
    for name in chosen:
        try:
            line = run_one(name, table[name], args.recipients, args.workers)
        except AssertionError as exc:  # a scenario that never finished is a figure too
            line = {"fault": name, "error": " ".join(str(exc).split())[:500]}
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
