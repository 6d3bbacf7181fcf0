"""Acceptance (issue 5): rada dying while it records loses neither the part nor its numbering."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from pathlib import Path
from typing import Any

from orchestrator import events as ev
from tests.integration.recording.conftest import FPS, MakeRecorder, MediaCheck, Publish

RUNNER = Path(__file__).with_name("recorder_process.py")


async def _next_line(stream: asyncio.StreamReader, type_: str) -> dict[str, Any]:
    async with asyncio.timeout(15):
        while raw := await stream.readline():
            line = json.loads(raw)
            if line["type"] == type_:
                return dict(line)
    raise AssertionError(f"the recorder process ended before {type_}")


async def test_sigkill_of_the_recording_process_leaves_a_playable_part_and_a_new_part_follows(
    make_recorder: MakeRecorder, publish: Publish, media: MediaCheck, tmp_path: Path
) -> None:
    """SIGKILL of the recorder process and its ffmpeg mid-stream: the part on disk plays end to
    end; a new recorder for the still-open session closes it as recovered (hash of the file),
    reports the loss, and records the next stream as part 2 (R9)."""
    session_id = uuid.uuid4()
    root = tmp_path / "recordings"
    runner = await asyncio.create_subprocess_exec(
        sys.executable, str(RUNNER), str(root), str(session_id), "k3y", "19470",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    assert runner.stdout is not None
    try:
        url = (await _next_line(runner.stdout, "ready"))["url"]
        first = await publish(url)
        await _next_line(runner.stdout, ev.RECORDING_STARTED)
        await first.wait_frames(int(2.5 * FPS))
        ingest = await _next_line(runner.stdout, "ingest")
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
