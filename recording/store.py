"""All SQL of the recording package. Functions take a connection the caller owns."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from orchestrator import events
from orchestrator.database import Conn

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


async def save_status(conn: Conn, row: StatusRow) -> None:
    await conn.execute(
        """INSERT INTO recording_status (session_id, instance, ingest_port, receiving, lost_since,
               part, parts, bitrate_kbps, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
           ON CONFLICT (session_id) DO UPDATE SET instance = $2, ingest_port = $3,
               receiving = $4, lost_since = $5, part = $6, parts = $7, bitrate_kbps = $8,
               updated_at = $9""",
        row.session_id,
        row.instance,
        row.ingest_port,
        row.receiving,
        row.lost_since,
        row.part,
        row.parts,
        row.bitrate_kbps,
        row.updated_at,
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
        )
        for r in rows
    ]
