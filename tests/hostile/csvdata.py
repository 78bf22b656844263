"""CSV files for the hostile import tests, and the database counts they check."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from outreach.db.models import Contact

HEADER = "Email,Name,Outlet,Notes\n"


def rows(count: int, start: int = 0) -> list[str]:
    return [f"person{i}@example.org,Person {i},Example Daily,note {i}\n"
            for i in range(start, start + count)]


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes("".join(lines).encode(encoding))
    return path


def contact_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Contact)) or 0


def emails(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(Contact.email)))
