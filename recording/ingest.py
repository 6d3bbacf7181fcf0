"""ffmpeg processes: the only module that imports ``ffmpeg`` (ffmpeg-python builds arguments).

The recorder's ffmpeg listens for one RTMP connection (``-listen 1``) on an ephemeral port of
127.0.0.1 that only the gate (``gate.py``) connects to, and stream-copies (``-c copy``, never a
re-encode) into the HLS muxer writing **one fragmented MP4 per part** (``hls_segment_type fmp4``
with ``single_file``): an init section (ftyp+moov) and then one ``moof``+``mdat`` fragment per
segment, appended and never rewritten. A SIGKILL therefore leaves every completed fragment
playable, the incremental SHA-256 of the appended bytes equals the file's hash, and the part's
own byte-range playlist (``part-NNNN.m3u8``) is the source of the live and archive playlists.

Processes run under :func:`asyncio.create_subprocess_exec`; progress comes from
``-progress pipe:1``; stop is ``q`` on stdin, then SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import ffmpeg  # ffmpeg-python: argument building only
import structlog

from recording.binary import ffmpeg_path

STATS_PERIOD = 0.5
# An idle listener gives up after this long and the recorder starts a fresh one: a listener
# orphaned by a killed rada process (nothing connected to it) does not linger.
LISTEN_SECONDS = 30
STORAGE_ERRORS = ("No space left on device", "Disk quota exceeded", "Read-only file system")

log = structlog.get_logger(__name__)


def ffmpeg_executable() -> str:
    """The ffmpeg rada runs (``RADA_FFMPEG``, PATH, or imageio-ffmpeg's binary)."""
    return ffmpeg_path()


def _compile(stream: object, exe: str) -> list[str]:
    return list(stream.compile(cmd=exe))  # type: ignore[attr-defined]


def recorder_args(
    exe: str, *, listen_port: int, key: str, part_file: str, playlist: str, segment_seconds: float
) -> list[str]:
    """ffmpeg arguments for one part: listen, stream copy, fMP4 single file + its playlist.

    Relative file names: the process runs in the session's folder, so the playlist names the
    part file without a directory."""
    source = ffmpeg.input(
        f"rtmp://127.0.0.1:{listen_port}/live/{key}", f="flv", listen=1, timeout=LISTEN_SECONDS
    )
    out = ffmpeg.output(
        source,
        playlist,
        c="copy",
        f="hls",
        hls_time=f"{segment_seconds:g}",
        hls_list_size=0,
        hls_segment_type="fmp4",
        hls_flags="single_file+independent_segments",
        hls_playlist_type="event",
        hls_segment_filename=part_file,
    ).global_args(
        *_quiet(progress=False),
        "-n",  # never overwrite a part: numbering continues from the files on disk
        "-progress",
        "pipe:1",
        "-stats_period",
        f"{STATS_PERIOD:g}",
    )
    return _compile(out, exe)


def baseline_copy_args(exe: str, *, listen_port: int, output: str) -> list[str]:
    """A bare ``ffmpeg -listen 1 -i rtmp://… -c copy`` to a fragmented MP4 (bench baseline)."""
    source = ffmpeg.input(f"rtmp://127.0.0.1:{listen_port}/live/bench", f="flv", listen=1)
    out = ffmpeg.output(
        source, output, c="copy", f="mp4", movflags="+frag_keyframe+empty_moov+default_base_moof"
    ).global_args(*_quiet(progress=False), "-y")
    return _compile(out, exe)


def simulated_call_args(
    exe: str,
    url: str,
    *,
    seconds: float | None = None,
    size: str = "640x360",
    rate: int = 25,
    realtime: bool = True,
    progress: bool = False,
) -> list[str]:
    """A simulated call, pushed exactly as Jibri pushes: testsrc + sine, libx264 + aac, FLV over
    RTMP (DESIGN principle 5). ``realtime`` paces it (``-re``); without it, as fast as x264 goes."""
    pace: dict[str, object] = {"re": None} if realtime else {}
    video = ffmpeg.input(f"testsrc=size={size}:rate={rate}", f="lavfi", **pace)
    audio = ffmpeg.input("sine=frequency=440:sample_rate=48000", f="lavfi", **pace)
    options: dict[str, object] = {
        "vcodec": "libx264",
        "preset": "veryfast",
        "tune": "zerolatency",
        "g": rate * 2,
        "pix_fmt": "yuv420p",
        "acodec": "aac",
        "b:a": "64k",
        "f": "flv",
    }
    if seconds is not None:
        options["t"] = f"{seconds:g}"
    out = ffmpeg.output(video, audio, url, **options).global_args(*_quiet(progress))
    return _compile(out, exe)


def file_publisher_args(
    exe: str, source: str, url: str, *, realtime: bool = True, progress: bool = False
) -> list[str]:
    """Push a pre-encoded file to ``url`` without re-encoding (known frames, for tests/bench)."""
    pace: dict[str, object] = {"re": None} if realtime else {}
    out = ffmpeg.output(ffmpeg.input(source, **pace), url, c="copy", f="flv")
    return _compile(out.global_args(*_quiet(progress)), exe)


def _quiet(progress: bool) -> tuple[str, ...]:
    base = ("-hide_banner", "-nostats", "-loglevel", "error")
    return (*base, "-progress", "pipe:1", "-stats_period", "0.1") if progress else base


@dataclass(frozen=True, slots=True)
class Progress:
    """One ``-progress`` block."""

    frame: int
    out_time_us: int
    ended: bool


def parse_progress(block: dict[str, str]) -> Progress:
    def number(key: str) -> int:
        try:
            return int(block.get(key, "0"))
        except ValueError:  # "N/A" before the first packet
            return 0

    return Progress(number("frame"), number("out_time_us"), block.get("progress") == "end")


class IngestProcess:
    """One ffmpeg child process with its progress and the tail of its error output."""

    def __init__(
        self, args: Sequence[str], *, cwd: Path, on_progress: Callable[[Progress], None]
    ) -> None:
        self.args = list(args)
        self.cwd = cwd
        self._on_progress = on_progress
        self._process: asyncio.subprocess.Process | None = None
        self._readers: list[asyncio.Task[None]] = []
        self.errors: deque[str] = deque(maxlen=30)
        self.last: Progress | None = None
        self.stopping = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def returncode(self) -> int | None:
        return self._process.returncode if self._process else None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            *self.args,
            cwd=self.cwd,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert self._process.stdout is not None and self._process.stderr is not None
        self._readers = [
            asyncio.create_task(self._read_progress(self._process.stdout)),
            asyncio.create_task(self._read_errors(self._process.stderr)),
        ]

    async def _read_progress(self, stream: asyncio.StreamReader) -> None:
        block: dict[str, str] = {}
        async for raw in stream:
            key, _, value = raw.decode(errors="replace").strip().partition("=")
            block[key] = value
            if key == "progress":
                self.last = parse_progress(block)
                self._on_progress(self.last)
                block = {}

    async def _read_errors(self, stream: asyncio.StreamReader) -> None:
        async for raw in stream:
            line = raw.decode(errors="replace").rstrip()
            if line:
                self.errors.append(line)

    async def wait(self) -> int:
        """Wait for the exit and for the last progress and error lines."""
        assert self._process is not None
        code = await self._process.wait()
        await asyncio.gather(*self._readers, return_exceptions=True)
        return code

    def storage_failed(self) -> bool:
        """ffmpeg reported a full or read-only disk."""
        return any(marker in line for line in self.errors for marker in STORAGE_ERRORS)

    async def stop(self, grace: float = 0.8, *, idle: bool = False) -> int:
        """``q`` on stdin (ffmpeg finishes the file), then SIGTERM, then SIGKILL. An ``idle``
        listener (no media yet) does not read stdin: it starts at SIGTERM."""
        process = self._process
        assert process is not None
        self.stopping = True
        if process.returncode is None and process.stdin is not None and not idle:
            with contextlib.suppress(OSError, RuntimeError):
                process.stdin.write(b"q")
                await process.stdin.drain()
        steps: tuple[Callable[[], None], ...] = (process.terminate, process.kill)
        if idle:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            steps = (process.kill,)
        for signal_step in steps:
            try:
                return await asyncio.wait_for(asyncio.shield(self.wait()), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    signal_step()
        return await self.wait()


@dataclass(frozen=True, slots=True)
class MediaScan:
    frames: int
    duration_ms: int


_FRAME = re.compile(rb"frame=\s*(\d+)")
_TIME = re.compile(rb"time=\s*(\d+):(\d+):(\d+(?:\.\d+)?)")


async def scan_media(path: Path, exe: str | None = None) -> MediaScan:
    """Count video frames and measure the duration of a media file by stream-copying it to the
    null muxer (no decoding; ffprobe is not available)."""
    args = [
        exe or ffmpeg_executable(), "-hide_banner", "-nostdin", "-i", str(path),
        "-map", "0:v:0?", "-map", "0:a:0?", "-c", "copy", "-f", "null", "-",
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, err = await process.communicate()
    frames = [int(m) for m in _FRAME.findall(err)]
    times = _TIME.findall(err)
    duration_ms = 0
    if times:
        h, m, s = times[-1]
        duration_ms = round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)
    return MediaScan(frames[-1] if frames else 0, duration_ms)
