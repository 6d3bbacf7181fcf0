"""Recorder cost and archive latency, against a bare ``ffmpeg -c copy`` of the same stream.

    python bench/recording_cpu.py [--minutes 1] [--long-minutes 60] [--size 1280x720]
                                  [--sessions 8] [--sessions-minutes 1]

1. CPU seconds per recorded minute, in real time (``-re``): the whole recorder (its ffmpeg,
   plus this Python process: the RTMP gate relaying and parsing every chunk, the incremental
   SHA-256, the watchdog, the live playlist) next to a bare ``ffmpeg -listen 1 -i rtmp://…
   -c copy`` to a fragmented MP4 receiving the same push. Prints both and the ratio.
2. Close-to-``archive_ready`` time of that live 1-minute recording (closed while media flows).
3. The same for a ``--long-minutes`` recording pushed faster than real time (no ``-re``; the
   clip is looped with ``-stream_loop``, stream copy), closed while media still flows.
4. ``--sessions`` recordings at once in one rada process (each its own gate, port and ffmpeg),
   pushed in real time for ``--sessions-minutes``: CPU seconds per session per minute (all the
   recorders' ffmpegs plus this process), how many recordings one core carries at that cost,
   and whether any recording was lost (0 skips this part).

The pushed stream is a 10 s clip encoded once (testsrc + sine, libx264 veryfast ~2.5 Mbit/s +
AAC, 2 s GOP: what Jibri sends), looped. ffmpeg CPU is read from /proc/<pid>/stat.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from orchestrator.kernel.settings.recording import RecordingSettings
from recording.media.ingest import baseline_copy_args, ffmpeg_executable
from recording.media.recorder import Recorder
from recording.storage.local import LocalStorage

TICKS = os.sysconf("SC_CLK_TCK")
CLIP_SECONDS = 10
PORT = 19590


def proc_cpu(pid: int | None) -> float | None:
    """utime + stime of a live process, in seconds."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


class CpuSampler:
    """Keeps the last CPU reading of whatever pid ``current()`` names (sampled every 0.1 s)."""

    def __init__(self, current: Any) -> None:
        self.current = current
        self.seen: dict[int, float] = {}
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            pid = self.current()
            cpu = proc_cpu(pid)
            if pid is not None and cpu is not None:
                self.seen[pid] = cpu
            await asyncio.sleep(0.1)

    async def total(self) -> float:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        return sum(self.seen.values())


class NullSink:
    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self.lost = 0

    async def recording_event(
        self, session_id: uuid.UUID, type: str, payload: dict[str, Any]
    ) -> None:
        self.lost += type == "recording_lost"
        if type in ("part_closed", "archive_ready", "recording_lost") and not self.quiet:
            print(f"    {type}: {payload}", flush=True)


async def run(*args: str, quiet: bool = True) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL if quiet else None,
    )


async def make_clip(exe: str, folder: Path, size: str) -> Path:
    clip = folder / "clip.flv"
    process = await run(
        exe, "-v", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:d={CLIP_SECONDS}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:d={CLIP_SECONDS}",
        "-c:v", "libx264", "-preset", "veryfast", "-b:v", "2500k", "-maxrate", "2500k",
        "-bufsize", "5000k", "-g", "50", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", "-f", "flv", str(clip),
        quiet=False,
    )  # fmt: skip
    assert await process.wait() == 0
    return clip


def push_args(exe: str, clip: Path, url: str, seconds: float, realtime: bool) -> list[str]:
    loops = int(seconds // CLIP_SECONDS) + 1
    pace = ["-re"] if realtime else []
    return [
        exe, "-v", "error", *pace, "-stream_loop", str(loops), "-i", str(clip),
        "-t", f"{seconds:g}", "-c", "copy", "-f", "flv", url,
    ]  # fmt: skip


async def baseline(exe: str, clip: Path, folder: Path, seconds: float) -> tuple[float, float]:
    """CPU seconds of a bare ffmpeg -c copy receiving ``seconds`` of the stream, and of this
    process meanwhile (the bench's own sampling: subtracted from the recorder's Python CPU)."""
    python_before = time.process_time()
    port = PORT + 1
    receiver = await run(
        *baseline_copy_args(exe, listen_port=port, output=str(folder / "bare.mp4"))
    )
    sampler = CpuSampler(lambda: receiver.pid)
    await asyncio.sleep(0.5)
    pusher = await run(*push_args(exe, clip, f"rtmp://127.0.0.1:{port}/live/bench", seconds, True))
    await pusher.wait()
    cpu = await sampler.total()
    await receiver.wait()
    return cpu, time.process_time() - python_before


async def recorder_run(
    exe: str, clip: Path, folder: Path, seconds: float, *, realtime: bool, close_at_ms: int
) -> tuple[float, float, float, Recorder]:
    """Push ``seconds`` of the stream; close once the recorder holds ``close_at_ms`` of media
    (the push goes on: a close under load). Returns (ffmpeg CPU, Python CPU, close seconds,
    recorder)."""
    settings = RecordingSettings(ports=(PORT,), host="127.0.0.1", stall_seconds=5)
    recorder = Recorder(
        session_id=uuid.uuid4(),
        key="bench-key-0123456789",
        settings=settings,
        storage=LocalStorage(folder),
        sink=NullSink(),
        ffmpeg=exe,
    )
    await recorder.start()
    sampler = CpuSampler(lambda: recorder.ingest_pid)
    python_before = time.process_time()
    pusher = await run(*push_args(exe, clip, recorder.ingest_url(), seconds, realtime))
    started = time.monotonic()
    while recorder.status().part_media_ms < close_at_ms:
        if pusher.returncode is not None:
            print("    (the push ended before the close: not a close under load)")
            break
        await asyncio.sleep(0.5)
    pushed = time.monotonic() - started
    closing = time.perf_counter()
    await recorder.close([])
    close_seconds = time.perf_counter() - closing
    python_cpu = time.process_time() - python_before
    ffmpeg_cpu = await sampler.total()
    if pusher.returncode is None:
        pusher.kill()
    await pusher.wait()
    print(f"    pushed for {pushed:.1f} s wall")
    return ffmpeg_cpu, python_cpu, close_seconds, recorder


async def concurrent_run(
    exe: str, clip: Path, folder: Path, sessions: int, seconds: float, size: str
) -> None:
    """``sessions`` recorders at once, each pushed ``seconds`` in real time."""
    first = PORT + 10
    settings = RecordingSettings(
        ports=tuple(range(first, first + sessions)), host="127.0.0.1", stall_seconds=5
    )
    sink = NullSink(quiet=True)
    recorders = []
    taken: set[int] = set()
    for n in range(sessions):
        recorder = Recorder(
            session_id=uuid.uuid4(),
            key=f"bench-key-{n:04d}-0123456789",
            settings=settings,
            storage=LocalStorage(folder / f"s{n}"),
            sink=sink,
            ffmpeg=exe,
        )
        await recorder.start(taken_ports=frozenset(taken))
        assert recorder.port is not None
        taken.add(recorder.port)
        recorders.append(recorder)
    samplers = [CpuSampler(lambda r=r: r.ingest_pid) for r in recorders]
    python_before = time.process_time()
    began = time.monotonic()
    pushers = [await run(*push_args(exe, clip, r.ingest_url(), seconds, True)) for r in recorders]
    await asyncio.gather(*(p.wait() for p in pushers))
    wall = time.monotonic() - began
    for recorder in recorders:
        await recorder.close([])
    python_cpu = time.process_time() - python_before
    ffmpeg_cpu = sum([await sampler.total() for sampler in samplers])
    minutes = sum(p.duration_ms for r in recorders for p in r.records.values()) / 60000
    per_session_minute = (ffmpeg_cpu + python_cpu) / minutes
    print(f"   {sessions} recordings for {wall:.0f} s wall, {minutes:.1f} recorded minutes")
    print(
        f"   CPU s per session-minute: {per_session_minute:.3f} "
        f"(ffmpeg {ffmpeg_cpu / minutes:.3f} + rada {python_cpu / minutes:.3f}, {size})"
    )
    print(f"   one core carries about {60 / per_session_minute:.0f} recordings at this cost")
    print(f"   recordings lost: {sink.lost}; load average {os.getloadavg()[0]:.1f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--long-minutes", type=float, default=60.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--sessions-minutes", type=float, default=1.0)
    parser.add_argument("--only-sessions", action="store_true", help="run part 4 alone")
    options = parser.parse_args()
    exe = ffmpeg_executable()
    with tempfile.TemporaryDirectory(prefix="radabench") as tmp:
        folder = Path(tmp)
        clip = await make_clip(exe, folder, options.size)
        seconds = options.minutes * 60
        if options.only_sessions:
            await concurrent(options, exe, clip, folder)
            return

        print(f"1. {options.minutes:g} min in real time, {options.size}")
        bare, bench_python = await baseline(exe, clip, folder, seconds)
        ffmpeg_cpu, python_cpu, close_1, recorder = await recorder_run(
            exe,
            clip,
            folder / "short",
            seconds + 20,
            realtime=True,
            close_at_ms=int(seconds * 1000),
        )
        minutes = sum(p.duration_ms for p in recorder.records.values()) / 60000
        python_cpu = max(0.0, python_cpu - bench_python * minutes / options.minutes)
        whole = ffmpeg_cpu + python_cpu
        print(f"   bare ffmpeg -c copy : {bare / options.minutes:.3f} CPU s per minute")
        print(
            f"   recorder            : {whole / minutes:.3f} CPU s per minute "
            f"(ffmpeg {ffmpeg_cpu / minutes:.3f} + rada {python_cpu / minutes:.3f})"
        )
        print(f"   ratio recorder/bare : {whole / minutes / (bare / options.minutes):.2f}")
        print(f"2. close to archive_ready, {minutes:.1f} min recording: {close_1:.3f} s")

        long_seconds = options.long_minutes * 60
        print(f"3. {options.long_minutes:g} min pushed faster than real time")
        _, _, close_60, recorder = await recorder_run(
            exe,
            clip,
            folder / "long",
            long_seconds + 120,
            realtime=False,
            close_at_ms=int(long_seconds * 1000),
        )
        minutes = sum(p.duration_ms for p in recorder.records.values()) / 60000
        size = sum(p.size for p in recorder.records.values()) / 1e9
        print(f"   close to archive_ready, {minutes:.1f} min ({size:.2f} GB): {close_60:.3f} s")
        await concurrent(options, exe, clip, folder)


async def concurrent(options: argparse.Namespace, exe: str, clip: Path, folder: Path) -> None:
    if options.sessions > 0:
        print(f"4. {options.sessions} recordings at once, {options.sessions_minutes:g} min each")
        await concurrent_run(
            exe,
            clip,
            folder / "many",
            options.sessions,
            options.sessions_minutes * 60,
            options.size,
        )


if __name__ == "__main__":
    asyncio.run(main())
