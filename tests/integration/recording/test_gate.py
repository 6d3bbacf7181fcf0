"""The ingest port refuses anyone but the session's publisher (ffmpeg alone would not)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from orchestrator.kernel.journal import events as ev
from recording.media.gate import RtmpGate
from tests.integration.recording.conftest import FPS, MakeRecorder, Publish
from tests.unit.recording.test_rtmp import CONNECT, HANDSHAKE, PUBLISH, message


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


async def test_batched_relay_still_delivers_a_stream_that_slows_down() -> None:
    """After a fast second the gate reads in large batches (a high receive low-water mark); when
    the publisher then goes quiet, what is already sent still reaches ffmpeg's side (R9)."""
    received = bytearray()
    arrived = asyncio.Event()

    async def upstream_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            received.extend(data)
            arrived.set()
        writer.close()

    upstream = await asyncio.start_server(upstream_server, "127.0.0.1", 0)
    upstream_port = upstream.sockets[0].getsockname()[1]

    async def upstream_listener() -> int:
        return int(upstream_port)

    gate = RtmpGate(
        host="127.0.0.1",
        ports=[0],
        app="live",
        key="k3y",
        upstream=upstream_listener,
        clock=lambda: datetime.now(UTC),
    )
    port = await gate.start()
    _, publisher = await asyncio.open_connection("127.0.0.1", port)
    sent = HANDSHAKE + message(3, 20, CONNECT) + message(3, 20, PUBLISH)
    publisher.write(sent)
    loop = asyncio.get_running_loop()
    fast_until = loop.time() + 1.5
    while loop.time() < fast_until:  # ~1 MB/s: the gate raises the low-water mark
        frame = message(6, 9, b"\x27\x01" + bytes(20_000))
        publisher.write(frame)
        sent += frame
        await publisher.drain()
        await asyncio.sleep(0.02)
    quiet = message(7, 8, b"\xaf\x01" + bytes(100))  # then one small message, and silence
    publisher.write(quiet)
    sent += quiet
    await publisher.drain()
    async with asyncio.timeout(20):
        while len(received) < len(sent):
            arrived.clear()
            await arrived.wait()
    assert bytes(received) == sent
    assert gate.publisher is not None and gate.publisher.verified
    publisher.close()
    await gate.close()
    upstream.close()
    await upstream.wait_closed()


def command_lines_with(secret: str, *, but: set[int]) -> list[str]:
    """Every process's command line (``ps``) that holds ``secret``, except the pids in ``but``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) in but:
            continue
        try:
            argv = (proc / "cmdline").read_bytes()
        except OSError:
            continue  # the process ended meanwhile
        if secret.encode() in argv:
            found.append(argv.replace(b"\0", b" ").decode(errors="replace"))
    return found


async def test_the_stream_key_is_on_no_command_line_while_recording(
    make_recorder: MakeRecorder, publish: Publish
) -> None:
    """While a session is recorded, no process but the publisher itself shows the stream key
    on its command line: the recorder's ffmpeg listens behind the gate without it."""
    key = "a-stream-key-0123456789abcdef"
    recorder, sink = await make_recorder(key=key)
    rightful = await publish(recorder.ingest_url())
    await sink.wait_for(ev.RECORDING_STARTED)
    await rightful.wait_frames(FPS)
    assert command_lines_with(key, but={rightful.process.pid}) == []
    await recorder.close([])
