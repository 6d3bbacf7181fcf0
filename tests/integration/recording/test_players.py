"""The playlists played by a real client (R9, R20): ffmpeg's HLS demuxer reads the live
playlist over HTTP from the running server while the sitting is recorded and follows it to its
end, then reads the archive's VOD playlist over the public archive URL and from the archive
folder on disk: every URL it names resolves, nothing fails to decode, and what it plays lasts
what the manifest says, within one frame."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from orchestrator.app import create_app
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.keys import POOL
from orchestrator.protocol import api as publication_api
from orchestrator.protocol import archive as published
from orchestrator.protocol import bundle
from orchestrator.protocol.service import PUBLICATION
from recording.api import configure
from recording.media.recorder import Archive
from tests.conftest import make_settings
from tests.integration.recording.conftest import (
    FPS,
    SOURCE_SECONDS,
    MakeRecorder,
    MediaCheck,
    Publish,
    close_session,
    open_session,
    simulated_settings,
    until,
    wait_journal,
)

pytestmark = pytest.mark.slow

FRAME_MS = 40  # the simulated call's 25 frames a second
# ffmpeg 9.0's HLS demuxer over HTTP asks for a part's contiguous byte-range segments in one
# request (``Range: bytes=1339-<end of the last>``) and then either plays only the first
# segment (50 of 188 frames, no error: its default) or, when it must ask segment by segment,
# sends the next request on a connection whose last answer it has not read to the end
# ("Unexpected offset"). The same playlist plays whole from disk. Asking one request a segment
# on fresh connections, as the playlist lists them, checks rada's answers and nothing else.
OVER_HTTP = ("-http_seekable", "0", "-http_persistent", "0")


@pytest.fixture
async def client(database_url: str, tmp_path: Path) -> AsyncIterator[TestClient[Any, Any]]:
    """Recording (a simulated call over RTMP) and the public archive wired into one app."""
    settings = make_settings(database_url, tmp_path / "data", recording=simulated_settings())
    app = create_app(settings, extensions=[configure(poll_seconds=0.2), publication_api.setup])
    async with TestClient(TestServer(app)) as c:
        yield c


class Played:
    """What ffmpeg made of a playlist: its exit, its error output, the video frames decoded."""

    def __init__(self, code: int, errors: str, frames: int) -> None:
        self.code, self.errors, self.frames = code, errors, frames

    def __repr__(self) -> str:
        return f"Played(code={self.code}, frames={self.frames}, errors={self.errors[-800:]!r})"


async def start_playing(exe: str, url: str, *options: str) -> asyncio.subprocess.Process:
    """ffmpeg as an HLS player: demux ``url``, decode its video to nothing, report progress."""
    return await asyncio.create_subprocess_exec(
        *(exe, "-hide_banner", "-v", "error", "-nostdin", *options, "-i", url),
        *("-map", "0:v:0", "-fps_mode", "passthrough", "-f", "null", "-", "-progress", "pipe:1"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def played(process: asyncio.subprocess.Process, limit: float = 60.0) -> Played:
    try:
        async with asyncio.timeout(limit):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        err += b"\n(still playing after the limit: the playlist never ended)"
    frames = [
        int(v) for k, _, v in (ln.partition("=") for ln in out.decode().split()) if k == "frame"
    ]
    return Played(
        process.returncode or 0, err.decode(errors="replace"), frames[-1] if frames else 0
    )


def assert_plays_the_manifest(result: Played, manifest: dict[str, Any]) -> None:
    assert result.code == 0 and result.errors.strip() == "", result
    assert abs(result.frames * FRAME_MS - manifest["duration_ms"]) <= FRAME_MS, (
        result,
        manifest["duration_ms"],
    )


async def test_ffmpeg_plays_the_live_playlist_then_the_archive(
    client: TestClient[Any, Any], ffmpeg_exe: str, tmp_path: Path
) -> None:
    """During the sitting ffmpeg follows the live playlist from its first segment; closing the
    session ends it (EXT-X-ENDLIST) and it has played the whole recording. After close the
    archive's VOD playlist plays over the public archive URL, from the folder on disk and from
    a downloaded copy (the archive's ZIP unpacked elsewhere)."""
    pool: asyncpg.Pool = client.app[POOL]
    session_id = await open_session(pool)
    await wait_journal(pool, session_id, ev.RECORDING_STARTED)
    base = str(client.make_url(f"/archive/sessions/{session_id}"))

    async def live_has_segments() -> bool:
        r = await client.get(f"/archive/sessions/{session_id}/live/live.m3u8")
        return r.status == 200 and (await r.text()).count("#EXTINF") >= 2

    await until(live_has_segments)
    live = await start_playing(
        ffmpeg_exe, f"{base}/live/live.m3u8", "-live_start_index", "0", *OVER_HTTP
    )
    await asyncio.sleep(2)  # ffmpeg reloads the playlist as it grows
    await close_session(pool, session_id)
    await wait_journal(pool, session_id, ev.ARCHIVE_READY)
    manifest = await (
        await client.get(f"/archive/sessions/{session_id}/files/manifest.json")
    ).json()
    assert_plays_the_manifest(await played(live), manifest)

    vod_url = f"{base}/files/{published.RECORDER_FILES}/index.m3u8"
    vod = await start_playing(ffmpeg_exe, vod_url, *OVER_HTTP)
    assert_plays_the_manifest(await played(vod), manifest)

    folder = client.app[PUBLICATION].folder(session_id)
    on_disk = sorted(folder.rglob("index.m3u8"))
    assert on_disk, "the archive folder holds the VOD playlist"
    for playlist in on_disk:
        local = await start_playing(ffmpeg_exe, str(playlist), "-allowed_extensions", "ALL")
        assert_plays_the_manifest(await played(local), manifest)
    assert json.loads((folder / published.MANIFEST).read_bytes()) == manifest

    # a downloaded copy: the archive as one ZIP, unpacked elsewhere
    r = await client.get(f"/archive/sessions/{session_id}/bundle.zip")
    assert r.status == 200
    (tmp_path / "copy.zip").write_bytes(await r.read())
    copy = bundle.extract(tmp_path / "copy.zip", tmp_path / "copy")
    local = await start_playing(ffmpeg_exe, str(copy / published.RECORDER_FILES / "index.m3u8"))
    assert_plays_the_manifest(await played(local), manifest)


@pytest.fixture
async def two_parts(make_recorder: MakeRecorder, publish: Publish) -> Archive:
    """A recording of two parts around a break (the publisher gone, then back, R10)."""
    recorder, sink = await make_recorder()
    url = recorder.ingest_url()
    assert await (await publish(url)).finish() == 0
    await sink.wait_for(ev.PART_CLOSED)
    assert await (await publish(url)).finish() == 0
    await sink.wait_for(ev.PART_CLOSED, count=2)
    archive = await recorder.close([])
    assert [p.part for p in archive.parts] == [1, 2]
    return archive


async def test_a_break_is_a_discontinuity_and_both_playlists_play_to_the_end(
    two_parts: Archive, ffmpeg_exe: str, media: MediaCheck
) -> None:
    """The live playlist at close and the archive's VOD playlist each hold one
    EXT-X-DISCONTINUITY and end with EXT-X-ENDLIST; ffmpeg plays either from the recorder's
    folder without a decode error, every frame of part 1 and on to part 2's last frame."""
    for name in ("live.m3u8", "index.m3u8"):
        path = two_parts.directory / name
        text = path.read_text()
        assert text.count("#EXT-X-DISCONTINUITY") == 1, name
        assert text.rstrip().endswith("#EXT-X-ENDLIST"), name
        result = await played(await start_playing(ffmpeg_exe, str(path)))
        assert result.code == 0 and result.errors.strip() == "", (name, result)
        numbers = await asyncio.to_thread(media.frame_numbers, path)
        assert numbers[: SOURCE_SECONDS * FPS] == list(range(SOURCE_SECONDS * FPS)), name
        assert numbers[-1] == SOURCE_SECONDS * FPS - 1, name


@pytest.mark.xfail(
    strict=True,
    reason="ffmpeg 9.0's HLS demuxer ignores EXT-X-DISCONTINUITY: each part's timestamps "
    "restart at 0, so it drops the first fragment after a break as 'DTS out of order' "
    "(275 of 300 frames); a part whose media time continued the session's would play whole",
)
async def test_ffmpeg_plays_every_frame_across_a_break(two_parts: Archive, ffmpeg_exe: str) -> None:
    """Across the break ffmpeg plays what the manifest lists, within one frame."""
    manifest = json.loads(two_parts.manifest.body)
    path = two_parts.directory / "index.m3u8"
    result = await played(await start_playing(ffmpeg_exe, str(path)))
    assert abs(result.frames * FRAME_MS - manifest["duration_ms"]) <= FRAME_MS, result
