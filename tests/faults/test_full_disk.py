"""A full disk under a recording session: a real 20 MiB tmpfs as the media folder, filled by a
ballast file while a real publisher pushes over RTMP into the real recorder (R9, R10)."""

from __future__ import annotations

import asyncio
import json
import time

from orchestrator.kernel.journal import events as ev
from recording import manifest
from tests.faults.conftest import SmallDisk
from tests.integration.recording.conftest import FPS, STALL, MakeRecorder, MediaCheck, Publish


async def test_full_disk_is_a_storage_loss_and_no_resume_until_media_is_written(
    make_recorder: MakeRecorder, publish: Publish, media: MediaCheck, small_disk: SmallDisk
) -> None:
    """Filling the disk mid-stream is recording_lost (cause storage) within stall + 1 s with the
    status showing low space; while it stays full a new publisher does not resume the
    recording; once space is freed the next stream resumes; closing on a full disk writes the
    archive at once, and every part in it plays to its end."""
    loop = asyncio.get_running_loop()
    recorder, sink = await make_recorder(root=small_disk.root)
    first = await publish(recorder.ingest_url())
    await sink.wait_for(ev.RECORDING_STARTED)
    await first.wait_frames(2 * FPS)

    filled_at = loop.time()
    small_disk.fill()
    lost = await sink.wait_for(ev.RECORDING_LOST, limit=STALL + 1.0)
    detected = lost.at - filled_at
    assert lost.payload["cause"] == "storage"
    assert detected <= STALL + 1.0, f"recording_lost {detected:.2f} s after the disk filled"
    assert recorder.status().storage_low and recorder.status().free_bytes == 0
    await sink.wait_for(ev.PART_CLOSED)
    await first.kill()

    # still full: a publisher's frames reach ffmpeg but not the disk, so nothing resumes
    blocked = await publish(recorder.ingest_url())
    await blocked.wait_frames(3 * FPS)
    assert sink.of(ev.RECORDING_RESUMED) == []
    assert not recorder.status().receiving
    await blocked.kill()
    await asyncio.sleep(STALL)  # the blocked stream's end: its last bytes may land, rada's not
    assert sink.of(ev.RECORDING_RESUMED) == []

    small_disk.free()
    healthy = await publish(recorder.ingest_url())
    resumed = await sink.wait_for(ev.RECORDING_RESUMED)
    await healthy.wait_frames(2 * FPS)

    small_disk.fill()  # full again when the session closes: the archive must not wait
    began = time.perf_counter()
    archive = await asyncio.wait_for(recorder.close([]), timeout=5)
    assert time.perf_counter() - began < 2.0
    ready = await sink.wait_for(ev.ARCHIVE_READY)
    written = json.loads((archive.directory / manifest.MANIFEST_NAME).read_bytes())
    assert ready.payload["parts"] == len(written["parts"]) == len(archive.parts)
    assert [p.part for p in archive.parts][-1] == resumed.payload["part"]
    for part in archive.parts:
        path = archive.directory / part.file
        assert media.decode_errors(path) == "", part.file
        assert part.size == path.stat().st_size and part.sha256 == media.sha256(path)
