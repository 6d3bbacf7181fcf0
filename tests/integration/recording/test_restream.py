"""Restream (R9): the program pushed, stream copy, to an RTMP destination (a local ffmpeg
listening as YouTube would); the destination dying mid-sitting costs the recording nothing,
shows as retrying, and the push resumes when the destination is back."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from orchestrator.app import create_app
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.keys import POOL
from recording.api import configure
from recording.media import restream
from recording.media.ingest import simulated_call_args
from tests.conftest import ADMIN, make_settings
from tests.integration.recording.conftest import (
    FPS,
    SOURCE_SECONDS,
    MakeRecorder,
    MediaCheck,
    Publish,
    close_session,
    journal_types,
    open_session,
    own_port,
    simulated_settings,
    until,
    wait_journal,
)

pytestmark = pytest.mark.slow

LISTEN_PORT = own_port(8)  # outside the recorders' test pool (conftest.PORTS)
DESTINATION = f"rtmp://127.0.0.1:{LISTEN_PORT}/live/secret-stream-key"

Listen = Callable[[Path], Awaitable[asyncio.subprocess.Process]]


@pytest.fixture
async def listen(ffmpeg_exe: str) -> AsyncIterator[Listen]:
    """Start a local RTMP server (ffmpeg -listen 1) writing what it receives to a file."""
    started: list[asyncio.subprocess.Process] = []

    async def start(output: Path) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            *(ffmpeg_exe, "-hide_banner", "-v", "error", "-nostdin", "-y"),
            *("-listen", "1", "-f", "flv", "-i", DESTINATION, "-c", "copy", "-f", "flv"),
            str(output),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


def size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


async def test_a_destination_killed_mid_sitting_is_retried_and_the_recording_goes_on(
    make_recorder: MakeRecorder,
    listen: Listen,
    ffmpeg_exe: str,
    media: MediaCheck,
    tmp_path: Path,
) -> None:
    """The listener receives the program; killed, the push shows retrying (with a redacted
    error) while the recorder keeps recording (no recording_lost, one part); the listener back,
    the push streams to it again; at close it sends the playlist to its end and ends."""
    recorder, sink = await make_recorder()
    call = await asyncio.create_subprocess_exec(
        *simulated_call_args(ffmpeg_exe, recorder.ingest_url(), seconds=40, size="160x120"),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await sink.wait_for(ev.RECORDING_STARTED)
        live = recorder.directory / "live.m3u8"
        await until(lambda: live.is_file() and "#EXTINF" in live.read_text())
        first = await listen(tmp_path / "first.flv")
        program = restream.Restream(
            live,
            [restream.Destination("Тестовий сервер", DESTINATION)],
            ffmpeg=ffmpeg_exe,
            backoff=restream.Backoff(first_delay=0.5, max_delay=2.0, settle=5.0),
        )
        program.start()
        push = program.pushes[0]
        await until(lambda: push.state == restream.STREAMING, limit=30)
        await until(lambda: size(tmp_path / "first.flv") > 20_000, limit=30)

        first.kill()
        await first.wait()
        await until(lambda: push.state == restream.RETRYING, limit=30)
        shown = program.status()[0]
        assert shown["name"] == "Тестовий сервер" and shown["failures"] >= 1
        assert shown["last_error"] and "secret-stream-key" not in shown["last_error"]
        assert "secret-stream-key" not in repr(push.destination)

        second = await listen(tmp_path / "second.flv")
        await until(lambda: push.state == restream.STREAMING and push.attempts >= 2, limit=30)
        await until(lambda: size(tmp_path / "second.flv") > 20_000, limit=30)
        assert recorder.status().receiving
        archive = await recorder.close([])  # the session closes: EXT-X-ENDLIST
        await program.finish(grace=20)
        assert push.state == restream.STOPPED and push.ended  # it sent the end, then ended
        await asyncio.wait_for(second.wait(), 10)
    finally:
        with contextlib.suppress(ProcessLookupError):
            call.kill()
        await call.wait()
    assert sink.of(ev.RECORDING_LOST) == []
    assert [p.part for p in archive.parts] == [1]
    assert media.decode_errors(tmp_path / "second.flv") == ""


async def test_restream_is_configured_per_session_and_its_state_is_shown_by_name(
    database_url: str, tmp_path: Path, listen: Listen
) -> None:
    """Off by default; the administrator lists a destination for an opened session and the
    recording process pushes to it; the API shows it by name (no URL, no key), bad lists are
    422; at close it stops and the journal has no recording_lost."""
    settings = make_settings(database_url, tmp_path / "data", recording=simulated_settings())
    app = create_app(settings, extensions=[configure(poll_seconds=0.2)])
    async with TestClient(TestServer(app)) as client:
        pool = client.app[POOL]
        session_id = await open_session(pool)
        await wait_journal(pool, session_id, ev.RECORDING_STARTED)
        url = f"/api/v1/sessions/{session_id}/restream"
        assert (await (await client.get(url)).json())["destinations"] == []  # off by default

        body = {"destinations": [{"name": "YouTube", "url": DESTINATION}]}
        r = await client.put(url, json=body)
        assert (r.status, r.content_type) == (401, "application/problem+json")
        for bad in (
            {"destinations": [{"name": "YouTube", "url": "http://127.0.0.1/live"}]},
            {"destinations": [{"name": "", "url": DESTINATION}]},
            {"destinations": [{"name": "A", "url": DESTINATION}] * 2},
            {"destinations": "rtmp://x"},
        ):
            r = await client.put(url, json=bad, headers=ADMIN)
            assert (r.status, r.content_type) == (422, "application/problem+json"), bad

        await listen(tmp_path / "first.flv")
        r = await client.put(url, json=body, headers=ADMIN)
        assert r.status == 200, await r.text()

        async def shown() -> dict[str, Any]:
            text = await (await client.get(url)).text()
            assert "secret-stream-key" not in text and "rtmp://" not in text
            destinations: list[dict[str, Any]] = json.loads(text)["destinations"]
            return destinations[0]

        async def state_is(state: str) -> bool:
            return (await shown())["state"] == state

        await until(lambda: state_is(restream.STREAMING), limit=30)
        assert (await shown())["name"] == "YouTube"
        await until(lambda: size(tmp_path / "first.flv") > 20_000, limit=30)
        # (a destination that dies and comes back: the test above, on the same Restream)

        await close_session(pool, session_id)
        await wait_journal(pool, session_id, ev.ARCHIVE_READY)
        await until(lambda: state_is(restream.STOPPED), limit=30)
        assert ev.RECORDING_LOST not in await journal_types(pool, session_id)


async def test_a_break_reaches_the_destination_as_one_stream(
    make_recorder: MakeRecorder,
    publish: Publish,
    listen: Listen,
    ffmpeg_exe: str,
    media: MediaCheck,
    tmp_path: Path,
) -> None:
    """Two parts around a break (R10) go out in one push without a failure: the destination
    gets part 1 from where the push joined it, then every frame of part 2, and the close ends
    the push (EXT-X-ENDLIST)."""
    recorder, sink = await make_recorder()
    url = recorder.ingest_url()
    first = await publish(url)
    await sink.wait_for(ev.RECORDING_STARTED)
    live = recorder.directory / "live.m3u8"
    await until(lambda: live.is_file() and "#EXTINF" in live.read_text())
    received = await listen(tmp_path / "received.flv")
    program = restream.Restream(
        live, [restream.Destination("Тестовий сервер", DESTINATION)], ffmpeg=ffmpeg_exe
    )
    program.start()
    assert await first.finish() == 0
    await sink.wait_for(ev.PART_CLOSED)
    assert await (await publish(url)).finish() == 0
    await sink.wait_for(ev.PART_CLOSED, count=2)
    await recorder.close([])
    await program.finish(grace=20)
    await asyncio.wait_for(received.wait(), 10)
    push = program.pushes[0]
    assert (push.attempts, push.failures, push.ended) == (1, 0, True)
    assert media.decode_errors(tmp_path / "received.flv") == ""
    numbers = media.frame_numbers(tmp_path / "received.flv")
    whole = SOURCE_SECONDS * FPS
    joined = len(numbers) - whole  # the frames of part 1 after the push joined it
    assert 0 < joined <= whole
    assert numbers == list(range(whole - joined, whole)) + list(range(whole))
