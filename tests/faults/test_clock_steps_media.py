"""A wall clock that steps (NTP correcting a clock an hour off, a VM resumed) while a session is
recorded does not move its chapters or the protocol's links into the recording: events carry
their place on the media (part and position, from the recorder's media clock stamped with the
database's clock), not only their wall time (R9, R10). Real parts: ffmpeg publishing over RTMP
into the real recorder, a real PostgreSQL, the archive's chapters.vtt."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.journal.chain import Event, verify_chain
from orchestrator.protocol import model
from tests.integration.recording.conftest import (
    MakeSupervisor,
    Publish,
    close_session,
    open_session,
    until,
    wait_journal,
)

_CUE = re.compile(r"(\d\d):(\d\d):(\d\d)\.(\d\d\d) --> [^\n]+\n(.+)")


async def _append(
    pool: asyncpg.Pool, session_id: uuid.UUID, type_: str, payload: dict[str, Any], at: datetime
) -> Event:
    async with pool.acquire() as conn, conn.transaction():
        return await journal_store.append_event(
            conn, session_id, type_, payload, actor="chair", at=at
        )


def _cue_starts(vtt: str) -> dict[str, float]:
    starts: dict[str, float] = {}
    for h, m, s, ms, title in _CUE.findall(vtt):
        for one in title.split("; "):
            starts.setdefault(one, int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000)
    return starts


async def test_a_wall_clock_step_moves_no_chapter(
    pool: asyncpg.Pool, make_supervisor: MakeSupervisor, publish: Publish
) -> None:
    """A break declared 2 s into the media by a process whose clock stepped back an hour, and
    ended 2 s later by one whose clock stepped an hour forward, land at 2 s and 4 s of the
    recording (±0.8 s), in chapters.vtt and in the protocol alike. By wall time alone they
    would land at the start (the journal holds a stepped-back time at the previous event's)
    and at the very end (an hour past the part)."""
    supervisor = await make_supervisor()
    session_id = await open_session(pool)
    await until(lambda: session_id in supervisor.recorders)
    publisher = await publish(supervisor.recorders[session_id].ingest_url())
    await wait_journal(pool, session_id, ev.RECORDING_STARTED)

    async def media_at(seconds: float) -> None:
        """Until the recorder's media clock, as sampled into the database, reaches ``seconds``."""

        async def reached() -> bool:
            async with pool.acquire() as conn:
                ms = await conn.fetchval(
                    "SELECT media_ms FROM recording_status WHERE session_id = $1", session_id
                )
            return ms is not None and ms >= seconds * 1000

        await until(reached)

    await media_at(2.0)
    declared = await _append(
        pool, session_id, ev.BREAK_DECLARED, {"cause": "chair", "reason": "крок назад"},
        at=datetime.now(UTC) - timedelta(hours=1),
    )  # fmt: skip
    await media_at(4.0)
    ended = await _append(
        pool, session_id, ev.BREAK_ENDED, {"by": "chair"}, at=datetime.now(UTC) + timedelta(hours=1)
    )
    await publisher.finish()
    await close_session(pool, session_id)
    await wait_journal(pool, session_id, ev.ARCHIVE_READY)

    assert declared.media is not None and ended.media is not None
    assert declared.media.part == ended.media.part == 1
    async with pool.acquire() as conn:
        journal = await journal_store.load_events(conn, session_id)
    assert verify_chain(journal) == []  # the media place is hashed with the event
    stored = {e.seq: e for e in journal}
    assert stored[declared.seq].media == declared.media

    vtt = (supervisor.storage.session_dir(session_id) / "chapters.vtt").read_text()
    starts = _cue_starts(vtt)
    back, forward = starts["Перерва: крок назад"], starts["Продовження засідання після перерви"]
    total = sum(p.payload["duration_ms"] for p in journal if p.type == ev.PART_CLOSED) / 1000
    assert total >= 5.0, f"the recording is {total} s"
    assert abs(back - 2.0) <= 0.8, vtt
    assert abs(forward - 4.0) <= 0.8, vtt

    protocol = model.build(journal)
    (pause,) = protocol.breaks
    assert pause.offset is not None
    assert abs(pause.offset.ms / 1000 - back) < 0.002
