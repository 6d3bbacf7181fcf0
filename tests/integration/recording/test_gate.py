"""The ingest port refuses anyone but the session's publisher (ffmpeg alone would not)."""

from __future__ import annotations

import asyncio

from orchestrator import events as ev
from tests.integration.recording.conftest import FPS, MakeRecorder, Publish


async def test_wrong_stream_key_and_players_are_refused_before_ffmpeg_sees_them(
    make_recorder: MakeRecorder, publish: Publish, ffmpeg_exe: str
) -> None:
    """A publisher with another key and an RTMP player are cut off: no event, no part file;
    the right key is recorded afterwards."""
    recorder, sink = await make_recorder(key="the-right-key")
    url = recorder.ingest_url()

    intruder = await publish(url.replace("the-right-key", "a-wrong-key"))
    assert await intruder.finish() != 0
    wrong_app = await publish(url.replace("/live/", "/other/"))
    assert await wrong_app.finish() != 0
    player = await asyncio.create_subprocess_exec(
        ffmpeg_exe, "-v", "error", "-nostdin", "-i", url, "-t", "1", "-f", "null", "-",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    async with asyncio.timeout(15):
        assert await player.wait() != 0
    assert sink.events == []
    assert not list(recorder.directory.glob("part-*"))

    rightful = await publish(url)
    started = await sink.wait_for(ev.RECORDING_STARTED)
    assert started.payload["part"] == 1
    await rightful.wait_frames(FPS)
    archive = await recorder.close([])
    assert [p.part for p in archive.parts] == [1]
