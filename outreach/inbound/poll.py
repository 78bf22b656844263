"""One pass over the inbound mailbox: parse, classify, match, record, COMMIT, then mark done.

The order is the crash-safety argument: a message is flagged (or moved) on the server only
after its record is committed. Dying in between leaves it unflagged; the next poll reads it
again and the unique external_id makes recording it a no-op. So nothing is lost and nothing is
recorded twice. A message that cannot be parsed is recorded as `unparseable` (and reported);
one whose recording fails (database down) is left unflagged for the next poll.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from outreach.config import Settings
from outreach.context import AppContext
from outreach.inbound.classify import Classification, classify
from outreach.inbound.imap import Mailbox, imap_config
from outreach.inbound.matching import UNMATCHED, match, tagged_role
from outreach.inbound.parse import InboundParsed, parse
from outreach.inbound.record import Recorded, already_recorded, record

log = logging.getLogger(__name__)


@dataclass
class PollReport:
    seen: int = 0
    recorded: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    suppressed: int = 0
    failed: list[str] = field(default_factory=list)  # uid: error, left for the next poll
    unparseable: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"seen": self.seen, "recorded": dict(sorted(self.recorded.items())),
                "duplicates": self.duplicates, "suppressed": self.suppressed,
                "failed": self.failed, "unparseable": self.unparseable}


def poll_mailbox(app_ctx: AppContext, *, limit: int | None = None) -> PollReport:
    """Process every unprocessed message (at most `limit`) of the configured mailbox."""
    settings = app_ctx.settings
    config = imap_config(settings)
    sessions = app_ctx.checked_sessions()
    soft_limit = settings.soft_bounce_limit
    report = PollReport()
    with Mailbox(config) as box:
        uids = box.unprocessed()[:limit] if limit else box.unprocessed()
        done: list[int] = []
        for uid, raw in box.fetch(uids):
            report.seen += 1
            if process_one(sessions, settings, uid, raw, report, soft_limit=soft_limit):
                done.append(uid)
            if len(done) >= config.chunk:
                box.mark_done(done)
                done = []
        box.mark_done(done)
    return report


def process_one(sessions: sessionmaker[Session], settings: Settings, uid: int, raw: bytes,
                report: PollReport, *, soft_limit: int) -> bool:
    """Record one raw message in its own transaction; True once it is safely committed."""
    parsed = parse(raw)
    try:
        with sessions() as session:
            result = _analyse_and_record(session, settings, parsed, uid, soft_limit)
            session.commit()
    except IntegrityError:
        if not _recorded_meanwhile(sessions, parsed):
            return _failed(report, uid, "integrity error")
        report.duplicates += 1  # another poller recorded it between our check and our commit
        return True
    except Exception as exc:
        return _failed(report, uid, f"{type(exc).__name__}: {exc}")
    if not result.new:
        report.duplicates += 1
        return True
    report.recorded[result.kind] += 1
    report.suppressed += int(result.suppressed)
    if result.kind == "unparseable":
        report.unparseable.append(f"uid {uid}: {parsed.error}")
    return True


def _recorded_meanwhile(sessions: sessionmaker[Session], parsed: InboundParsed) -> bool:
    with sessions() as session:
        return already_recorded(session, parsed)


def _failed(report: PollReport, uid: int, why: str) -> bool:
    log.exception("inbound uid %s: recording failed, left for the next poll", uid)
    report.failed.append(f"{uid}: {why}")
    return False


def _analyse_and_record(session: Session, settings: Settings, parsed: InboundParsed,
                        uid: int, soft_limit: int) -> Recorded:
    try:
        tagged = tagged_role(settings, parsed)
        verdict = classify(parsed, tagged[0] if tagged else None)
        found = match(session, settings, parsed, verdict, tagged)
    except Exception as exc:  # a bug or a pathological message: keep it, say why
        log.exception("inbound uid %s: cannot analyse", uid)
        session.rollback()
        parsed.error = parsed.error or f"cannot analyse: {type(exc).__name__}: {exc}"
        verdict, found = Classification("unparseable", reason=parsed.error), UNMATCHED
    return record(session, parsed, verdict, found, uid=uid, soft_limit=soft_limit,
                  guard=settings)
