"""a publisher outage costs a gap in the recording, never frames or files.

The publisher pushes a pre-encoded file whose every frame carries its number, paced in real
time (``-re``) and reporting progress. Over RTMP, what it *delivered* is counted independently
of ffmpeg: the gate parses the RTMP chunk stream and counts every complete video frame it
relayed. The publisher's own progress report is a lower bound (it lags by up to 0.1 s), and the
only one over SRT (no gate). Frames still inside the killed publisher's memory were never
delivered and are not expected.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal

import pytest

from orchestrator.kernel.journal import events as ev
from tests.integration.recording.conftest import (
    FPS,
    SOURCE_SECONDS,
    STALL,
    MakeRecorder,
    MediaCheck,
    Publish,
    publisher_url,
    until,
)

INGESTS = pytest.mark.parametrize("ingest", ["rtmp", "srt"])


@INGESTS
async def test_publisher_killed_mid_stream_costs_a_gap_not_frames(
    make_recorder: MakeRecorder, publish: Publish, media: MediaCheck, ingest: str
) -> None:
    """SIGKILL of the publisher: recording_lost within stall + 1 s, two playable parts holding
    every delivered frame in order, and reported hashes that match the files (R9, R10); over
    RTMP and over SRT (where the status's bitrate comes from the part file)."""
    loop = asyncio.get_running_loop()
    recorder, sink = await make_recorder(ingest=ingest)
    url = publisher_url(recorder)

    first = await publish(url)
    await sink.wait_for(ev.RECORDING_STARTED)
    await first.wait_frames(2 * FPS)
    confirmed_by_publisher = first.frames
    killed_at = loop.time()
    await first.kill()

    lost = await sink.wait_for(ev.RECORDING_LOST)
    assert lost.at - killed_at <= STALL + 1.0, "recording_lost later than stall + 1 s"
    assert lost.payload["cause"] == "stall"
    assert lost.payload["part"] == 1
    closed_first = await sink.wait_for(ev.PART_CLOSED)
    assert closed_first.payload["part"] == 1

    second = await publish(url)
    resumed = await sink.wait_for(ev.RECORDING_RESUMED)
    assert resumed.payload["part"] == 2
    await until(lambda: (recorder.status().bitrate_kbps or 0) > 0)
    assert await second.finish() == 0
    closed_second = await sink.wait_for(ev.PART_CLOSED, count=2)
    assert closed_second.payload["part"] == 2

    archive = await recorder.close([])
    assert [p.part for p in archive.parts] == [1, 2]
    part1, part2 = (archive.directory / p.file for p in archive.parts)

    assert media.decode_errors(part1) == ""
    assert media.decode_errors(part2) == ""

    # Part 1: the frames the publisher delivered before the kill, in order, none lost: exactly
    # those the gate counted (RTMP); at least those the publisher had confirmed (SRT: no count).
    numbers = media.frame_numbers(part1)
    assert numbers == list(range(len(numbers))) and len(numbers) >= confirmed_by_publisher
    assert archive.parts[0].frames_received == (len(numbers) if ingest == "rtmp" else None)
    # Part 2: the whole second run.
    assert media.frame_numbers(part2) == list(range(SOURCE_SECONDS * FPS))
    if ingest == "rtmp":
        assert archive.parts[1].frames_received == SOURCE_SECONDS * FPS

    for event, path in ((closed_first, part1), (closed_second, part2)):
        assert event.payload["sha256"] == media.sha256(path)
        assert event.payload["size"] == path.stat().st_size
        assert event.payload["duration_ms"] > 0

    ready = await sink.wait_for(ev.ARCHIVE_READY)
    manifest_path = archive.directory / "manifest.json"
    assert ready.payload["manifest_sha256"] == media.sha256(manifest_path)
    listed = json.loads(manifest_path.read_text())["parts"]
    assert [(p["file"], p["sha256"]) for p in listed] == [
        (e.payload["file"], e.payload["sha256"]) for e in (closed_first, closed_second)
    ]
    playlist = (archive.directory / "index.m3u8").read_text()
    assert playlist.count("#EXT-X-DISCONTINUITY") == 1
    assert playlist.rstrip().endswith("#EXT-X-ENDLIST")
    assert media.decode_errors(archive.directory / "index.m3u8") == ""


@INGESTS
async def test_hung_publisher_is_detected_by_progress_not_by_exit(
    make_recorder: MakeRecorder, publish: Publish, media: MediaCheck, ingest: str
) -> None:
    """A publisher that stops sending but keeps its connection open (SIGSTOP) is a loss within
    stall + 1 s; the part is closed playable and the next publisher is accepted (SRT: the
    stalled listener is stopped and the next one binds the port again)."""
    loop = asyncio.get_running_loop()
    recorder, sink = await make_recorder(ingest=ingest)
    url = publisher_url(recorder)
    hung = await publish(url)
    await sink.wait_for(ev.RECORDING_STARTED)
    await hung.wait_frames(FPS)
    os.kill(hung.process.pid, signal.SIGSTOP)
    stopped_at = loop.time()

    lost = await sink.wait_for(ev.RECORDING_LOST)
    assert lost.at - stopped_at <= STALL + 1.0
    assert lost.payload["cause"] == "stall"
    closed = await sink.wait_for(ev.PART_CLOSED)
    assert hung.process.returncode is None, "the recorder did not wait for the publisher to exit"

    replacement = await publish(url)
    resumed = await sink.wait_for(ev.RECORDING_RESUMED)
    assert resumed.payload["part"] == 2
    await replacement.wait_frames(FPS)
    archive = await recorder.close([])
    await hung.kill()

    part1 = archive.directory / closed.payload["file"]
    assert media.decode_errors(part1) == ""
    numbers = media.frame_numbers(part1)
    assert numbers == list(range(len(numbers))) and len(numbers) >= FPS
    assert archive.parts[0].frames_received == (len(numbers) if ingest == "rtmp" else None)
    assert closed.payload["sha256"] == media.sha256(part1)
    assert [p.part for p in archive.parts] == [1, 2]


async def test_full_disk_is_a_loss_with_cause_storage(
    make_recorder: MakeRecorder, publish: Publish, media: MediaCheck
) -> None:
    """ffmpeg failing to write the part (ENOSPC: the part file is /dev/full) is journaled as
    recording_lost with cause storage; with space back, the next stream resumes (R9, R10)."""
    recorder, sink = await make_recorder()
    await until(
        lambda: recorder.ingest_pid is not None
    )  # part 1's ffmpeg listens: its number is set
    (recorder.directory / "part-0001.mp4").symlink_to("/dev/full")
    doomed = await publish(recorder.ingest_url())
    lost = await sink.wait_for(ev.RECORDING_LOST)
    assert lost.payload["cause"] == "storage"
    closed = await sink.wait_for(ev.PART_CLOSED)
    assert (closed.payload["size"], closed.payload["duration_ms"]) == (0, 0)  # nothing was kept
    await doomed.kill()

    (recorder.directory / "part-0001.mp4").unlink(missing_ok=True)
    healthy = await publish(recorder.ingest_url())
    resumed = await sink.wait_for(ev.RECORDING_RESUMED)
    await healthy.wait_frames(FPS)
    archive = await recorder.close([])
    part = archive.directory / archive.parts[-1].file
    assert archive.parts[-1].part == resumed.payload["part"]
    assert media.decode_errors(part) == ""
