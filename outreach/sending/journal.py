"""The record journal: how outcomes commit asynchronously and still survive a database crash.

Recording each outcome with PostgreSQL's `synchronous_commit = off` is what keeps a worker
near the speed of the SMTP server (a durable commit waits for an fsync: about 3x slower here).
The price is that a database crash may forget the last fraction of a second of commits: a
recorded "sent" (or the claim before it) can vanish after the worker has moved on, and the
message would go out again, unflagged. The journal closes that hole:

- every outcome is written to this process's journal before it is recorded;
- about every OUTREACH_HEARTBEAT_SECONDS the keeper's heartbeat commits *synchronously*: when
  that returns, the WAL is flushed up to it, so every commit acknowledged before it began is
  durable, and the journal forgets those entries (it holds a couple of seconds of outcomes);
- after any database error, once the database answers again, the journal is replayed (by the
  batch that saw the error and by the keeper): each outcome is written again where the row
  still shows it unrecorded (`queued`, the claim lost too; or `sending` under this claim).
  Replaying is idempotent; a row that someone else has claimed or sent since is flagged
  `uncertain` instead, because it may now go, or have gone, twice;
- and the sweepers wait a few heartbeats after an outage before publishing anything, so the
  workers' replays come first.
The one message on the wire when the database went down is the batch's own record retry, as
before. SQLite commits durably (no journal needed).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from outreach.sending.record import Outcome

SETTLE_HEARTBEATS = 3  # heartbeats a sweeper waits after an outage before it publishes


@dataclass
class Entry:
    message_id: int
    token: str
    outcome: Outcome
    at: datetime
    header: str | None
    acked: float | None = None  # monotonic time the record was acknowledged


@dataclass
class RecordJournal:
    """Outcomes of this process not yet known to be durable; thread-safe."""

    entries: dict[int, Entry] = field(default_factory=dict)
    outages: int = 0  # how many database errors this process has seen (an epoch counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: Entry) -> None:
        with self._lock:
            self.entries[entry.message_id] = entry

    def acked(self, message_id: int, at: float) -> None:
        with self._lock:
            entry = self.entries.get(message_id)
            if entry is not None:
                entry.acked = at

    def durable_before(self, barrier: float) -> None:
        """A synchronous commit that began at `barrier` succeeded: older records are safe."""
        with self._lock:
            for key in [k for k, e in self.entries.items()
                        if e.acked is not None and e.acked < barrier]:
                del self.entries[key]

    def outage(self) -> None:
        with self._lock:
            self.outages += 1

    def snapshot(self) -> list[Entry]:
        with self._lock:
            return sorted(self.entries.values(), key=lambda e: e.message_id)


# Write the outcome where the row still shows it unrecorded: `sending` under this claim (the
# record was lost), or `queued`/`deferred` not by this very record (the claim was lost too).
_PG_REPLAY = """
WITH changed AS (
  UPDATE messages SET status = %(status)s, smtp_code = %(code)s, smtp_text = %(text)s,
    lease_until = NULL, enqueued_at = NULL, updated_at = %(now)s, claimed_by = %(token)s,
    next_attempt_at = %(next_attempt_at)s, uncertain = uncertain OR %(uncertain)s,
    sent_at = COALESCE(%(sent_at)s, sent_at),
    message_id_header = COALESCE(%(header)s, message_id_header)
  WHERE id = %(id)s AND (
    (status = 'sending' AND claimed_by = %(token)s)
    OR (status IN ('queued', 'deferred') AND NOT (status = %(status)s AND updated_at = %(now)s)))
  RETURNING id)
INSERT INTO message_events (message_id, kind, from_status, to_status, smtp_code, detail, at)
SELECT id, %(kind)s, 'sending', %(status)s, %(code)s, %(detail)s, %(now)s FROM changed
"""
# Taken by someone else since (claimed, or even sent): it may go or have gone twice.
_PG_FLAG = """
UPDATE messages SET uncertain = true
WHERE id = %(id)s AND claimed_by IS DISTINCT FROM %(token)s AND status IN ('sending', 'sent')
  AND %(status)s = 'sent' AND NOT uncertain
"""


def replay(conn: Connection, entries: list[Entry]) -> int:
    """Write again every journalled outcome the database may have lost (PostgreSQL, AUTOCOMMIT
    connection); returns how many rows it changed or flagged."""
    changed = 0
    for entry in entries:
        params = _replay_params(entry)
        changed += conn.exec_driver_sql(_PG_REPLAY, params).rowcount or 0
        changed += conn.exec_driver_sql(_PG_FLAG, params).rowcount or 0
    if conn.in_transaction():
        conn.commit()
    return changed


def _replay_params(entry: Entry) -> dict[str, object]:
    outcome, now = entry.outcome, entry.at
    return {
        "id": entry.message_id, "token": entry.token, "status": outcome.status,
        "code": outcome.code, "text": outcome.text, "now": now,
        "next_attempt_at": outcome.next_attempt_at, "uncertain": outcome.uncertain,
        "sent_at": now if outcome.status == "sent" else None, "header": entry.header,
        "kind": outcome.event.removeprefix("smtp_"), "detail": outcome.text[:500],
    }
