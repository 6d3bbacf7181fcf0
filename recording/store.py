"""All SQL of the recording package. Functions take a connection the caller owns."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from orchestrator.kernel.database import Conn
from orchestrator.kernel.journal import events

LOCK_NAMESPACE = b"rada.recording:"


def lock_key(session_id: UUID) -> int:
    """The advisory-lock key of a session's recorder (a signed 64-bit integer)."""
    digest = hashlib.sha256(LOCK_NAMESPACE + session_id.bytes).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def try_claim(conn: Conn, session_id: UUID) -> bool:
    """Claim the session's recorder for this connection's process (session-level advisory
    lock: released when the connection ends, so a dead process frees it)."""
    return bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(session_id)))


async def release(conn: Conn, session_id: UUID) -> None:
    await conn.fetchval("SELECT pg_advisory_unlock($1)", lock_key(session_id))


@dataclass(frozen=True, slots=True)
class WatchedSession:
    id: UUID
    room: str
    status: str
    planned_end: datetime


async def sessions_in(conn: Conn, statuses: tuple[str, ...]) -> list[WatchedSession]:
    rows = await conn.fetch(
        "SELECT id, room, status, planned_end FROM sessions WHERE status = ANY($1::text[])",
        list(statuses),
    )
    return [WatchedSession(r["id"], r["room"], r["status"], r["planned_end"]) for r in rows]


async def session_status(conn: Conn, session_id: UUID) -> str | None:
    status: str | None = await conn.fetchval(
        "SELECT status FROM sessions WHERE id = $1", session_id
    )
    return status


async def stream_key(conn: Conn, session_id: UUID) -> str:
    """The session's stream key, made on first use."""
    await conn.execute(
        """INSERT INTO recording_keys (session_id, stream_key) VALUES ($1, $2)
           ON CONFLICT (session_id) DO NOTHING""",
        session_id,
        secrets.token_urlsafe(24),
    )
    key: str = await conn.fetchval(
        "SELECT stream_key FROM recording_keys WHERE session_id = $1", session_id
    )
    return key


async def archive_ready(conn: Conn, session_id: UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM journal WHERE session_id = $1 AND type = $2)",
            session_id,
            events.ARCHIVE_READY,
        )
    )


async def unarchived_closed(conn: Conn) -> list[UUID]:
    """Closed sessions that were recorded but have no ``archive_ready`` (their recorder's
    process died before the close)."""
    rows = await conn.fetch(
        """SELECT s.id FROM sessions s WHERE s.status = 'closed'
             AND EXISTS (SELECT 1 FROM journal j WHERE j.session_id = s.id AND j.type = ANY($1))
             AND NOT EXISTS (SELECT 1 FROM journal j WHERE j.session_id = s.id AND j.type = $2)""",
        [events.RECORDING_STARTED, events.RECORDING_RESUMED, events.PART_CLOSED],
        events.ARCHIVE_READY,
    )
    return [r["id"] for r in rows]


RECORDING_STATES = (events.RECORDING_STARTED, events.RECORDING_RESUMED, events.RECORDING_LOST)


async def recording_lost_since(conn: Conn, session_id: UUID) -> datetime | None:
    """When the journal's last word on the recording is ``recording_lost``: its time (so a
    recorder taking over reports ``recording_resumed``, not a second start)."""
    row = await conn.fetchrow(
        """SELECT type, at FROM journal WHERE session_id = $1 AND type = ANY($2::text[])
           ORDER BY seq DESC LIMIT 1""",
        session_id,
        list(RECORDING_STATES),
    )
    if row is None or row["type"] != events.RECORDING_LOST:
        return None
    at: datetime = row["at"]
    return at


@dataclass(frozen=True, slots=True)
class StatusRow:
    session_id: UUID
    instance: str
    ingest_port: int | None
    receiving: bool
    lost_since: datetime | None
    part: int | None
    parts: int
    bitrate_kbps: int | None
    updated_at: datetime
    media_ms: int | None = None  # the media position in ``part`` now (the recorder's clock)


async def save_status(conn: Conn, row: StatusRow) -> None:
    """Upsert a recorder's status. The media position is stamped with the database's clock
    (``clock_timestamp()``): journal appends add only the database-clock time since it, so a
    process's wall clock stepping never moves an event on the recording (R9)."""
    await conn.execute(
        """INSERT INTO recording_status (session_id, instance, ingest_port, receiving, lost_since,
               part, parts, bitrate_kbps, updated_at, media_ms, media_sampled_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,
                   CASE WHEN $10::bigint IS NULL THEN NULL ELSE clock_timestamp() END)
           ON CONFLICT (session_id) DO UPDATE SET instance = $2, ingest_port = $3,
               receiving = $4, lost_since = $5, part = $6, parts = $7, bitrate_kbps = $8,
               updated_at = $9, media_ms = $10,
               media_sampled_at = CASE WHEN $10::bigint IS NULL THEN NULL
                                       ELSE clock_timestamp() END""",
        row.session_id,
        row.instance,
        row.ingest_port,
        row.receiving,
        row.lost_since,
        row.part,
        row.parts,
        row.bitrate_kbps,
        row.updated_at,
        row.media_ms,
    )


async def load_statuses(conn: Conn, session_id: UUID | None = None) -> list[StatusRow]:
    sql = "SELECT * FROM recording_status"
    rows = await (
        conn.fetch(sql + " WHERE session_id = $1", session_id)
        if session_id is not None
        else conn.fetch(sql + " ORDER BY updated_at DESC")
    )
    return [
        StatusRow(
            r["session_id"],
            r["instance"],
            r["ingest_port"],
            r["receiving"],
            r["lost_since"],
            r["part"],
            r["parts"],
            r["bitrate_kbps"],
            r["updated_at"],
            r["media_ms"],
        )
        for r in rows
    ]


# --- which Jibri serves which session (Jibri's status webhook names only the Jibri) --------


async def assign_jibri(
    conn: Conn, jibri_id: str, session_id: UUID, base_url: str, at: datetime
) -> None:
    """The Jibri now streams this session; its reported state starts unknown."""
    await conn.execute(
        """INSERT INTO jibri_assignments (jibri_id, session_id, base_url, assigned_at)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (jibri_id) DO UPDATE SET session_id = $2, base_url = $3,
               status = NULL, failure_reason = NULL, assigned_at = $4, reported_at = NULL""",
        jibri_id,
        session_id,
        base_url,
        at,
    )


async def unassign_jibri(conn: Conn, jibri_id: str, session_id: UUID) -> None:
    await conn.execute(
        "DELETE FROM jibri_assignments WHERE jibri_id = $1 AND session_id = $2",
        jibri_id,
        session_id,
    )


@dataclass(frozen=True, slots=True)
class JibriAssignment:
    jibri_id: str
    session_id: UUID
    status: str | None
    failure_reason: str | None


async def lock_assignment(conn: Conn, jibri_id: str) -> JibriAssignment | None:
    """The Jibri's assignment to an opened session, locked until the transaction ends (two
    reports of one Jibri are compared with its last state one after the other)."""
    row = await conn.fetchrow(
        """SELECT a.jibri_id, a.session_id, a.status, a.failure_reason
             FROM jibri_assignments a JOIN sessions s ON s.id = a.session_id
            WHERE a.jibri_id = $1 AND s.status = 'opened'
              FOR UPDATE OF a""",
        jibri_id,
    )
    if row is None:
        return None
    return JibriAssignment(row["jibri_id"], row["session_id"], row["status"], row["failure_reason"])


async def save_report(
    conn: Conn, jibri_id: str, status: str, failure_reason: str | None, at: datetime
) -> None:
    await conn.execute(
        """UPDATE jibri_assignments SET status = $2, failure_reason = $3, reported_at = $4
            WHERE jibri_id = $1""",
        jibri_id,
        status,
        failure_reason,
        at,
    )


async def sessions_with_lost_jibri(conn: Conn, session_ids: list[UUID]) -> set[UUID]:
    """Of these sessions, those whose Jibri last reported OFF or a failure."""
    rows = await conn.fetch(
        """SELECT DISTINCT session_id FROM jibri_assignments
            WHERE session_id = ANY($1::uuid[])
              AND (status = 'OFF' OR failure_reason IS NOT NULL)""",
        session_ids,
    )
    return {r["session_id"] for r in rows}
