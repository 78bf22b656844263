"""CSV import into a real database (every test runs on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from outreach.contacts import bulk, lifecycle
from outreach.contacts.importer import import_csv
from outreach.db.models import Contact, ContactEvent, ContactLabel, Outlet, Suppression
from outreach.errors import UserError

DATA = Path(__file__).parents[1] / "data" / "contacts"
pytestmark = pytest.mark.integration


def contact(session: Session, email: str) -> Contact:
    found = session.scalar(select(Contact).where(Contact.email == email))
    assert found is not None, email
    return found


def counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0
                for m in (Contact, ContactLabel, Outlet, Suppression, ContactEvent)}


def snapshot(sessions: sessionmaker[Session]) -> list[Any]:
    with sessions() as s:
        rows = s.scalars(select(Contact).order_by(Contact.id))
        return [(c.email, c.name, c.role, c.outlet_id, c.country, c.language, c.attributes,
                 c.tags, c.beats, c.status, c.updated_at) for c in rows]


def write(tmp_path: Path, text: str, name: str = "c.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_messy_file(sessions: sessionmaker[Session]) -> None:
    report = import_csv(sessions, DATA / "messy-bom-semicolon.csv")
    assert (report.encoding, report.delimiter) == ("utf-8-sig", ";")
    assert (report.rows, report.created, report.duplicates, report.rejected) == (9, 4, 2, 3)
    assert [(e.line, e.field) for e in report.errors] == [
        (5, "email"), (9, "email"), (11, "country")]
    with sessions() as s:
        emails = s.scalars(select(Contact.email).order_by(Contact.email)).all()
        assert emails == ["anna.kiss@example.org", "mallory@example.net", "piotr@example.net",
                          "stray.spaces@example.org"]
        anna = contact(s, "anna.kiss@example.org")
        assert anna.name == "Anna Kiss"  # the first occurrence wins, duplicates fill blanks
        assert anna.tags == ["central-asia", "press", "urgent"]
        assert (anna.country, anna.language) == ("HU", "hu")
        assert anna.attributes == {"Twitter": "@annakiss"}
        piotr = contact(s, "piotr@example.net")
        assert piotr.name == "Piotr Nowak"
        assert piotr.outlet is not None and piotr.outlet.name == 'Gazeta "Przykład"'
        spacey = contact(s, "stray.spaces@example.org")
        assert (spacey.name, spacey.country, spacey.language) == ("Spacey Person", "HU", "hu")
        assert spacey.outlet_id == anna.outlet_id  # one outlet per name
        assert contact(s, "mallory@example.net").name.startswith("=HYPERLINK")


def test_windows_1251_and_1252_files(sessions: sessionmaker[Session]) -> None:
    cyr = import_csv(sessions, DATA / "cyrillic-cp1251.csv")
    west = import_csv(sessions, DATA / "western-cp1252.tsv")
    assert (cyr.encoding, cyr.created, west.encoding, west.created) == ("cp1251", 4, "cp1252", 4)
    with sessions() as s:
        olga = contact(s, "olga.petrova@example.org")
        assert (olga.name, olga.country, olga.language) == ("Ольга Петрова", "RU", "ru")
        assert olga.tags == ["пресса"] and olga.attributes == {"Заметки": "Пишет о судах"}
        assert contact(s, "aizhan.serikova@example.net").country == "KZ"
        assert contact(s, "soren.aberg@example.net").name == "Søren Åberg"
        assert contact(s, "jurgen.mueller@example.org").beats == ["justiz", "migration"]


def test_reimport_changes_nothing(sessions: sessionmaker[Session]) -> None:
    first = import_csv(sessions, DATA / "messy-bom-semicolon.csv")
    before, rows = counts(sessions), snapshot(sessions)
    again = import_csv(sessions, DATA / "messy-bom-semicolon.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)
    assert counts(sessions) == before and snapshot(sessions) == rows
    updated = import_csv(sessions, DATA / "messy-bom-semicolon.csv", update=True)
    assert (updated.updated, updated.unchanged) == (0, first.created)
    assert counts(sessions) == before and snapshot(sessions) == rows


def test_update_merges_new_fields(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    import_csv(sessions, write(tmp_path, "Email,Name,Role,Country,Tags,Notes\n"
                                         "a@example.org,Anna,Editor,HU,press,old\n"))
    newer = write(tmp_path, "Email,Role,Country,Tags,Outlet,Twitter\n"
                            "A@Example.org,Chief editor,,urgent,New Outlet,@anna\n", "new.csv")
    plain = import_csv(sessions, newer)
    assert (plain.updated, plain.unchanged) == (0, 1)
    with sessions() as s:
        assert contact(s, "a@example.org").role == "Editor"
    report = import_csv(sessions, newer, update=True)
    assert (report.updated, report.unchanged, report.outlets_created) == (1, 0, 1)
    with sessions() as s:
        a = contact(s, "a@example.org")
        assert (a.name, a.role, a.country) == ("Anna", "Chief editor", "HU")
        assert a.tags == ["press", "urgent"]
        assert a.outlet is not None and a.outlet.name == "New Outlet"
        assert a.attributes == {"Notes": "old", "Twitter": "@anna"}
        kinds = s.scalars(select(ContactEvent.kind).order_by(ContactEvent.id)).all()
        assert kinds == ["imported", "updated"]


def test_duplicates_across_batches(sessions: sessionmaker[Session], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("outreach.contacts.importer.BATCH_SIZE", 2)
    path = write(tmp_path, "Email,Name,Role,Tags,Outlet\n" + "".join(
        f"p{i}@example.org,P{i},,t{i},Outlet {i % 2}\n" for i in range(6))
        + "P1@EXAMPLE.ORG,Other,Reporter,extra,\np1@example.org,,,more,\n")
    report = import_csv(sessions, path)
    assert (report.created, report.duplicates, report.outlets_created) == (6, 2, 2)
    with sessions() as s:
        p1 = contact(s, "p1@example.org")
        assert (p1.name, p1.role, p1.tags) == ("P1", "Reporter", ["extra", "more", "t1"])
        assert s.scalar(select(func.count()).select_from(Outlet)) == 2


def test_outlets_created_once_per_name(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    import_csv(sessions, write(tmp_path, "Email,Media,Type\na@example.org,Példa Napló,ngo\n"
                                         "b@example.org,példa  NAPLÓ,journalist\n"))
    report = import_csv(sessions, write(tmp_path, "Email,Outlet\nc@example.org,PÉLDA NAPLÓ\n",
                                        "2.csv"))
    assert report.outlets_created == 0
    with sessions() as s:
        outlets = s.scalars(select(Outlet)).all()
        assert [(o.name, o.kind) for o in outlets] == [("Példa Napló", "ngo")]
        assert {c.outlet_id for c in s.scalars(select(Contact))} == {outlets[0].id}


def test_tags_option_and_source(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    import_csv(sessions, write(tmp_path, "Email,Tags\na@example.org,press\n"),
               tags=["Urgent", "central-asia"], source="list from Anna")
    with sessions() as s:
        a = contact(s, "a@example.org")
        assert (a.tags, a.source) == (["central-asia", "press", "urgent"], "list from Anna")


def test_suppressed_contact_stays_suppressed(sessions: sessionmaker[Session]) -> None:
    import_csv(sessions, DATA / "messy-bom-semicolon.csv")
    with sessions() as s:
        lifecycle.unsubscribe(s, contact(s, "anna.kiss@example.org"), "asked by phone")
        s.commit()
    rows = snapshot(sessions)
    report = import_csv(sessions, DATA / "messy-bom-semicolon.csv", update=True)
    assert report.suppressed == 1
    assert [(r.line, r.reason) for r in report.suppressed_rows] == [(2, "unsubscribed")]
    assert snapshot(sessions) == rows
    with sessions() as s:
        assert contact(s, "anna.kiss@example.org").status == "unsubscribed"


def test_erase_keeps_suppression_and_removes_personal_data(
        sessions: sessionmaker[Session]) -> None:
    import_csv(sessions, DATA / "messy-bom-semicolon.csv")
    with sessions() as s:
        anna = contact(s, "anna.kiss@example.org")
        anna_id, anna_hash = anna.id, anna.email_hash
        lifecycle.erase(s, anna)
        s.commit()
    with sessions() as s:
        gone = s.get(Contact, anna_id)
        assert gone is not None
        personal = (gone.email, gone.name, gone.first_name, gone.last_name, gone.role,
                    gone.outlet_id, gone.country, gone.language, gone.source)
        assert personal == (None,) * 9
        assert (gone.attributes, gone.labels, gone.status) == ({}, [], "erased")
        sup = s.scalar(select(Suppression).where(Suppression.address_hash == anna_hash))
        assert sup is not None and (sup.reason, sup.channel) == ("erased", "erase")
        with pytest.raises(UserError, match="erased"):
            lifecycle.find_contact(s, "Anna.Kiss@example.org")
    before = counts(sessions)
    report = import_csv(sessions, DATA / "messy-bom-semicolon.csv", update=True)
    assert (report.suppressed, report.suppressed_rows[0].reason) == (1, "erased")
    assert counts(sessions) == before


def test_dry_run_writes_nothing(sessions: sessionmaker[Session]) -> None:
    report = import_csv(sessions, DATA / "messy-bom-semicolon.csv", dry_run=True)
    assert (report.created, report.rejected, report.outlets_created) == (4, 3, 3)
    assert set(counts(sessions).values()) == {0}


@pytest.mark.parametrize(("name", "message"), [
    ("binary.xlsx", "not a text file"), ("no-email-column.csv", "no email column"),
    ("missing.csv", "no such file"),
])
def test_unreadable_file_writes_nothing(sessions: sessionmaker[Session], name: str,
                                        message: str) -> None:
    with pytest.raises(UserError, match=message):
        import_csv(sessions, DATA / name)
    assert set(counts(sessions).values()) == {0}


def test_empty_file(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no rows"):
        import_csv(sessions, write(tmp_path, "\n\n"))


def test_title_lines_above_the_header_are_skipped(sessions: sessionmaker[Session],
                                                   tmp_path: Path) -> None:
    path = write(tmp_path, "Press list,,\nspring 2025,,\nEmail,Name,Country\n"
                           "a@example.org,Anna,HU\nb@example,Bad,HU\n")
    report = import_csv(sessions, path)
    assert (report.rows, report.created, [e.line for e in report.errors]) == (2, 1, [5])


def test_concurrent_imports_of_one_file_wait_for_each_other(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """New contacts get their ids up front and go in without ON CONFLICT: that is safe only
    because an import holds the write lock until it commits, so a second import of the same
    addresses waits, then finds them all stored."""
    path = write(tmp_path, "Email,Tags\n" + "".join(f"c{i}@example.org,t{i}\n"
                                                   for i in range(30)))
    committing, go_on = threading.Event(), threading.Event()

    def pause(session: Session, report: Any) -> None:  # runs just before the first commits
        committing.set()
        go_on.wait(30)

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(import_csv, sessions, path, audit=pause)
        assert committing.wait(30)
        second = pool.submit(import_csv, sessions, path)
        time.sleep(1)  # the second import reaches the lock (if it did not, this proves nothing)
        go_on.set()
        assert first.result().created == 30
        again = second.result()
    assert (again.created, again.unchanged) == (0, 30)
    assert counts(sessions)["contacts"] == 30 and counts(sessions)["contact_labels"] == 30


def test_sqlite_statements_come_in_a_few_lengths(sessions: sessionmaker[Session], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """sqlite3 keeps 128 prepared statements, megabytes each for thousands of rows: batches
    with any number of labels must reuse a few statement lengths, or memory grows with the file
    (it reached 300 MB at 200,000 rows)."""
    monkeypatch.setattr("outreach.contacts.importer.BATCH_SIZE", 7)
    bulk._padded_insert.cache_clear()
    path = write(tmp_path, "Email,Tags\n" + "".join(
        f"s{i}@example.org,{';'.join(f't{k}' for k in range(i % 9))}\n" for i in range(300)))
    assert import_csv(sessions, path).created == 300
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ContactLabel)) == sum(
            i % 9 for i in range(300))
    if sessions.kw["bind"].dialect.name == "sqlite":
        lengths = bulk._padded_insert.cache_info().currsize
        assert 0 < lengths <= 3 * 2  # contacts, events, labels: 64 rows, or 128 for labels
