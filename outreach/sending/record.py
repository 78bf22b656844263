"""Recording SMTP outcomes right after the server's replies: one short transaction.

The row is updated only while this worker still holds the claim (`claimed_by` = its token,
status `sending`), and the event is appended in the same transaction; on PostgreSQL both are
one statement (a data-modifying CTE), so a record costs one round trip plus the commit.
`record_outcomes` writes the outcomes of one round (one message per SMTP connection, sent at
the same time: outreach.sending.deliver) in that one statement and one commit.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from sqlalchemy import Connection, Engine, insert, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from outreach.config import Settings
from outreach.contacts.suppression import suppress
from outreach.db.models import Contact, Message, MessageEvent
from outreach.sending.claim import Claimed
from outreach.sending.config import SendingConfig, backoff_seconds, gives_up
from outreach.sending.guard.rules import is_policy_rejection
from outreach.sending.guard.watch import Decision, watch_smtp
from outreach.sending.states import next_status
from outreach.webhooks.events import emit
from outreach.webhooks.payloads import contact_data

log = logging.getLogger(__name__)
_EVENT_FOR_OUTCOME = {"sent": "smtp_sent", "bounced": "smtp_bounced", "deferred": "smtp_deferred"}


@dataclass(frozen=True)
class Outcome:
    """What to write for one message: the event, its target status and the retry time."""

    event: str
    status: str
    code: int
    text: str
    uncertain: bool
    next_attempt_at: datetime | None = None
    counts_attempt: bool = True  # False when the message never reached the server (throttled)


@dataclass(frozen=True)
class Record:
    """One message's outcome to write (with its Message-ID header once it went out)."""

    message_id: int
    outcome: Outcome
    header: str | None = None


def plan_outcome(outcome: str, code: int, text: str, uncertain: bool, *, attempts: int,
                 first_attempt_at: datetime, now: datetime, config: SendingConfig,
                 rng: random.Random | None = None) -> Outcome:
    """Pure: SMTP outcome -> state machine event, status and (for retries) next attempt time."""
    event = _EVENT_FOR_OUTCOME[outcome]
    if event == "smtp_bounced" and is_policy_rejection(code, text):
        event = "smtp_deferred"  # the provider refuses the sender, not the address (guard)
    retry_at = None
    if event == "smtp_deferred":
        if gives_up(first_attempt_at, now, config.give_up_seconds):
            event = "give_up"
        else:
            delay = backoff_seconds(config.retry_schedule, attempts, config.retry_jitter, rng)
            retry_at = now + timedelta(seconds=delay)
    return Outcome(event, next_status("sending", event), code, text[:2000], uncertain, retry_at)


def record_outcome(conn: Connection, message_id: int, token: str, outcome: Outcome,
                   now: datetime, message_id_header: str | None = None) -> bool:
    """Write one outcome if this worker still holds the claim. False if it lost the claim."""
    return message_id in record_outcomes(conn, token, [Record(message_id, outcome,
                                                              message_id_header)], now)


def record_outcomes(conn: Connection, token: str, records: Sequence[Record],
                    now: datetime) -> set[int]:
    """Write several outcomes of one claim at once, each only if this worker still holds
    it; the ids written (the others' claims were lost). One transaction: all or none.

    `conn` is a Core connection: on PostgreSQL in AUTOCOMMIT mode, where the single
    UPDATE+INSERT statement is its own transaction (one round trip); on SQLite the
    statements run in one short transaction here.
    """
    if not records:
        return set()
    if conn.dialect.name == "postgresql":
        return _record_many_pg(conn, token, records, now)
    done = set()
    with conn.begin():
        for record in records:
            changed = (update(Message)
                       .where(Message.id == record.message_id, Message.claimed_by == token,
                              Message.status == "sending")
                       .values(**_values(record.outcome, now, record.header))
                       .returning(Message.id))
            if conn.execute(changed).first() is not None:
                conn.execute(insert(MessageEvent).values(message_id=record.message_id,
                                                         **_event(record.outcome, now)))
                done.add(record.message_id)
    return done


def _event(outcome: Outcome, now: datetime) -> dict[str, object]:
    return {"kind": outcome.event.removeprefix("smtp_"), "from_status": "sending",
            "to_status": outcome.status, "smtp_code": outcome.code,
            "detail": outcome.text[:500], "at": now}


# Several outcomes of one claim in one statement: the rows as arrays, joined with `unnest`.
_PG_RECORD_MANY = """
WITH input AS (
  SELECT * FROM unnest(%(ids)s::bigint[], %(statuses)s::text[], %(codes)s::int[],
    %(texts)s::text[], %(next_attempts)s::timestamptz[], %(uncertain)s::bool[],
    %(refunds)s::int[], %(sent)s::bool[], %(headers)s::text[], %(kinds)s::text[],
    %(details)s::text[])
  AS i(id, status, code, text, next_attempt_at, uncertain, refund, sent, header, kind, detail)),
changed AS (
  UPDATE messages m SET status = i.status, smtp_code = i.code, smtp_text = i.text,
    lease_until = NULL, enqueued_at = NULL, updated_at = %(now)s,
    next_attempt_at = i.next_attempt_at, uncertain = m.uncertain OR i.uncertain,
    attempts = m.attempts - i.refund,
    sent_at = CASE WHEN i.sent THEN %(now)s ELSE m.sent_at END,
    message_id_header = COALESCE(i.header, m.message_id_header)
  FROM input i
  WHERE m.id = i.id AND m.claimed_by = %(token)s AND m.status = 'sending'
  RETURNING m.id, i.kind, i.status, i.code, i.detail)
INSERT INTO message_events (message_id, kind, from_status, to_status, smtp_code, detail, at)
SELECT id, kind, 'sending', status, code, detail, %(now)s FROM changed
RETURNING message_id
"""


def _many_params(token: str, records: Sequence[Record], now: datetime) -> dict[str, object]:
    outcomes = [r.outcome for r in records]
    return {
        "token": token, "now": now, "ids": [r.message_id for r in records],
        "statuses": [o.status for o in outcomes], "codes": [o.code for o in outcomes],
        "texts": [o.text for o in outcomes],
        "next_attempts": [o.next_attempt_at for o in outcomes],
        "uncertain": [o.uncertain for o in outcomes],
        "refunds": [0 if o.counts_attempt else 1 for o in outcomes],
        "sent": [o.status == "sent" for o in outcomes], "headers": [r.header for r in records],
        "kinds": [o.event.removeprefix("smtp_") for o in outcomes],
        "details": [o.text[:500] for o in outcomes],
    }


def _record_many_pg(conn: Connection, token: str, records: Sequence[Record],
                    now: datetime) -> set[int]:
    params = _many_params(token, records, now)
    raw = conn.connection.driver_connection
    if raw is not None and raw.autocommit:
        try:  # psycopg directly, prepared: SQLAlchemy's execution layer costs about as much
            # as PostgreSQL's work here
            with raw.cursor() as cursor:
                cursor.execute(_PG_RECORD_MANY, params, prepare=True)
                return {row[0] for row in cursor.fetchall()}
        except psycopg.Error:
            pass  # again through SQLAlchemy: it invalidates a broken connection, raises DBAPIError
    done = {row[0] for row in conn.exec_driver_sql(_PG_RECORD_MANY, params)}
    if conn.in_transaction():  # not in AUTOCOMMIT (a reconnected connection): commit it now
        conn.commit()
    return done


def _values(outcome: Outcome, now: datetime, header: str | None) -> dict[str, object]:
    values: dict[str, object] = {
        "status": outcome.status, "smtp_code": outcome.code, "smtp_text": outcome.text,
        "lease_until": None, "enqueued_at": None, "updated_at": now,
        "next_attempt_at": outcome.next_attempt_at,
    }
    if outcome.uncertain:
        values["uncertain"] = True
    if not outcome.counts_attempt:
        values["attempts"] = Message.attempts - 1
    if outcome.status == "sent":
        values["sent_at"] = now
    if header:
        values["message_id_header"] = header
    return values


def record_connection(engine: Engine) -> Connection:
    """The connection `record_outcome` wants (AUTOCOMMIT on PostgreSQL)."""
    if engine.dialect.name == "postgresql":
        return engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    return engine.connect()


def suppress_bounced(session: Session, claimed: Claimed, text: str) -> None:
    """A hard bounce puts the address on the suppression list (caller commits)."""
    contact = session.get(Contact, claimed.contact_id)  # the batch loaded it: no query
    if contact is not None:
        emit(session, "message.bounced", {
            "message_id": claimed.id, "alert_id": claimed.alert_id,
            "contact": contact_data(contact), "status": "bounced", "detail": text[:500]})
    if contact is not None and contact.email_hash:
        suppress(session, contact, "bounced", "bounce", alert_id=claimed.alert_id,
                 message_id=claimed.id, note=text[:500])


# -- the deliverability guard (issue 15): its one call site on the SMTP side ----------------


def watch_guard(session: Session, settings: Settings, claimed: Claimed,
                outcome: Outcome) -> Decision:
    """Let the guard judge a recorded 5xx (outreach.sending.guard.watch); the caller commits."""
    if outcome.code < 500:
        return Decision()
    contact = session.get(Contact, claimed.contact_id)  # the batch loaded it: no query
    try:
        return watch_smtp(session, settings, claimed.alert_id, claimed.id,
                          contact.email if contact else None, outcome.status, outcome.code,
                          outcome.text)
    except DBAPIError:  # the outcome is recorded; a guard hiccup must not stop the batch
        log.exception("message %s: the deliverability guard could not judge", claimed.id)
        session.rollback()
        return Decision()
