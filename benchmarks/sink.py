"""SMTP sinks for benchmarks, and the plain-smtplib baseline a blast is compared with.

- `smtp_sink_server()`: Postfix's `smtp-sink`, fetched without installing a mail server
  (`apt-get download postfix` + `dpkg -x` into ~/.cache/outreach/postfix/), run on
  127.0.0.1:<free port> with `-c` so that its running counters tell how many messages arrived.
  It takes thousands of 10 KB messages per second, so it is never the bottleneck.
- `aiosmtpd_sink_server()`: a counting aiosmtpd server, for comparison (much slower).
- `sample_messages(n)`: n pre-rendered ~10 KB messages; `smtplib_baseline(...)`: send them with
  plain `smtplib` over one connection and measure messages per second.

Run `python -m benchmarks.sink [N]` to print one JSON line per sink.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "outreach" / "postfix"
FROM = "bounces+b-bench@example.org"
_COUNTER = re.compile(rb"mesg=(\d+)")  # smtp-sink -c prints "sess=1 quit=1 mesg=5"


@dataclass
class SinkServer:
    host: str
    port: int
    _count: object  # () -> int

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def delivered(self) -> int:
        """Messages the sink has accepted so far."""
        return self._count()  # type: ignore[operator]

    def wait_for(self, count: int, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while (got := self.delivered()) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"sink got {got} of {count} messages in {timeout}s")
            time.sleep(0.01)
        return got


def smtp_sink_binary(cache: Path = CACHE) -> tuple[Path, dict[str, str]]:
    """Path of Postfix's smtp-sink and the environment it needs; downloads it once."""
    root = cache / "root"
    binary = root / "usr" / "sbin" / "smtp-sink"
    if not binary.exists():
        if not shutil.which("apt-get") or not shutil.which("dpkg"):
            raise RuntimeError("smtp-sink: needs apt-get and dpkg (Debian/Ubuntu) to fetch "
                               "Postfix's package")
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            _apt_download("postfix", Path(tmp))
            (deb,) = Path(tmp).glob("postfix_*.deb")
            subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    env = dict(os.environ, LD_LIBRARY_PATH=str(root / "usr" / "lib" / "postfix"))
    return binary, env


def _apt_download(package: str, directory: Path) -> None:
    """`apt-get download` (no install, no root needed); refresh the lists once if stale."""
    def download() -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["apt-get", "download", "-q", package], cwd=directory,
                              capture_output=True)

    result = download()
    if result.returncode != 0 and os.geteuid() == 0:
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
        result = download()
    if result.returncode != 0:
        raise RuntimeError(f"apt-get download {package} failed: "
                           f"{result.stderr.decode(errors='replace').strip()}")


@contextmanager
def smtp_sink_server(host: str = "127.0.0.1", backlog: int = 1000) -> Iterator[SinkServer]:
    """Run smtp-sink on a free port; `.delivered()` reads its `-c` counters."""
    binary, env = smtp_sink_binary()
    port = _free_port(host)
    args = [str(binary), "-c"]
    if os.geteuid() == 0:
        args += ["-u", "nobody"]  # as root it drops privileges, by default to "postfix"
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([*args, f"{host}:{port}", str(backlog)], stdout=out,
                                stderr=subprocess.PIPE, env=env)
        try:
            _wait_listening(host, port, proc)

            def count() -> int:
                tail = os.pread(out.fileno(), 200, max(0, os.fstat(out.fileno()).st_size - 200))
                found = _COUNTER.findall(tail)
                return int(found[-1]) if found else 0

            yield SinkServer(host, port, count)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@contextmanager
def aiosmtpd_sink_server(host: str = "127.0.0.1") -> Iterator[SinkServer]:
    """A counting aiosmtpd server (keeps nothing), for comparison with smtp-sink."""
    from aiosmtpd.controller import Controller

    lock, received = threading.Lock(), [0]

    class Counter:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            with lock:
                received[0] += 1
            return "250 2.0.0 Ok"

    controller = Controller(Counter(), hostname=host, port=_free_port(host))
    controller.start()
    try:
        yield SinkServer(host, controller.port, lambda: received[0])
    finally:
        controller.stop()


def sample_messages(n: int, size: int = 10_000) -> Iterator[tuple[str, str, bytes]]:
    """n (envelope_from, recipient, data) triples, ~`size` bytes each, CRLF line ends."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = "Press Office <press@example.org>"
    msg["To"] = "RECIPIENT"
    msg["Subject"] = "Urgent: benchmark alert"
    line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\n"
    msg.set_content(line * max(1, size // len(line)), cte="7bit")
    template = msg.as_bytes()
    for i in range(n):
        recipient = f"journalist{i}@example.net"
        yield FROM, recipient, template.replace(b"RECIPIENT", recipient.encode(), 1)


@dataclass(frozen=True)
class BaselineResult:
    messages: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def smtplib_baseline(host: str, port: int,
                     messages: Iterable[tuple[str, str, bytes]]) -> BaselineResult:
    """Send pre-rendered messages with plain smtplib over ONE connection; time it."""
    import smtplib

    batch = list(messages)
    start = time.perf_counter()
    with smtplib.SMTP(host, port, local_hostname="bench.example.org") as conn:
        for envelope_from, recipient, data in batch:
            conn.sendmail(envelope_from, [recipient], data)
    return BaselineResult(len(batch), time.perf_counter() - start)


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _wait_listening(host: str, port: int, proc: subprocess.Popen, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"smtp-sink exited with {proc.returncode}: {err.strip()}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"smtp-sink did not listen on {host}:{port} within {timeout}s")


def main(n: int = 10_000) -> None:
    from outreach.mta.smtp import SmtpSender

    messages = list(sample_messages(n))
    for name, server in (("smtp-sink", smtp_sink_server), ("aiosmtpd", aiosmtpd_sink_server)):
        with server() as sink:
            base = smtplib_baseline(sink.host, sink.port, messages)
            sink.wait_for(n)
            start = time.perf_counter()
            with SmtpSender(sink.url, local_hostname="bench.example.org") as sender:
                results = [sender.send(*m) for m in messages]
            adapter = time.perf_counter() - start
            sink.wait_for(2 * n)
            assert all(r.outcome == "sent" for r in results)
        print(json.dumps({
            "sink": name, "messages": n, "size_bytes": len(messages[0][2]),
            "smtplib_per_second": round(base.per_second, 1),
            "smtp_sender_per_second": round(n / adapter, 1),
        }), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
