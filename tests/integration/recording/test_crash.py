"""rada dying while it records loses neither the part nor its numbering."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.settings.recording import RecordingSettings
from recording.storage.local import LocalStorage
from recording.supervisor import RecordingSupervisor
from tests.integration.recording.conftest import (
    FPS,
    PORTS,
    MakeRecorder,
    MediaCheck,
    Publish,
    close_session,
    open_session,
    own_port,
    wait_journal,
)

RUNNER = Path(__file__).with_name("recorder_process.py")


async def next_line(stream: asyncio.StreamReader, type_: str) -> dict[str, Any]:
    async with asyncio.timeout(15):
        while raw := await stream.readline():
            line = json.loads(raw)
            if line["type"] == type_:
                return dict(line)
    raise AssertionError(f"the recorder process ended before {type_}")


async def start_runner(
    root: Path, session_id: uuid.UUID, port: int, ingest: str = "rtmp"
) -> asyncio.subprocess.Process:
    """The recorder in its own process group (SIGKILLed with its ffmpeg by ``killpg``)."""
    return await asyncio.create_subprocess_exec(
        sys.executable, str(RUNNER), str(root), str(session_id), "k3y", str(port), ingest,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


async def test_sigkill_of_the_recording_process_leaves_a_playable_part_and_a_new_part_follows(
    make_recorder: MakeRecorder, publish: Publish, media: MediaCheck, tmp_path: Path
) -> None:
    """SIGKILL of the recorder process and its ffmpeg mid-stream: the part on disk plays end to
    end; a new recorder for the still-open session closes it as recovered (hash of the file),
    reports the loss, and records the next stream as part 2 (R9)."""
    session_id = uuid.uuid4()
    root = tmp_path / "recordings"
    runner = await start_runner(root, session_id, own_port(0))
    assert runner.stdout is not None
    try:
        url = (await next_line(runner.stdout, "ready"))["url"]
        first = await publish(url)
        await next_line(runner.stdout, ev.RECORDING_STARTED)
        await first.wait_frames(int(2.5 * FPS))
        ingest = await next_line(runner.stdout, "ingest")
        assert ingest["pid"] is not None
    finally:
        os.killpg(runner.pid, signal.SIGKILL)  # the "rada" process and its ffmpeg, at once
        await runner.wait()
    await first.finish()  # the publisher loses its connection

    part1 = root / str(session_id) / "part-0001.mp4"
    assert media.decode_errors(part1) == "", "the part left by the crash is not playable"
    numbers = media.frame_numbers(part1)
    assert numbers == list(range(len(numbers))) and numbers

    recorder, sink = await make_recorder(session_id=session_id, key="k3y", root=root)
    recovered = await sink.wait_for(ev.PART_CLOSED)
    assert recovered.payload["part"] == 1
    assert recovered.payload["recovered"] is True
    assert recovered.payload["sha256"] == media.sha256(part1)
    assert recovered.payload["size"] == part1.stat().st_size
    lost = await sink.wait_for(ev.RECORDING_LOST)
    assert lost.payload["cause"] == "process"

    second = await publish(recorder.ingest_url())
    resumed = await sink.wait_for(ev.RECORDING_RESUMED)
    assert resumed.payload["part"] == 2
    await second.wait_frames(FPS)
    archive = await recorder.close([])
    assert [p.part for p in archive.parts] == [1, 2]
    assert media.decode_errors(archive.directory / "part-0002.mp4") == ""
    assert archive.parts[0].sha256 == media.sha256(part1)


async def test_session_closed_while_its_recorder_was_dead_still_gets_its_archive(
    publish: Publish, media: MediaCheck, tmp_path: Path, pool: asyncpg.Pool, database_url: str
) -> None:
    """The recording process dies, the session is closed meanwhile: the next supervisor closes
    the crashed part as recovered and writes the archive (archive_ready) without an ingest."""
    session_id = await open_session(pool)
    root = tmp_path / "recordings"
    runner = await start_runner(root, session_id, own_port(1))
    assert runner.stdout is not None
    try:
        url = (await next_line(runner.stdout, "ready"))["url"]
        first = await publish(url)
        started = await next_line(runner.stdout, ev.RECORDING_STARTED)
        async with pool.acquire() as conn, conn.transaction():  # what its sink had journaled
            await journal_store.append_event(
                conn, session_id, ev.RECORDING_STARTED, started["payload"], actor="recorder",
                at=datetime.now(UTC),
            )  # fmt: skip
        await first.wait_frames(2 * FPS)
    finally:
        os.killpg(runner.pid, signal.SIGKILL)
        await runner.wait()
    await first.finish()
    await close_session(pool, session_id)

    supervisor = RecordingSupervisor(
        pool=pool,
        database_url=database_url,
        settings=RecordingSettings(ports=PORTS, host="127.0.0.1"),
        storage=LocalStorage(root),
        clock=lambda: datetime.now(UTC),
        poll_seconds=0.2,
    )
    await supervisor.start()
    try:
        await wait_journal(pool, session_id, ev.ARCHIVE_READY)
    finally:
        await supervisor.stop()
    async with pool.acquire() as conn:
        journal = await journal_store.load_events(conn, session_id)
    closed = next(e.payload for e in journal if e.type == ev.PART_CLOSED)
    part = root / str(session_id) / "part-0001.mp4"
    assert closed["recovered"] is True and closed["sha256"] == media.sha256(part)
    manifest = json.loads((root / str(session_id) / "manifest.json").read_text())
    assert [p["sha256"] for p in manifest["parts"]] == [closed["sha256"]]
