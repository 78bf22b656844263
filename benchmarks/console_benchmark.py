"""Organiser console benchmark: 100,000 contacts and 50 alerts, the console's pages timed.

    .venv/bin/python benchmarks/console_benchmark.py [--contacts N] [--alerts N]
                                                     [--postgres URL] [--sqlite]

Seeds a fresh database as `dashboard_benchmark.py` does (contacts in 2,000 outlets, one alert
sent to everyone with 1 % replies, 49 smaller ones), adds a `press` tag to a third of the
contacts, some unmatched inbound mail, a saved segment and a two-language draft compiled by
the real editor path. Then times, through Flask's test client with a logged-in session, the
contacts, contact, alert, editor, launch, inbox, segment-count and preview pages (first run
and best of 5), next to a raw baseline run the same way: `GET /healthz` (the framework and
one database round trip) and, for counts, the bare `SELECT count(*)` the count is made of.
Prints one JSON line per backend (PostgreSQL by default; `--sqlite` adds SQLite).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, text, update
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.dashboard_benchmark import PASSWORD, T0, seed
from benchmarks.import_benchmark import drop_postgres, fresh_postgres
from outreach.alerts.create import create_from_sources
from outreach.alerts.source import from_fields
from outreach.config import Settings
from outreach.contacts.saved import save_segment
from outreach.contacts.segments import parse_segment
from outreach.db.models import Alert, Contact, ContactLabel, InboundMail
from outreach.db.session import make_engine, make_sessionmaker, upgrade
from outreach.web.app import create_app

RUNS = 5
BODY = ("# Journalist detained\n\nDear {{ contact.name | default('colleague') }},\n\n"
        "our colleague **was detained** this morning in [the capital](https://example.org/a).\n"
        "\n{% if contact.outlet %}Your readers at {{ contact.outlet }} may want to know.{% endif %}"
        "\n\n- one\n- two\n- three\n")


def extras(engine: Engine, contacts: int, settings: Settings, rng: random.Random) -> int:
    """Tags, unmatched mail, a saved segment, a two-language draft; returns the draft's id."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # the seed gave explicit ids
            for table in ("outlets", "contacts", "alerts", "messages", "inbound_mail"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
        # as `create_blast` and the workers leave them (the dashboard seed leaves them empty)
        conn.execute(update(Alert).values(started_at=T0, created_by="bench"))
        conn.execute(update(Alert).where(Alert.state == "done")
                     .values(finished_at=T0 + timedelta(minutes=10)))
        rows = [{"contact_id": i, "kind": "tag", "value": "press"}
                for i in range(1, contacts + 1) if i % 3 == 0]
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(ContactLabel), rows[start:start + 10_000])
        conn.execute(insert(InboundMail), [
            {"external_id": f"unmatched-{i}", "kind": "unmatched", "sender": f"x{i}@example.com",
             "subject": "Hello", "received_at": T0} for i in range(500)])
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        save_segment(session, "Press HU", parse_segment(["tag=press", "country=HU"]), "bench")
        sources = [from_fields("en body", {"subject": "Urgent: detained", "language": "en"},
                               BODY),
                   from_fields("ru body", {"subject": "Срочно", "language": "ru"}, BODY)]
        alert = create_from_sources(session, settings, sources,
                                    segment={"where": [["tag", ["press"]]], "tags": [],
                                             "name": "Press"}, created_by="bench")
        session.commit()
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        return alert.id


def _time(fn: Any) -> dict[str, float]:
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - start) * 1000)
    return {"first_ms": round(timings[0], 1), "best_ms": round(min(timings), 1)}


def _client(settings: Settings) -> Any:
    client = create_app(settings).test_client()
    page = client.get("/dashboard/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/dashboard/login", data={"password": PASSWORD, "csrf_token": token}
                       ).status_code == 302
    page = client.get("/dashboard/inbox").get_data(as_text=True)  # the session's new token
    return client, page.split('name="csrf_token" value="')[1].split('"')[0]


def measure(url: str, contacts: int, alerts: int) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    settings = Settings(database_url=url, secret_key="bench-secret-0123456789abcdef",
                        dashboard_password=PASSWORD, broker_url="redis://127.0.0.1:1/0")
    started = time.perf_counter()
    big = seed(engine, contacts, alerts, random.Random(7))
    draft = extras(engine, contacts, settings, random.Random(8))
    seeded = time.perf_counter() - started
    client, token = _client(settings)

    def get(path: str) -> Any:
        def run() -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        return run

    pages = {
        "contacts": "/dashboard/contacts",
        "contacts_search": "/dashboard/contacts?q=c4242",
        "contact_page": f"/dashboard/contacts/{contacts // 2}",
        "alerts": "/dashboard/alerts",
        "alert_big": f"/dashboard/alerts/{big}",
        "alert_editor": f"/dashboard/alerts/{draft}/edit",
        "launch_page": f"/dashboard/alerts/{draft}/launch",
        "follow_up_page": f"/dashboard/alerts/{big}/follow-up",
        "inbox": "/dashboard/inbox",
        "inbox_alert_all": f"/dashboard/inbox?alert={big}&handled=",
        "inbox_unmatched": "/dashboard/inbox?show=unmatched&handled=",
        "segment_builder": "/dashboard/segments?tag=press&country=HU",
        "segment_count_json": "/dashboard/segments/count.json?tag=press&country=HU,PL",
        "segment_count_everyone": "/dashboard/segments/count.json",
        "preview_stored_ru": f"/dashboard/alerts/{draft}/preview?preview_language=ru",
        "preview_stored_contact":
            f"/dashboard/alerts/{draft}/preview?contact=c{contacts // 3}%40example.org",
    }
    timings = {name: _time(get(path)) for name, path in pages.items()}
    form = {"csrf_token": token, "languages": "en,ru", "subject-en": "Urgent", "body-en": BODY,
            "subject-ru": "Срочно", "body-ru": BODY, "preview_language": "ru"}

    def unsaved() -> None:  # the live preview: compiles both languages, premailer included
        assert client.post("/dashboard/alerts/preview", data=form).status_code == 200

    timings["preview_unsaved_live"] = _time(unsaved)
    baseline = _time(get("/healthz"))
    sessions = make_sessionmaker(engine)

    def raw_count() -> None:
        with sessions() as session:
            session.scalar(select(func.count()).select_from(Contact))

    raw = _time(raw_count)
    engine.dispose()
    ratios = {name: round(t["best_ms"] / max(baseline["best_ms"], 0.01), 1)
              for name, t in timings.items()}
    return {"backend": make_url(url).get_backend_name(), "contacts": contacts, "alerts": alerts,
            "seed_seconds": round(seeded, 1), "pages": timings,
            "baseline_healthz": baseline, "baseline_raw_count_contacts": raw,
            "ratio_to_healthz": ratios,
            "slowest_page_best_ms": max(t["best_ms"] for n, t in timings.items()
                                        if not n.startswith("preview")),
            "slowest_preview_best_ms": max(t["best_ms"] for n, t in timings.items()
                                           if n.startswith("preview"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--alerts", type=int, default=50)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="admin URL (a fresh database is created and dropped)")
    parser.add_argument("--sqlite", action="store_true", help="also run on SQLite")
    args = parser.parse_args()
    url, name = fresh_postgres(args.postgres)
    try:
        print(json.dumps(measure(url, args.contacts, args.alerts)), flush=True)
    finally:
        drop_postgres(args.postgres, name)
    if args.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
            print(json.dumps(measure(url, args.contacts, args.alerts)), flush=True)


if __name__ == "__main__":
    main()
