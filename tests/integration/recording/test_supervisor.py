"""The supervisor on a real PostgreSQL: one recorder per opened session across rada processes,
events in the hash-chained journal, take-over when the recording process goes, archive at close."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.journal.chain import verify_chain
from orchestrator.kernel.settings.recording import RecordingSettings
from recording import store
from recording.cli import check_lines
from recording.storage.local import LocalStorage
from recording.supervisor import RecordingSupervisor
from tests.conftest import make_settings
from tests.integration.recording.conftest import (
    FPS,
    PORTS,
    MakeSupervisor,
    Publish,
    close_session,
    open_session,
    until,
    wait_journal,
)


async def test_one_recorder_per_session_take_over_and_archive(
    pool: asyncpg.Pool,
    make_supervisor: MakeSupervisor,
    publish: Publish,
    database_url: str,
    tmp_path: Path,
) -> None:
    """Two processes: exactly one claims the opened session (advisory lock) and journals its
    recording; when it shuts down the other takes over with a new part; closing the session
    writes the archive and journals archive_ready, all in one valid hash chain (R9, R10); rada
    check shows the recorder."""
    first, second = await make_supervisor(), await make_supervisor()
    session_id = await open_session(pool)
    await until(lambda: session_id in first.recorders or session_id in second.recorders)
    await asyncio.sleep(0.5)  # several more polls: the other one must not claim it too
    holder, other = (first, second) if session_id in first.recorders else (second, first)
    assert session_id not in other.recorders

    one = await publish(holder.recorders[session_id].ingest_url())
    await wait_journal(pool, session_id, ev.RECORDING_STARTED)
    await one.wait_frames(FPS)

    async def reported_receiving() -> bool:
        async with pool.acquire() as conn:
            rows = await store.load_statuses(conn, session_id)
        return bool(rows) and rows[0].receiving and rows[0].instance == holder.instance

    await until(reported_receiving)
    lines = await asyncio.to_thread(check_lines, make_settings(database_url, tmp_path / "data"))
    (line,) = [x for x in lines if str(session_id) in x]
    assert ": receiving, part 1" in line and holder.instance in line

    await holder.stop()  # graceful shutdown of the recording process
    await one.finish()
    await until(lambda: session_id in other.recorders)
    two = await publish(other.recorders[session_id].ingest_url())
    await wait_journal(pool, session_id, ev.RECORDING_RESUMED)
    await two.wait_frames(FPS)

    await close_session(pool, session_id)
    await wait_journal(pool, session_id, ev.ARCHIVE_READY)
    assert session_id not in other.recorders

    async with pool.acquire() as conn:
        journal = await journal_store.load_events(conn, session_id)
    assert verify_chain(journal) == []
    recorded = [e.type for e in journal if e.actor == "recorder"]
    assert recorded == [
        ev.RECORDING_STARTED,
        ev.PART_CLOSED,
        ev.RECORDING_LOST,
        ev.RECORDING_RESUMED,
        ev.PART_CLOSED,
        ev.ARCHIVE_READY,
    ]
    lost = next(e for e in journal if e.type == ev.RECORDING_LOST)
    assert lost.payload["cause"] == "process"
    ready = journal[-1].payload
    assert ready["parts"] == 2
    folder = other.storage.session_dir(session_id)
    chapters = (folder / "chapters.vtt").read_text()
    assert "Питання 1: Про бюджет" in chapters and "Закриття засідання" in chapters


async def test_too_little_disk_refuses_once_as_a_storage_loss(
    pool: asyncpg.Pool, database_url: str, tmp_path: Path
) -> None:
    """Free disk below the session's planned length × bitrate: no recorder starts, and the
    journal says so once (recording_lost, cause storage, part 0), so conduct holds the break."""
    supervisor = RecordingSupervisor(
        pool=pool,
        database_url=database_url,
        settings=RecordingSettings(ports=PORTS, host="127.0.0.1", bitrate_kbps=10**12),
        storage=LocalStorage(tmp_path / "recordings"),
        clock=lambda: datetime.now(UTC),
        poll_seconds=0.1,
    )
    await supervisor.start()
    try:
        session_id = await open_session(pool)
        await wait_journal(pool, session_id, ev.RECORDING_LOST)
        await supervisor.poll()
        await supervisor.poll()
    finally:
        await supervisor.stop()
    assert session_id not in supervisor.recorders
    async with pool.acquire() as conn:
        journal = await journal_store.load_events(conn, session_id)
    lost = [e.payload for e in journal if e.type == ev.RECORDING_LOST]
    assert lost == [{"part": 0, "cause": "storage", "last_media_at": lost[0]["last_media_at"]}]
