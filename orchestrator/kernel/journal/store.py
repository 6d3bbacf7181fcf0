"""The journal's SQL: append (hash-chained, notifying listeners), read, lock a session's head.

Functions take a connection the caller's transaction owns; records stay here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from orchestrator.kernel.database import Conn
from orchestrator.kernel.errors import NotFound
from orchestrator.kernel.journal import chain as journal

NOTIFY_CHANNEL = "rada_journal"
"""Every append notifies this channel with ``"<session id>:<seq>"``, and the event's public
JSON after another ``:`` when the whole fits :data:`NOTICE_MAX_BYTES` (:func:`notice`)."""

NOTICE_MAX_BYTES = 7_900  # PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more


def notice(event: journal.Event) -> str:
    """The notification of ``event``'s append: with the event when it fits, so that a process
    following the session can fold it without reading it back (issue 14)."""
    head = f"{event.session_id}:{event.seq}"
    try:
        whole = head.encode() + b":" + orjson.dumps(event.to_public())
    except orjson.JSONEncodeError:  # a payload orjson does not take (it was hashed): seq only
        return head
    return whole.decode() if len(whole) < NOTICE_MAX_BYTES else head


async def append_event(
    conn: Conn,
    session_id: UUID,
    type_: str,
    payload: Mapping[str, Any],
    *,
    actor: str,
    at: datetime,
) -> journal.Event:
    """Append one event. Call inside a transaction: the session row is locked until commit, so
    appends to one session are serialised; the (session, seq) key forbids a fork regardless.
    Its time is ``at``, or the previous event's time if ``at`` is earlier (a wall clock stepped
    back, or two processes' clocks apart): a session's journal never goes back in time. While
    the session is being recorded, the event also carries its place on the recording (part and
    position, from the recorder's media clock sampled with the database's clock): chapter and
    protocol offsets come from it, not from wall time (R9)."""
    # One round trip locks the session row (appends to one session queue here) and then reads
    # the head (see journal_lock_head); a second inserts and notifies listeners (live state).
    head = await conn.fetchrow("SELECT * FROM journal_lock_head($1)", session_id)
    if head is None or not head["present"]:
        raise NotFound(f"no session {session_id}", code="session_not_found")
    seq, prev = (head["seq"], head["hash"]) if head["seq"] is not None else (0, journal.GENESIS)
    if head["at"] is not None and at < head["at"]:
        at = head["at"]  # never earlier than the event before it: a clock stepped back
    media = None
    if head["media_part"] is not None:
        media = journal.Media(head["media_part"], max(0, head["media_ms"]))
    event = journal.seal(session_id, seq + 1, at, actor, type_, payload, prev, media)
    await _insert(conn, event)
    return event


async def _insert(conn: Conn, event: journal.Event) -> None:
    """Insert a sealed event and notify the journal's listeners, in one round trip."""
    media = event.media
    await conn.execute(
        """WITH appended AS (
               INSERT INTO journal (session_id, seq, at, actor, type, payload, prev_hash, hash,
                                    media_part, media_ms)
               VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$11,$12) RETURNING seq)
           SELECT pg_notify($9, $10) FROM appended""",
        event.session_id,
        event.seq,
        event.at,
        event.actor,
        event.type,
        event.payload,
        event.prev_hash,
        event.hash,
        NOTIFY_CHANNEL,
        notice(event),
        None if media is None else media.part,
        None if media is None else media.ms,
    )


@dataclass(slots=True)
class Head:
    """A locked session's journal head, as :func:`lock_since` read it: the next append follows
    ``seq``/``hash``, no earlier than ``at``, at the recording's ``media`` position (if any)."""

    session_id: UUID
    seq: int
    hash: str
    at: datetime | None
    media: journal.Media | None


async def lock_since(conn: Conn, session_id: UUID, after: int) -> tuple[Head, list[journal.Event]]:
    """Lock the session row for this transaction, and read its head and the events after
    ``after``: one round trip (``journal_since``, migration 0019) where
    :func:`lock_session`, :func:`load_events` and :func:`append_event`'s head read take
    three. Append after it with :func:`append_next`. ``after`` beyond the head reads none."""
    return await _since(conn, session_id, after, lock=True)


async def read_since(conn: Conn, session_id: UUID, after: int) -> tuple[Head, list[journal.Event]]:
    """As :func:`lock_since`, without the lock: what :func:`append_after` appends after if
    nobody appends meanwhile."""
    return await _since(conn, session_id, after, lock=False)


async def _since(
    conn: Conn, session_id: UUID, after: int, *, lock: bool
) -> tuple[Head, list[journal.Event]]:
    rows = await conn.fetch("SELECT * FROM journal_since($1, $2, $3)", session_id, after, lock)
    if not rows or not rows[0]["present"]:
        raise NotFound(f"no session {session_id}", code="session_not_found")
    first, last = rows[0], rows[-1]
    media = None
    if first["now_part"] is not None:
        media = journal.Media(first["now_part"], max(0, first["now_ms"]))
    if last["seq"] is None:  # an empty journal
        return Head(session_id, 0, journal.GENESIS, None, media), []
    head = Head(session_id, last["seq"], last["hash"], last["at"], media)
    return head, [_event(r, session_id) for r in rows if r["seq"] > after]


def seal_next(
    head: Head, type_: str, payload: Mapping[str, Any], *, actor: str, at: datetime
) -> journal.Event:
    """The event that follows ``head`` (never earlier than it, at its media position), and
    ``head`` moved to it; nothing is written."""
    if head.at is not None and at < head.at:
        at = head.at  # never earlier than the event before it: a clock stepped back
    event = journal.seal(
        head.session_id, head.seq + 1, at, actor, type_, payload, head.hash, head.media
    )
    head.seq, head.hash, head.at = event.seq, event.hash, event.at
    return event


async def append_next(
    conn: Conn,
    head: Head,
    type_: str,
    payload: Mapping[str, Any],
    *,
    actor: str,
    at: datetime,
) -> journal.Event:
    """Append one event after ``head`` (from :func:`lock_since` in this transaction, which
    holds the session's lock), as :func:`append_event` does, and move ``head`` to it: one
    round trip."""
    event = seal_next(head, type_, payload, actor=actor, at=at)
    await _insert(conn, event)
    return event


async def append_after(
    conn: Conn, expected: int, sealed: Sequence[journal.Event], status: str | None = None
) -> bool:
    """Append ``sealed`` (from :func:`seal_next`, after a :func:`read_since` head at seq
    ``expected``) if the journal's head is still ``expected``, notify, and set the session's
    ``status`` when given: one statement, its own transaction (``journal_append_after``,
    migration 0019). False, with nothing written, if another writer appended meanwhile."""
    if not sealed:
        return True
    first = sealed[0]
    return bool(
        await conn.fetchval(
            "SELECT journal_append_after($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
            first.session_id,
            expected,
            [e.at for e in sealed],
            [e.actor for e in sealed],
            [e.type for e in sealed],
            [orjson.dumps(e.payload).decode() for e in sealed],
            [e.prev_hash for e in sealed],
            [e.hash for e in sealed],
            None if first.media is None else first.media.part,
            None if first.media is None else first.media.ms,
            status,
            [notice(e) for e in sealed],
        )
    )


MEDIA_TOLERANCE_MS = 200
"""How far a guessed media position may be from the database's for :func:`append_near` to
write the events sealed at it (the position's own precision is the recorder's 1 s poll)."""


async def append_near(
    conn: Conn,
    expected: int,
    sealed: Sequence[journal.Event],
    status: str | None = None,
) -> tuple[bool, journal.Media | None]:
    """Append ``sealed``, sealed after a cached state at seq ``expected`` and at a guessed media
    position (their ``media``), if the journal's head is still ``expected`` and the guess is
    the position now within :data:`MEDIA_TOLERANCE_MS`; notify, and set ``status`` when given:
    one statement, its own transaction (``journal_append_near``, migration 0020). Answers
    whether they were written (nothing is, otherwise) and the media position now."""
    first = sealed[0]
    row = await conn.fetchrow(
        "SELECT * FROM journal_append_near($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
        first.session_id,
        expected,
        [e.at for e in sealed],
        [e.actor for e in sealed],
        [e.type for e in sealed],
        [orjson.dumps(e.payload).decode() for e in sealed],
        [e.prev_hash for e in sealed],
        [e.hash for e in sealed],
        None if first.media is None else first.media.part,
        None if first.media is None else first.media.ms,
        MEDIA_TOLERANCE_MS,
        status,
        [notice(e) for e in sealed],
    )
    assert row is not None
    now = None if row["now_part"] is None else journal.Media(row["now_part"], row["now_ms"])
    return bool(row["appended"]), now


def _event(r: asyncpg.Record, session_id: UUID | None = None) -> journal.Event:
    return journal.Event(
        r["session_id"] if session_id is None else session_id,
        r["seq"],
        r["at"],
        r["actor"],
        r["type"],
        r["payload"],
        r["prev_hash"],
        r["hash"],
        None if r["media_part"] is None else journal.Media(r["media_part"], r["media_ms"]),
    )


async def load_events(
    conn: Conn, session_id: UUID, *, after: int = 0, types: Sequence[str] | None = None
) -> list[journal.Event]:
    """The session's events after ``after`` in order; only ``types`` when given."""
    rows = await conn.fetch(
        """SELECT * FROM journal WHERE session_id = $1 AND seq > $2
             AND ($3::text[] IS NULL OR type = ANY($3::text[])) ORDER BY seq""",
        session_id,
        after,
        None if types is None else list(types),
    )
    return [_event(r) for r in rows]


async def journal_head(conn: Conn, session_id: UUID) -> tuple[int, str]:
    """The last sequence number and hash (0 and the genesis hash for an empty journal)."""
    r = await conn.fetchrow(
        "SELECT seq, hash FROM journal WHERE session_id = $1 ORDER BY seq DESC LIMIT 1", session_id
    )
    return (r["seq"], r["hash"]) if r else (0, journal.GENESIS)


async def lock_session(conn: Conn, session_id: UUID) -> None:
    """Take the session row's lock for this transaction (one writer per session, as in
    :func:`append_event`), before reading the state an act is decided on."""
    locked = await conn.fetchval(
        "SELECT 1 FROM sessions WHERE id = $1 FOR NO KEY UPDATE", session_id
    )
    if locked is None:
        raise NotFound(f"no session {session_id}", code="session_not_found")
