"""End-to-end blast benchmark, configured the way the README says to run one machine.

    .venv/bin/python benchmarks/blast_benchmark.py [--recipients 10000] [--big 50000]
                                                   [--concurrency N] [--only plain,dkim,...]

Needs PostgreSQL and Redis (OUTREACH_TEST_POSTGRES_URL / OUTREACH_TEST_REDIS_URL, defaults as
in the tests) and Postfix's smtp-sink (fetched by benchmarks.sink). In one throwaway database,
for each configuration it starts the README's worker command (`outreach worker`, default
concurrency), runs `outreach alert send ID --urgent` as a subprocess (progress bar, waits for
the end) and measures:

- plain: messages/s, the workers' CPU per message (all worker processes, from /proc), the
  first message at the sink after the CLI was spawned (interpreter start included), the CLI's
  peak memory; then the same messages, pre-rendered, sent with plain smtplib over one
  connection to the same sink (the raw baseline) and the ratio;
- dkim: the same with an RSA-2048 DKIM key (ratio to plain of this run);
- proxy-plain, starttls, smtps: through benchmarks.tls_proxy (a private-CA certificate,
  verified by the workers) in front of the same sink; TLS is compared with proxy-plain, the
  same extra hop without TLS;
- big: `--big` recipients, for the CLI's peak memory at that size.

Prints one JSON line per configuration as it finishes, then one summary line. CPU figures
are steadier than wall-clock ones on a shared machine; each line carries the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.sink import smtp_sink_server, smtplib_baseline  # noqa: E402
from benchmarks.tls_proxy import tls_proxy  # noqa: E402
from outreach.config import Settings  # noqa: E402
from outreach.context import AppContext  # noqa: E402
from outreach.db.session import make_engine, upgrade  # noqa: E402
from tests.fixtures.celery import worker_env  # noqa: E402
from tests.fixtures.services import POSTGRES_URL, REDIS_URL  # noqa: E402
from tests.fixtures.tls import make_tls_material  # noqa: E402
from tests.integration.sending_data import add_contacts, make_alert  # noqa: E402

OUTREACH = str(Path(sys.executable).with_name("outreach"))
CONFIGS = ("plain", "dkim", "proxy-plain", "starttls", "smtps", "big")


def tree_pids(pid: int) -> list[int]:
    """`pid` and all its descendants (the prefork pool's children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a running process tree has used so far, in seconds."""
    total = 0
    for one in tree_pids(pid):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def help_seconds(times: int = 5) -> float:
    """Median wall time of `outreach --help`, interpreter start included."""
    runs = []
    for _ in range(times):
        start = time.perf_counter()
        subprocess.run([OUTREACH, "--help"], check=True, capture_output=True)
        runs.append(time.perf_counter() - start)
    return round(statistics.median(runs), 3)


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


@contextmanager
def readme_worker(settings: Settings, tmp: Path, concurrency: int | None) -> Any:
    """`outreach worker` (the README's one-machine command) until the block ends."""
    log = tmp / f"worker-{uuid.uuid4().hex[:6]}.log"
    args = [OUTREACH, "worker"] + ([f"--concurrency={concurrency}"] if concurrency else [])
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=worker_env(settings), cwd=tmp, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while " ready." not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        time.sleep(0.5)  # the pool's children connect to the database (worker_process_init)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def blast(settings: Settings, sink: Any, tmp: Path, concurrency: int | None) -> dict[str, Any]:
    """One `outreach alert send --urgent` of a new alert to every contact, measured."""
    ctx = AppContext(settings)
    with ctx.sessions() as session:
        alert_id = make_alert(session, settings).id
    with readme_worker(settings, tmp, concurrency) as worker:
        found: dict[str, float] = {}
        stop = threading.Event()
        watcher = threading.Thread(target=_watch_first, args=(sink, found, stop))
        watcher.start()
        cpu_before = cpu_seconds(worker.pid)
        spawned = time.time()
        cli = subprocess.Popen([OUTREACH, "alert", "send", str(alert_id), "--urgent", "--yes"],
                               env=worker_env(settings), cwd=tmp, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
        rss = threading.Thread(target=_watch_rss, args=(cli.pid, stop, found))
        rss.start()
        _, status, usage = os.wait4(cli.pid, 0)
        stop.set()
        watcher.join()
        rss.join()
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"outreach alert send failed: {cli.stderr.read().decode()}")
        worker_cpu = cpu_seconds(worker.pid) - cpu_before
    sent, seconds, started = _timing(ctx, alert_id)
    ctx.engine.dispose()
    return {
        "messages": sent, "seconds": round(seconds, 2),
        "messages_per_second": round(sent / seconds, 1),
        "worker_cpu_ms_per_message": round(1000 * worker_cpu / max(sent, 1), 3),
        "first_message_seconds_from_cli_spawn": round(found.get("at", 0) - spawned, 3),
        "blast_created_seconds_from_cli_spawn": round(started - spawned, 3),
        "cli_peak_rss_mb": found.get("cli_peak_rss_mb"),
        "cli_cpu_ms_per_message": round(1000 * (usage.ru_utime + usage.ru_stime)
                                        / max(sent, 1), 3),
        "alert_id": alert_id,
    }


def _watch_rss(pid: int, stop: threading.Event, found: dict[str, Any]) -> None:
    """The CLI's own peak RSS (VmHWM, read until it exits). Not getrusage's ru_maxrss: Linux
    carries the forking parent's peak over exec, so that would report this benchmark's size."""
    while not stop.is_set():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            break
        peak = next((round(int(line.split()[1]) / 1024, 1) for line in status.splitlines()
                     if line.startswith("VmHWM:")), 0.0)  # none once it is a zombie
        found["cli_peak_rss_mb"] = max(peak, found.get("cli_peak_rss_mb", 0.0))
        time.sleep(0.005)


def _watch_first(sink: Any, found: dict[str, float], stop: threading.Event) -> None:
    since = sink.delivered()
    while not stop.is_set():
        if sink.delivered() > since:
            found["at"] = time.time()
            return
        time.sleep(0.002)


def _timing(ctx: AppContext, alert_id: int) -> tuple[int, float, float]:
    from outreach.db.models import Alert
    from outreach.sending.status import alert_status

    with ctx.sessions() as session:
        status = alert_status(session, alert_id)
        alert = session.get(Alert, alert_id)
        assert alert is not None and alert.started_at and alert.finished_at
        return (status["counts"]["sent"],
                (alert.finished_at - alert.started_at).total_seconds(),
                alert.started_at.timestamp())


def prerendered(settings: Settings, alert_id: int) -> list[tuple[str, str, bytes]]:
    """The run's messages, rendered before the clock starts (what smtplib alone would send)."""
    from sqlalchemy.orm import selectinload

    from outreach.db.models import Contact, Message
    from outreach.mail.compose import compose

    ctx = AppContext(settings)
    with ctx.sessions() as session:
        rows = session.execute(select(Message, Contact).join(Contact)
                               .where(Message.alert_id == alert_id)
                               .options(selectinload(Contact.outlet))).all()
        out = [(m.envelope_from, m.recipient, m.data) for m in
               (compose(message.variant, message.alert, contact, message.id, settings)
                for message, contact in rows)]
    ctx.engine.dispose()
    return out


def dkim_key(tmp: Path) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp / "dkim.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))
    return str(path)


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    name, url = make_database()
    prefix = f"outreach-bench-{uuid.uuid4().hex[:8]}:"
    summary: dict[str, Any] = {"recipients": args.recipients, "cpus": os.cpu_count(),
                               "outreach_help_seconds": help_seconds()}
    try:
        with smtp_sink_server() as sink, ExitStack() as stack:
            base = Settings(database_url=url, broker_url=REDIS_URL, smtp_url=sink.url,
                            secret_key="bench-secret-0123456789",
                            from_address="Press <press@example.org>", broker_prefix=prefix)
            with AppContext(base).sessions() as session:
                add_contacts(session, args.recipients, domain="example.net")
            tls = make_tls_material(tmp / "tls")
            for config in args.only:
                settings = _settings(config, base, sink, tls, tmp, stack)
                if config == "big":
                    with AppContext(base).sessions() as session:
                        add_contacts(session, args.big - args.recipients,
                                     start=args.recipients, domain="example.net")
                result = blast(settings, sink, tmp, args.concurrency)
                if config == "plain":
                    messages = prerendered(settings, result["alert_id"])
                    baseline = smtplib_baseline(sink.host, sink.port, messages)
                    result["baseline_messages_per_second"] = round(baseline.per_second, 1)
                    result["ratio"] = round(result["messages_per_second"]
                                            / baseline.per_second, 3)
                result.update(config=config, load_average=round(os.getloadavg()[0], 2))
                print(json.dumps(result), flush=True)
                summary[config] = result
    finally:
        drop_database(name)
        _drop_keys(prefix)
    return _summarise(summary)


def _settings(config: str, base: Settings, sink: Any, tls: Any, tmp: Path,
              stack: ExitStack) -> Settings:
    if config == "dkim":
        return base.replace(dkim_key_file=dkim_key(tmp), dkim_selector="bench",
                            dkim_domain="example.org")
    if config in ("proxy-plain", "starttls", "smtps"):
        mode = "plain" if config == "proxy-plain" else config
        proxy = stack.enter_context(tls_proxy((sink.host, sink.port), mode,
                                              tls.server_context()))
        return base.replace(smtp_url=proxy.url, smtp_ca_file=tls.ca_file)
    return base


def _summarise(s: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: s[k] for k in ("recipients", "cpus", "outreach_help_seconds")}

    def rate(config: str) -> float | None:
        return s[config]["messages_per_second"] if config in s else None

    if "plain" in s:
        plain = s["plain"]
        out.update({k: plain.get(k) for k in (
            "messages_per_second", "baseline_messages_per_second", "ratio",
            "worker_cpu_ms_per_message", "first_message_seconds_from_cli_spawn")})
        out["cli_peak_rss_mb"] = {str(s["recipients"]): plain["cli_peak_rss_mb"]}
    for config, reference in (("dkim", "plain"), ("starttls", "proxy-plain"),
                              ("smtps", "proxy-plain")):
        if config in s:
            out[config] = {"messages_per_second": rate(config),
                           "worker_cpu_ms_per_message": s[config]["worker_cpu_ms_per_message"],
                           f"ratio_to_{reference}": round(rate(config) / rate(reference), 3)
                           if reference in s else None}
    if "big" in s:
        out.setdefault("cli_peak_rss_mb", {})[str(s["big"]["messages"])] = \
            s["big"]["cli_peak_rss_mb"]
    out["load_average"] = round(os.getloadavg()[0], 2)
    return out


def _drop_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=50_000,
                        help="recipients of the last run, for the CLI's memory at that size")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="worker processes (default: the worker's own default)")
    parser.add_argument("--only", default=",".join(CONFIGS),
                        help=f"configurations to run, of {','.join(CONFIGS)}")
    args = parser.parse_args()
    args.only = [c for c in CONFIGS if c in args.only.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        summary = run(args, Path(tmp))
    print(json.dumps({"summary": summary}), flush=True)


if __name__ == "__main__":
    main()
