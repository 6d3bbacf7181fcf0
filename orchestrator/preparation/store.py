"""All SQL of the preparation: plan templates and plans, attendance. Records stay here."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from orchestrator.kernel.database import Conn
from orchestrator.preparation.attendance import Answer, Reply


async def council_template(conn: Conn, council_id: UUID) -> Any | None:
    raw = await conn.fetchval(
        "SELECT measures FROM plan_templates WHERE council_id = $1", council_id
    )
    return None if raw is None else json.loads(raw) if isinstance(raw, str) else raw


async def put_council_template(conn: Conn, council_id: UUID, measures: Any, at: datetime) -> None:
    await conn.execute(
        """INSERT INTO plan_templates (council_id, measures, updated_at) VALUES ($1, $2, $3)
           ON CONFLICT (council_id) DO UPDATE SET measures = $2, updated_at = $3""",
        council_id,
        json.dumps(measures, ensure_ascii=False),
        at,
    )


async def session_plan(conn: Conn, session_id: UUID) -> tuple[bool, Any | None]:
    """(whether the session has a plan row, its frozen measures or None for the built-in)."""
    row = await conn.fetchrow(
        "SELECT measures FROM session_plans WHERE session_id = $1", session_id
    )
    if row is None:
        return False, None
    raw = row["measures"]
    return True, None if raw is None else json.loads(raw) if isinstance(raw, str) else raw


async def put_reply(conn: Conn, session_id: UUID, participant_id: UUID, reply: Reply) -> None:
    await conn.execute(
        """INSERT INTO attendance (session_id, participant_id, answer, reason, answered_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (session_id, participant_id)
           DO UPDATE SET answer = $3, reason = $4, answered_at = $5""",
        session_id,
        participant_id,
        reply.answer.value,
        reply.reason,
        reply.at,
    )


async def replies(conn: Conn, session_id: UUID) -> dict[str, Reply]:
    rows = await conn.fetch(
        "SELECT participant_id, answer, reason, answered_at FROM attendance WHERE session_id = $1",
        session_id,
    )
    return {
        str(r["participant_id"]): Reply(Answer(r["answer"]), r["reason"], r["answered_at"])
        for r in rows
    }


async def packet_documents(conn: Conn, session_id: UUID) -> list[tuple[str, str, int, datetime]]:
    """The session's documents (filename, sha256, item, attached at), in agenda order."""
    rows = await conn.fetch(
        """SELECT filename, sha256, item, created_at FROM documents WHERE session_id = $1
           ORDER BY item, created_at""",
        session_id,
    )
    return [(r["filename"], r["sha256"], r["item"], r["created_at"]) for r in rows]


async def organisations(conn: Conn, session_id: UUID) -> dict[str, str]:
    """The guests' organisations (S2: MPs, the oblast council, the prosecutor's office…)."""
    rows = await conn.fetch(
        """SELECT participant_id, organisation FROM participants
           WHERE session_id = $1 AND role = 'guest' AND NOT removed""",
        session_id,
    )
    return {str(r["participant_id"]): r["organisation"] for r in rows}


# --- reminders of the technical check (P1) -----------------------------------------------------


async def claim_reminder(conn: Conn, session_id: UUID, participant_id: UUID, at: datetime) -> bool:
    """Claim the participant's one reminder; False if it is claimed or sent already."""
    claimed = await conn.fetchval(
        """INSERT INTO check_reminders (session_id, participant_id, claimed_at)
           VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING true""",
        session_id,
        participant_id,
        at,
    )
    return bool(claimed)


async def reminder_sent(conn: Conn, session_id: UUID, participant_id: UUID, at: datetime) -> None:
    await conn.execute(
        """UPDATE check_reminders SET sent_at = $3
           WHERE session_id = $1 AND participant_id = $2""",
        session_id,
        participant_id,
        at,
    )


async def release_reminder(conn: Conn, session_id: UUID, participant_id: UUID) -> None:
    """The mail failed: the participant may be reminded again."""
    await conn.execute(
        "DELETE FROM check_reminders WHERE session_id = $1 AND participant_id = $2",
        session_id,
        participant_id,
    )
