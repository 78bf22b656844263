"""Dashboard and report benchmark: 100,000 contacts and 50 alerts, pages timed.

    .venv/bin/python benchmarks/dashboard_benchmark.py [--contacts N] [--alerts N]
                                                       [--postgres URL]

Seeds a fresh database with bulk inserts: contacts (70 % in one of 2,000 outlets), one alert
sent to every contact (with send events, 1 % replies, 2 % bounces), and the other alerts to
2,000 contacts each. Then times, through Flask's test client with a logged-in session, each
dashboard page and JSON endpoint (best of 3 and first run), and `reach_report` by outlet.
Prints one JSON line per backend.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.import_benchmark import drop_postgres, fresh_postgres
from outreach.config import Settings
from outreach.contacts.addresses import address_hash
from outreach.db.models import Alert, Contact, InboundMail, Message, MessageEvent, Outlet
from outreach.db.session import make_engine, make_sessionmaker, upgrade
from outreach.reports.reach import reach_report
from outreach.web.app import create_app

PASSWORD = "benchmark-password"
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CHUNK = 10_000


def _chunks(rows: list[dict[str, Any]]) -> Any:
    for i in range(0, len(rows), CHUNK):
        yield rows[i:i + CHUNK]


def _bulk(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        for chunk in _chunks(rows):
            conn.execute(insert(table), chunk)


def seed(engine: Engine, contacts: int, alerts: int, rng: random.Random) -> int:
    """Returns the id of the big alert (sent to every contact)."""
    _bulk(engine, Outlet.__table__, [
        {"id": i, "name": f"Outlet {i}", "name_key": f"outlet {i}", "kind": "media",
         "country": rng.choice(["HU", "PL", "DE", "GB"]), "created_at": T0}
        for i in range(1, 2001)])
    emails = {i: f"c{i}@{'example.org' if i % 3 else 'example.net'}"
              for i in range(1, contacts + 1)}
    _bulk(engine, Contact.__table__, [
        {"id": i, "email": emails[i], "email_hash": address_hash(emails[i]),
         "name": f"Contact {i}",
         "outlet_id": rng.randint(1, 2000) if rng.random() < 0.7 else None,
         "type": rng.choice(["journalist", "ngo", "other"]),
         "country": rng.choice(["HU", "PL", "DE", "GB", None]),
         "language": rng.choice(["en", "hu", "pl", None]), "attributes": {},
         "status": "active", "created_at": T0, "updated_at": T0}
        for i in range(1, contacts + 1)])
    _bulk(engine, Alert.__table__, [
        {"id": a, "title": f"Alert {a}", "default_language": "en",
         "state": "sending" if a == 1 else "done", "urgent": False, "segment": {},
         "track_opens": False, "track_clicks": False, "created_at": T0}
        for a in range(1, alerts + 1)])
    messages, events, inbound = [], [], []
    mid = 0
    for a in range(1, alerts + 1):
        targets = range(1, contacts + 1) if a == 1 else rng.sample(range(1, contacts + 1), 2000)
        for c in targets:
            mid += 1
            status = rng.choices(["sent", "bounced", "deferred", "queued"], [90, 2, 3, 5])[0]
            at = T0 + timedelta(seconds=mid % 600)
            messages.append({"id": mid, "alert_id": a, "contact_id": c, "status": status,
                             "attempts": 1, "uncertain": False, "created_at": T0,
                             "updated_at": at})
            if a == 1 and status != "queued":
                events.append({"message_id": mid, "kind": "smtp_" + status,
                               "from_status": "sending", "to_status": status, "at": at})
                if status == "sent" and rng.random() < 0.01:
                    inbound.append({"external_id": f"bench-{mid}", "kind": "reply",
                                    "message_id": mid, "contact_id": c, "alert_id": a,
                                    "text": "Interested, call me.", "received_at": at})
    _bulk(engine, Message.__table__, messages)
    _bulk(engine, MessageEvent.__table__, events)
    _bulk(engine, InboundMail.__table__, inbound)
    with engine.begin() as conn:  # fresh statistics, as a running database would have
        conn.execute(text("ANALYZE"))
    return 1


def _time(fn: Any, runs: int = 3) -> dict[str, float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - start) * 1000)
    return {"first_ms": round(timings[0], 1), "best_ms": round(min(timings), 1)}


def measure(url: str, contacts: int, alerts: int) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    big = seed(engine, contacts, alerts, random.Random(7))
    seeded = time.perf_counter() - started
    settings = Settings(database_url=url, secret_key="bench-secret-0123456789abcdef",
                        dashboard_password=PASSWORD)
    app = create_app(settings)
    client = app.test_client()
    page = client.get("/dashboard/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/dashboard/login", data={"password": PASSWORD, "csrf_token": token}
                       ).status_code == 302

    def get(path: str) -> Any:
        def run() -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        return run

    pages = {
        "alerts": "/dashboard/alerts", "alerts.json": "/dashboard/alerts.json",
        "alert_big": f"/dashboard/alerts/{big}", "alert_big.json": f"/dashboard/alerts/{big}.json",
        "alert_big_not_reached": f"/dashboard/alerts/{big}?reach=not_reached&country=HU",
        "alert_small": f"/dashboard/alerts/{alerts}",
        "contacts": "/dashboard/contacts", "contacts_page_1000": "/dashboard/contacts?after=50000",
        "contacts_search_email": "/dashboard/contacts?q=c4242",
        "contacts_search_name": "/dashboard/contacts?q=contact%2099999",
        "contacts_suppressed": "/dashboard/contacts?suppressed=yes",
    }
    timings = {name: _time(get(path)) for name, path in pages.items()}
    sessions = make_sessionmaker(engine)

    def report() -> None:
        with sessions() as session:
            reach_report(session, big, "outlet")

    timings["reach_report_outlet"] = _time(report)
    engine.dispose()
    return {"backend": make_url(url).get_backend_name(), "contacts": contacts, "alerts": alerts,
            "seed_seconds": round(seeded, 1), "pages": timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--alerts", type=int, default=50)
    parser.add_argument("--postgres", help="admin URL, e.g. postgresql://postgres@127.0.0.1/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        print(json.dumps(measure(url, args.contacts, args.alerts)), flush=True)
    if args.postgres:
        url, name = fresh_postgres(args.postgres)
        try:
            print(json.dumps(measure(url, args.contacts, args.alerts)), flush=True)
        finally:
            drop_postgres(args.postgres, name)


if __name__ == "__main__":
    main()
