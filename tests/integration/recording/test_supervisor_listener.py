"""The supervisor woken by the process's journal listener: an opened session is claimed at
the append's notification, and at the listener's reconnection when that notification was lost
(the interval poll set far away, so nothing else wakes it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.listener import JournalListener, listening
from orchestrator.kernel.settings.recording import RecordingSettings
from recording.storage.local import LocalStorage
from recording.supervisor import RecordingSupervisor
from tests.integration.outage import refusing_connections, terminate
from tests.integration.recording.conftest import PORTS, journal_types, open_session, wait_journal

NEVER = 3600.0  # the interval poll: not within any test


@pytest.fixture
async def listener(database_url: str) -> AsyncIterator[JournalListener]:
    async with listening(database_url) as started:
        yield started


@pytest.fixture
async def supervisor(
    pool: asyncpg.Pool, database_url: str, tmp_path: Path, listener: JournalListener
) -> AsyncIterator[RecordingSupervisor]:
    """A supervisor that refuses every session for want of disk (no ffmpeg runs): its answer,
    ``recording_lost``, shows it polled."""
    started = RecordingSupervisor(
        pool=pool,
        database_url=database_url,
        settings=RecordingSettings(ports=PORTS, host="127.0.0.1", bitrate_kbps=10**12),
        storage=LocalStorage(tmp_path / "recordings"),
        clock=lambda: datetime.now(UTC),
        poll_seconds=NEVER,
        listener=listener,
    )
    await started.start()
    try:
        yield started
    finally:
        await started.stop()
    assert "recording_supervisor" not in listener.subscribers


async def test_an_append_wakes_the_poll(
    pool: asyncpg.Pool, listener: JournalListener, supervisor: RecordingSupervisor
) -> None:
    """Opening a session notifies; the supervisor polls at once and answers for it."""
    assert listener.subscribers == ["recording_supervisor"]
    session_id = await open_session(pool)
    await wait_journal(pool, session_id, ev.RECORDING_LOST)


async def test_a_reconnection_wakes_the_poll(
    pool: asyncpg.Pool,
    pg_server_uri: str,
    listener: JournalListener,
    supervisor: RecordingSupervisor,
) -> None:
    """A session opened while the listener was disconnected (its notification lost) is
    claimed once the listener reconnects and tells the supervisor."""
    pid = listener.backend_pid
    assert pid is not None
    async with refusing_connections(pg_server_uri, pool):
        await terminate(pool, pid)
        session_id = await open_session(pool)
        await asyncio.sleep(0.3)
        assert ev.RECORDING_LOST not in await journal_types(pool, session_id)
    await wait_journal(pool, session_id, ev.RECORDING_LOST)
    assert listener.reconnections == 1
