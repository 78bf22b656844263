"""Segments saved by name, shared by the console's segment builder and `--segment NAME`.

The definition is the same `Segment` JSON an alert stores, so a saved segment selects exactly
what `--where/--tag` with the same values would; an alert copies it (with the name, for
display) when it is created, so editing the saved one later never retargets that alert.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach.contacts.segments import Segment, segment_clause
from outreach.contacts.suppression import not_suppressed
from outreach.db.models import Contact, SavedSegment
from outreach.errors import UserError

_NAME_RE = re.compile(r"^[\w][\w .:-]{0,99}$")


@dataclass(frozen=True)
class SegmentCount:
    recipients: int  # would get an alert sent now
    suppressed: int  # match, but are on the suppression list (skipped)


def count_segment(session: Session, segment: Segment) -> SegmentCount:
    """Recipients and suppressed contacts of `segment`, as a blast would count them."""
    clause = segment_clause(segment) & Contact.email.is_not(None)
    base = select(func.count()).select_from(Contact)
    recipients = session.scalar(base.where(clause, not_suppressed())) or 0
    suppressed = session.scalar(base.where(clause, ~not_suppressed())) or 0
    return SegmentCount(recipients, suppressed)


def check_name(name: str) -> str:
    name = " ".join(name.split())
    if not _NAME_RE.match(name):
        raise UserError(f"segment name {name!r}: use letters, digits, spaces, '.', ':', '-' "
                        "(up to 100 characters)")
    return name


def save_segment(session: Session, name: str, segment: Segment, actor: str) -> SavedSegment:
    """Create or replace the segment called `name` (flushed, not committed)."""
    name = check_name(name)
    saved = session.scalar(select(SavedSegment).where(SavedSegment.name == name))
    if saved is None:
        saved = SavedSegment(name=name, created_by=actor[:320])
        session.add(saved)
    saved.definition = segment.to_json()
    session.flush()
    return saved


def load_segment(session: Session, name: str) -> Segment:
    """The saved segment `name` as a `Segment`, or a UserError listing the names there are."""
    saved = session.scalar(select(SavedSegment).where(SavedSegment.name == name.strip()))
    if saved is None:
        names = session.scalars(select(SavedSegment.name).order_by(SavedSegment.name)).all()
        known = ", ".join(names) if names else "none saved yet"
        raise UserError(f"--segment {name!r}: no saved segment with that name ({known})")
    return Segment.from_json(saved.definition)


def named_json(name: str, segment: Segment) -> dict[str, object]:
    """What an alert stores: the definition plus the name it was chosen by."""
    return {**segment.to_json(), "name": name}


def list_segments(session: Session) -> list[SavedSegment]:
    return list(session.scalars(select(SavedSegment).order_by(SavedSegment.name)))
