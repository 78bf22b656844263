"""Import benchmark: generate a 100,000-row contacts CSV and import it into a fresh database.

    .venv/bin/python benchmarks/import_benchmark.py [--rows N] [--postgres URL]

Prints one JSON line per database: backend, rows, seconds, rows_per_second (wall clock),
rows_per_cpu_second (rows over the client's CPU time: the steady figure on a shared machine;
PostgreSQL's own CPU is not in it), the process's peak RSS during the import and its growth
over the RSS before it (flat memory: the file is streamed in batches), the machine's load
average, and reimport_seconds (the same file again, which must change nothing).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from outreach.contacts.importer import import_csv
from outreach.db.session import make_engine, make_sessionmaker, upgrade

COUNTRIES = ["HU", "PL", "DE", "FR", "UA", "KZ", "RU", "GB", "ES", "Hungary", "Polska"]
LANGUAGES = ["hu", "pl", "de", "fr", "uk", "kk", "ru", "en", "es", "Magyar"]
TYPES = ["journalist", "ngo", "politician", "Journalist", "NGO"]
TAGS = ["press", "urgent", "central-asia", "eu", "radio", "tv", "print"]
FIRST = ["Anna", "Péter", "Zsófia", "Łukasz", "Jürgen", "Élodie", "Олена", "Айгерим", "Иван"]
LAST = ["Kovács", "Nowak", "Müller", "Lefèvre", "Шевченко", "Нұрланова", "Смирнов", "Smith"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["E-mail", "First name", "Last name", "Organisation", "Role", "Type",
                         "Country", "Language", "Tags", "Beats", "Phone"])
        for i in range(rows):
            writer.writerow([
                f"person{i}@example.org", rng.choice(FIRST), rng.choice(LAST),
                f"Outlet {rng.randrange(2000)}", "Editor", rng.choice(TYPES),
                rng.choice(COUNTRIES), rng.choice(LANGUAGES),
                "; ".join(rng.sample(TAGS, 2)), "human rights, courts", f"+36 1 {i:07d}",
            ])


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def reset_peak_rss() -> float:
    """Reset the kernel's peak-RSS mark (VmHWM) for this process; returns the current RSS."""
    with contextlib.suppress(OSError):  # not Linux: the peak then includes earlier work
        Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    return _status_mb("VmHWM")


def fresh_postgres(url: str) -> tuple[str, str]:
    name = f"outreach_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False), name


def drop_postgres(url: str, name: str) -> None:
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run(backend: str, url: str, csv_path: Path) -> None:
    """Import into a fresh database, then again (which must change nothing); one JSON line."""
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    rss_before = reset_peak_rss()
    cpu = time.process_time()
    first = import_csv(sessions, csv_path)
    cpu = time.process_time() - cpu
    peak = peak_rss_mb()
    again = import_csv(sessions, csv_path)
    assert first.created == first.rows and again.unchanged == first.rows
    print(json.dumps({
        "backend": backend, "rows": first.rows, "seconds": round(first.seconds, 2),
        "rows_per_second": round(first.rows / first.seconds),
        "rows_per_cpu_second": round(first.rows / cpu),
        "client_cpu_seconds": round(cpu, 2), "reimport_seconds": round(again.seconds, 2),
        "peak_rss_mb": peak, "rss_growth_mb": round(peak - rss_before, 1),
        "load_average": os.getloadavg()[0],
    }), flush=True)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get(
        "OUTREACH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
                        help="PostgreSQL server to benchmark on ('' to skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "contacts.csv"
        generate(csv_path, args.rows)
        run("sqlite", f"sqlite:///{Path(tmp) / 'bench.sqlite'}", csv_path)
        if args.postgres:
            url, name = fresh_postgres(args.postgres)
            try:
                run("postgresql", url, csv_path)
            finally:
                drop_postgres(args.postgres, name)


if __name__ == "__main__":
    main()
