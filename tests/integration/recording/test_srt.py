"""SRT ingest: the passphrase is the key check, made by the SRT handshake itself.

The outage acceptance runs over SRT too (``test_outage.py``, parametrised by ingest)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from orchestrator.kernel.journal import events as ev
from recording.errors import NoIngestPort
from recording.media import srt
from tests.integration.recording.conftest import (
    FPS,
    SOURCE_SECONDS,
    SRT_CALLER,
    MakeRecorder,
    MediaCheck,
    Publish,
    own_port,
    until,
)
from tests.integration.recording.test_crash import next_line, start_runner
from tests.integration.recording.test_gate import command_lines_with


async def test_a_caller_without_the_passphrase_is_refused_by_the_handshake(
    make_recorder: MakeRecorder, publish: Publish, media: MediaCheck
) -> None:
    """A wrong passphrase and none are refused before ffmpeg reads a byte: the listener stays
    the same process, no event, no part file; the rightful caller is then recorded whole, and
    the passphrase is on no command line but the caller's own."""
    # a key of its own: the other SRT tests' callers (another pytest-xdist worker's at the same
    # moment) show the default key's passphrase on their command lines
    key = f"k3y-{uuid.uuid4().hex}"
    recorder, sink = await make_recorder(ingest="srt", key=key)
    url = recorder.ingest_url()
    query = parse_qs(urlsplit(url).query)
    assert urlsplit(url).netloc == f"127.0.0.1:{recorder.port}"
    assert query["mode"] == ["caller"] and query["pbkeylen"] == ["32"]
    assert query["passphrase"] == [srt.passphrase(key)]
    await until(lambda: recorder.ingest_pid is not None)
    listener = recorder.ingest_pid

    wrong = url.replace(query["passphrase"][0], srt.passphrase("another session's key"))
    bare = f"srt://127.0.0.1:{recorder.port}?mode=caller"
    for refused in (wrong, bare):
        caller = await publish(refused + "&connect_timeout=3000")
        assert await caller.finish() != 0, f"{refused} was let in"
        assert caller.frames == 0

    assert recorder.ingest_pid == listener, "a refused caller reached ffmpeg"
    assert sink.events == []
    assert not [name for name in os.listdir(recorder.directory) if name.startswith("part-")]

    rightful = await publish(url + SRT_CALLER)
    started = await sink.wait_for(ev.RECORDING_STARTED)
    assert started.payload["part"] == 1
    # the listener got the passphrase on its stdin: no command line but the caller's shows it
    assert command_lines_with(query["passphrase"][0], but={rightful.process.pid}) == []
    assert await rightful.finish() == 0
    closed = await sink.wait_for(ev.PART_CLOSED)
    archive = await recorder.close([])
    part = archive.directory / closed.payload["file"]
    assert media.decode_errors(part) == ""
    assert media.frame_numbers(part) == list(range(SOURCE_SECONDS * FPS))
    assert closed.payload["sha256"] == media.sha256(part)


async def test_the_srt_ffmpeg_ends_when_rada_dies(
    publish: Publish, media: MediaCheck, tmp_path: Path
) -> None:
    """SIGKILL of the recording process alone: with no gate to cut its caller off, its SRT
    ffmpeg still ends (SIGTERM on its parent's death), leaving the part playable and the port
    free, instead of recording on into the session's folder."""
    session_id = uuid.uuid4()
    port = own_port(2)
    runner = await start_runner(tmp_path, session_id, port, ingest="srt")
    assert runner.stdout is not None
    try:
        url = (await next_line(runner.stdout, "ready"))["url"]
        caller = await publish(url + SRT_CALLER)
        await next_line(runner.stdout, ev.RECORDING_STARTED)
        await caller.wait_frames(2 * FPS)
        ffmpeg = (await next_line(runner.stdout, "ingest"))["pid"]
        os.kill(runner.pid, signal.SIGKILL)  # rada only, not its process group
        await runner.wait()

        def gone() -> bool:  # exited (a zombie waiting for init to reap it is gone too)
            try:
                stat = Path(f"/proc/{ffmpeg}/stat").read_text()
            except FileNotFoundError:
                return True
            return stat.rsplit(")", 1)[1].split()[0] == "Z"

        await until(gone, limit=10)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(runner.pid, signal.SIGKILL)
    part = tmp_path / str(session_id) / "part-0001.mp4"
    assert media.decode_errors(part) == ""
    assert len(media.frame_numbers(part)) >= FPS
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", port))


async def test_the_session_holds_its_udp_port_between_parts() -> None:
    """The pool's UDP ports: a held one is skipped by the next session, let go for ffmpeg and
    bound again after it; a full pool is refused."""
    # a pool no other test binds: every recorder of the run takes PORTS[0] first, and one still
    # ending (or left behind by a failed test) holds it, which this test would read as a bug
    pool = (own_port(3), own_port(4))
    first = srt.UdpPort("127.0.0.1", pool)
    second = srt.UdpPort("127.0.0.1", pool)
    assert first.take() == pool[0]
    assert second.take() == pool[1]  # pool[0] is held
    with pytest.raises(NoIngestPort):
        srt.UdpPort("127.0.0.1", pool).take()

    first.release()  # what ffmpeg does with it meanwhile: bind it
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ffmpeg_like:
        ffmpeg_like.bind(("127.0.0.1", pool[0]))
        assert not first.hold()
    assert first.hold()
    with pytest.raises(NoIngestPort):
        srt.UdpPort("127.0.0.1", pool[:1]).take()
    first.release()
    second.release()


def test_passphrase_fits_srt_and_differs_per_key() -> None:
    """10..64 characters (libsrt's bounds) whatever the key's length; one per key."""
    phrases = {srt.passphrase(key) for key in ("k", "k3y-for-test", "x" * 200)}
    assert len(phrases) == 3
    assert all(10 <= len(p) <= 64 and p.isalnum() for p in phrases)
    assert srt.passphrase("k") == srt.passphrase("k")
