"""All SQL of the protocol and the archive. Records stay here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from orchestrator.convening.bodies import body_title, rule_set
from orchestrator.kernel.database import Conn
from orchestrator.kernel.errors import Conflict
from orchestrator.kernel.journal import events as ev
from orchestrator.protocol.feeds import Listed


@dataclass(frozen=True, slots=True)
class SignatureFile:
    participant_id: UUID
    protocol_sha256: str
    sha256: str
    size: int
    uploaded_at: datetime


async def insert_signature(
    conn: Conn,
    session_id: UUID,
    participant_id: UUID,
    protocol_sha256: str,
    sha256: str,
    content: bytes,
    at: datetime,
) -> None:
    try:
        await conn.execute(
            """INSERT INTO protocol_signatures (session_id, participant_id, protocol_sha256,
                   sha256, size, content, uploaded_at) VALUES ($1,$2,$3,$4,$5,$6,$7)""",
            session_id,
            participant_id,
            protocol_sha256,
            sha256,
            len(content),
            content,
            at,
        )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "protocol_signatures_once":
            raise Conflict(
                "this protocol already has your signature file", code="already_signed"
            ) from None
        raise


async def signature_contents(
    conn: Conn, session_id: UUID, protocol_sha256: str
) -> dict[str, bytes]:
    """participant_id → .p7s bytes for one finalised protocol."""
    rows = await conn.fetch(
        """SELECT participant_id, content FROM protocol_signatures
           WHERE session_id = $1 AND protocol_sha256 = $2""",
        session_id,
        protocol_sha256,
    )
    return {str(r["participant_id"]): bytes(r["content"]) for r in rows}


async def put_published_plan(conn: Conn, session_id: UUID, content: bytes, sha256: str) -> None:
    await conn.execute(
        """INSERT INTO published_plans (session_id, content, sha256) VALUES ($1, $2, $3)
           ON CONFLICT (session_id) DO UPDATE SET content = $2, sha256 = $3""",
        session_id,
        content,
        sha256,
    )


async def published_plan(conn: Conn, session_id: UUID) -> bytes | None:
    """The plan's PDF as it was copied into the archive at publication (P2), if it was."""
    value = await conn.fetchval(
        "SELECT content FROM published_plans WHERE session_id = $1", session_id
    )
    return None if value is None else bytes(value)


_MILESTONE = "(SELECT min(j.at) FROM journal j WHERE j.session_id = s.id AND j.type = '{}')"

LIST_SQL = f"""
SELECT s.id, c.name AS council_name, c.convocation, s.title, s.number, s.starts_at, s.body,
       s.planned_end, s.status, s.announced_at,
       {_MILESTONE.format(ev.SESSION_OPENED)} AS opened_at,
       {_MILESTONE.format(ev.SESSION_CLOSED)} AS closed_at,
       {_MILESTONE.format(ev.SESSION_CANCELLED)} AS cancelled_at,
       {_MILESTONE.format(ev.PROTOCOL_PUBLISHED)} AS published_at
FROM sessions s JOIN councils c ON c.id = s.council_id
"""  # noqa: S608 - the interpolated parts are constants of this module


def _listed(r: asyncpg.Record) -> Listed:
    return Listed(
        r["id"],
        body_title(rule_set(r["body"]), r["council_name"]),  # E1: the committee by its name
        r["convocation"],
        r["title"],
        r["number"],
        r["starts_at"],
        r["planned_end"],
        r["status"],
        r["announced_at"],
        r["opened_at"],
        r["closed_at"],
        r["cancelled_at"] is not None or r["status"] == "cancelled",
        r["published_at"],
        r["body"],
    )


async def list_sessions(conn: Conn) -> list[Listed]:
    rows = await conn.fetch(LIST_SQL + " ORDER BY s.starts_at DESC")
    return [_listed(r) for r in rows]


async def listed_session(conn: Conn, session_id: UUID) -> Listed | None:
    r = await conn.fetchrow(LIST_SQL + " WHERE s.id = $1", session_id)
    return None if r is None else _listed(r)


async def sessions_of_member(conn: Conn, member_id: UUID) -> list[UUID]:
    """Sessions whose participant list holds this council member, oldest first."""
    rows = await conn.fetch(
        """SELECT DISTINCT s.id, s.starts_at FROM participants p
           JOIN sessions s ON s.id = p.session_id
           WHERE p.member_id = $1 ORDER BY s.starts_at""",
        member_id,
    )
    return [r["id"] for r in rows]
