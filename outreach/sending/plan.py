"""What a launch would do, said before it happens: recipients per language, suppressed
contacts skipped, lane and embargo.

The counts use `blast.audience_clause` and `not_suppressed`, the very conditions
`create_blast` inserts with, and the language split follows the same rule as its per-row
variant choice (the contact's language if the alert has it, else the default), so the number
a person confirms is the number of messages the send creates, unless contacts change between
the two (the confirmation names the count, and a launch whose count moved is refused).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from outreach.contacts.hygiene import stale_count
from outreach.contacts.segments import Segment
from outreach.contacts.suppression import not_suppressed
from outreach.db.models import Alert, Contact
from outreach.sending.blast import audience_clause


@dataclass(frozen=True)
class LaunchPlan:
    alert_id: int
    recipients: int
    suppressed: int
    by_language: dict[str, int] = field(default_factory=dict)
    everyone: bool = False  # no segment: the whole contact list
    segment: str = "all contacts"
    stale: int = 0  # recipients the last alerts did not reach (outreach.contacts.hygiene)

    def to_json(self) -> dict[str, Any]:
        return {"alert": self.alert_id, "recipients": self.recipients,
                "suppressed": self.suppressed, "by_language": self.by_language,
                "everyone": self.everyone, "segment": self.segment, "stale": self.stale}


def launch_plan(session: Session, alert: Alert) -> LaunchPlan:
    """Counts for the launch confirmation (two grouped queries, indexed)."""
    audience = audience_clause(alert)
    rows = session.execute(
        select(func.lower(Contact.language), func.count()).select_from(Contact)
        .where(audience, not_suppressed()).group_by(func.lower(Contact.language))).all()
    languages = {v.language for v in alert.variants}
    by_language: dict[str, int] = {}
    for language, count in rows:
        chosen = language if language in languages else alert.default_language
        by_language[chosen] = by_language.get(chosen, 0) + count
    suppressed = session.scalar(select(func.count()).select_from(Contact)
                                .where(audience, ~not_suppressed())) or 0
    segment = Segment.from_json(alert.segment)
    everyone = not segment.where and not segment.tags and alert.follow_up_of is None
    described = (f"follow-up of alert {alert.follow_up_of}" if alert.follow_up_of is not None
                 else _name(alert) or segment.describe())
    stale = stale_count(session, and_(audience, not_suppressed()))
    return LaunchPlan(alert.id, sum(by_language.values()), suppressed,
                      dict(sorted(by_language.items())), everyone, described, stale)


def _name(alert: Alert) -> str | None:
    name = (alert.segment or {}).get("name")
    return f"{name} ({Segment.from_json(alert.segment).describe()})" if name else None

