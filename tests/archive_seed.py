"""Put a played session (tests.journal_builder) into a real database and media folder, the way
convening, conduct and the recorder leave it: council, session row, participant list, the
journal appended event by event through ``journal_store.append_event``, the recorder's media folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from uuid import UUID

import asyncpg

from orchestrator.convening import store
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.journal.chain import Event, parse_time
from tests.journal_builder import PlayedSession


async def seed(
    pool: asyncpg.Pool,
    played: PlayedSession,
    *,
    events: list[Event] | None = None,
    council_id: UUID | None = None,
    status: str = "closed",
    number: int | None = None,
    planned_end: datetime | None = None,
) -> UUID:
    """Insert the council (once), the session and its journal; return the council id."""
    events = played.events if events is None else events
    convened = events[0].payload
    council = convened["council"]
    cid = council_id or UUID(council["id"])
    async with pool.acquire() as conn, conn.transaction():
        if council_id is None:
            await store.insert_council(
                conn, store.Council(cid, council["name"], 8, council["total_composition"])
            )
        await store.insert_session(
            conn,
            store.SessionRow(
                played.session_id,
                cid,
                convened["title"],
                number or int(convened["number"]),
                store_time(convened["starts_at"]),
                planned_end or store_time(convened["planned_end"]),
                str(played.session_id),
                status,
                None,
            ),
        )
        for p in convened["participants"]:
            await conn.execute(
                """INSERT INTO participants (session_id, participant_id, member_id, surname,
                       given_name, patronymic, kind, role, email, phone)
                   VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)""",
                played.session_id,
                UUID(p["participant_id"]),
                UUID(p["member_id"]) if p["member_id"] else None,
                p["surname"],
                p["given_name"],
                p["patronymic"],
                p["kind"],
                p["role"],
                f"{p['participant_id'][:8]}@rada.test",
                "+380500000000",
            )
        for e in events:
            if e.type == "session_announced":
                await conn.execute(
                    "UPDATE sessions SET announced_at = $2 WHERE id = $1", played.session_id, e.at
                )
            stored = await journal_store.append_event(
                conn, played.session_id, e.type, e.payload, actor=e.actor, at=e.at
            )
            assert stored.hash == e.hash, "the store seals exactly as the builder did"
    return cid


def store_time(text: str) -> datetime:
    return parse_time(text)


def write_media(media_root: Path, played: PlayedSession) -> Path:
    """The recorder's media folder for the session: manifest.json and parts/."""
    folder = media_root / str(played.session_id)
    (folder / "parts").mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_bytes(played.manifest)
    for name, data in played.part_contents.items():
        (folder / "parts" / name).write_bytes(data)
    for name, data in played.recorder_files.items():
        (folder / name).write_bytes(data)
    return folder
