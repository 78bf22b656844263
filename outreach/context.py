"""What an entrypoint builds once and passes down: settings, engine and session factory."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from outreach.config import Settings
from outreach.db.session import ensure_current, make_engine, make_sessionmaker


@dataclass
class AppContext:
    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_sessionmaker(self.engine)

    def checked_sessions(self) -> sessionmaker[Session]:
        """The session factory, after checking the schema is current (plain error if not)."""
        ensure_current(self.engine)
        return self.sessions
