"""ffmpeg processes: the only module that imports ``ffmpeg`` (ffmpeg-python builds arguments).

The recorder's ffmpeg listens for one RTMP connection (``-listen 1``) on an ephemeral port of
127.0.0.1 that only the gate (``gate.py``) connects to, or, with SRT ingest (``srt.py``), for
one SRT caller on the session's public port itself (MPEG-TS; the passphrase is the key check).
It stream-copies (``-c copy``, never a re-encode) into the HLS muxer writing **one fragmented
MP4 per part** (``hls_segment_type fmp4`` with ``single_file``): an init section (ftyp+moov)
and then one ``moof``+``mdat`` fragment per segment, appended and never rewritten. A SIGKILL
therefore leaves every completed fragment playable, the incremental SHA-256 of the appended
bytes equals the file's hash, and the part's own byte-range playlist (``part-NNNN.m3u8``) is
the source of the live and archive playlists.

Processes run under :func:`asyncio.create_subprocess_exec`; progress comes from
``-progress pipe:1``; stop is ``q`` on stdin, then SIGTERM, then SIGKILL (an SRT listener,
which does not act on ``q``, starts at SIGTERM).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import re
import signal
import sys
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ffmpeg  # ffmpeg-python: argument building only
import structlog

from orchestrator.kernel.ffmpeg import ffmpeg_path
from recording.media import srt

STATS_PERIOD = 0.5
# An idle listener gives up after this long and the recorder starts a fresh one: a listener
# orphaned by a killed rada process (nothing connected to it) does not linger.
LISTEN_SECONDS = 30
PROBE_SECONDS = 1  # read of an SRT caller's MPEG-TS before the part begins
PR_SET_PDEATHSIG = 1  # prctl(2)
STORAGE_ERRORS = ("No space left on device", "Disk quota exceeded", "Read-only file system")

log = structlog.get_logger(__name__)


def ffmpeg_executable(explicit: str = "") -> str:
    """The ffmpeg rada runs: ``explicit`` (``RecordingSettings.ffmpeg``), else the one on the
    PATH, else imageio-ffmpeg's binary."""
    return ffmpeg_path(explicit)


def _compile(stream: object, exe: str) -> list[str]:
    return list(stream.compile(cmd=exe))  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Listener:
    """What one part's ffmpeg listens on, and how it behaves there."""

    url: str
    format: str  # the input's container: FLV over RTMP, MPEG-TS over SRT
    options: Mapping[str, object] = field(default_factory=dict)
    audio_filter: str | None = None  # a bitstream filter copied audio needs for fMP4
    reads_q: bool = True  # ffmpeg acts on ``q`` while it waits for input (libsrt's read does not)
    grace: float = 0.8  # per stop step (libsrt takes 1 to 1.5 s to exit after SIGTERM)
    die_with_rada: bool = False  # no gate between the publisher and ffmpeg: end with rada
    silence: float = 0.0  # ffmpeg ends an input silent this long (0: only the publisher does)
    # given to ffmpeg on its stdin, then closed: what must not be on its command line
    stdin: bytes | None = None


GATED_STREAM = "gated"


def rtmp_listener(port: int) -> Listener:
    """The loopback RTMP listener only the gate connects to. The gate has checked the stream
    key before it relays a byte, and ffmpeg's listen mode takes any stream name, so ffmpeg is
    given none: a key on its command line would be readable by every local user
    (``/proc/<pid>/cmdline``, ``ps``)."""
    return Listener(
        f"rtmp://127.0.0.1:{port}/live/{GATED_STREAM}",
        "flv",
        {"listen": 1, "timeout": LISTEN_SECONDS},
    )


def srt_listener(host: str, port: int, key: str, *, read_timeout: float) -> Listener:
    """ffmpeg's libsrt listener on the session's public port: AES-256 with the session's
    passphrase, enforced, so a wrong or missing passphrase fails the handshake.

    ``tsbpd=0``: data is handed over as soon as it is complete and in order, not held for
    play-out timing, so the last ``latency`` worth of a caller that hangs up is recorded, not
    dropped (retransmission still works; the timestamps travel in the MPEG-TS). ``timeout``:
    a caller silent for ``read_timeout`` ends the input as the gate's hang-up ends an RTMP one.
    MPEG-TS gives the end of a video frame only with the next one, so only an ended input
    writes the last frames to the file; a signal does not (and once ffmpeg records, one SIGTERM
    ends its muxing but not libsrt's blocked read: the process exits only at the read timeout,
    or at SIGKILL after its trailer is written; ``q`` is not read at all).

    The passphrase never reaches ffmpeg's command line, where every local user could read it
    (``/proc/<pid>/cmdline``, ``ps``): libsrt takes it only from the URL or an option, and
    ffmpeg's ``-/option file`` does not reach a protocol's options (ffmpeg 9: "Unrecognized
    option '/passphrase'"), so the URL travels in a one-file concat script written to
    ffmpeg's stdin (``-f concat -i pipe:0``), which the concat demuxer reads whole and then
    opens the listener it names, with the probing options as its ``option`` lines."""
    params = {
        "mode": "listener",
        "passphrase": srt.passphrase(key),
        "pbkeylen": srt.PBKEYLEN,
        "enforced_encryption": 1,
        "tsbpd": 0,
        "timeout": round(read_timeout * 1_000_000),  # microseconds
        "listen_timeout": LISTEN_SECONDS * 1_000_000,
    }
    # MPEG-TS announces no streams up front, so ffmpeg would read 5 s before recording (both
    # the listener's demuxer and the concat demuxer around it probe)
    probe = PROBE_SECONDS * 1_000_000
    return Listener(
        "pipe:0",
        "concat",
        {"safe": 0, "protocol_whitelist": "pipe,srt,udp", "analyzeduration": probe},
        stdin=concat_script(srt.url(host, port, params), {"analyzeduration": probe}),
        audio_filter="aac_adtstoasc",  # MPEG-TS carries AAC as ADTS, the MP4 muxer needs raw AAC
        reads_q=False,
        grace=2.5,
        die_with_rada=True,
        silence=read_timeout,
    )


def concat_script(url: str, options: Mapping[str, object]) -> bytes:
    """A concat demuxer script of one input: ``url``, opened and probed with ``options``."""
    quoted = url.replace("'", "'\\''")
    lines = ["ffconcat version 1.0", f"file '{quoted}'"]
    lines += [f"option {key} {value}" for key, value in options.items()]
    return ("\n".join(lines) + "\n").encode()


def recorder_args(
    exe: str, *, listener: Listener, part_file: str, playlist: str, segment_seconds: float
) -> list[str]:
    """ffmpeg arguments for one part: listen, stream copy, fMP4 single file + its playlist.

    Relative file names: the process runs in the session's folder, so the playlist names the
    part file without a directory."""
    source = ffmpeg.input(listener.url, f=listener.format, **listener.options)
    copy: dict[str, object] = {"c": "copy"}
    if listener.audio_filter is not None:
        copy["bsf:a"] = listener.audio_filter
    out = ffmpeg.output(
        source,
        playlist,
        **copy,
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
    RTMP, or MPEG-TS over SRT (DESIGN principle 5). ``realtime`` paces it (``-re``); without it, as fast as x264 goes."""
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
        "f": push_format(url),
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
    out = ffmpeg.output(ffmpeg.input(source, **pace), url, c="copy", f=push_format(url))
    return _compile(out.global_args(*_quiet(progress)), exe)


def push_format(url: str) -> str:
    """The container a publisher pushes: MPEG-TS over SRT, FLV over RTMP."""
    return "mpegts" if url.startswith("srt://") else "flv"


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


def _parent_death_signal() -> Callable[[], None] | None:
    """Linux: a function for the child (between fork and exec) that has it SIGTERMed when its
    parent dies; ffmpeg then writes its trailer. ``prctl`` is looked up here, in the parent, so
    the child only calls it."""
    if sys.platform != "linux":
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def set_in_child() -> None:  # pragma: no cover - runs in the child
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return set_in_child


_END_WITH_PARENT = _parent_death_signal()


class IngestProcess:
    """One ffmpeg child process with its progress and the tail of its error output.

    ``die_with_parent``: SIGTERM it when rada dies. An SRT listener needs it: no gate stands
    between it and the publisher, so an ffmpeg left behind by a killed rada process would keep
    recording into the session's folder and holding its port."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        cwd: Path,
        on_progress: Callable[[Progress], None],
        die_with_parent: bool = False,
        stdin: bytes | None = None,
    ) -> None:
        self.args = list(args)
        self.cwd = cwd
        self._on_progress = on_progress
        self._die_with_parent = die_with_parent
        self._stdin = stdin
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
            # a bare prctl call in the child: no lock, no import, so safe beside threads
            preexec_fn=_END_WITH_PARENT if self._die_with_parent else None,
        )
        assert self._process.stdout is not None and self._process.stderr is not None
        if self._stdin is not None and self._process.stdin is not None:
            self._process.stdin.write(self._stdin)
            with contextlib.suppress(OSError):  # an ffmpeg that failed at once
                await self._process.stdin.drain()
            self._process.stdin.close()
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

    async def stop(self, grace: float = 0.8, *, signal_first: bool = False) -> int:
        """``q`` on stdin (ffmpeg finishes the file), then SIGTERM, then SIGKILL, ``grace``
        seconds apart. ``signal_first`` when ffmpeg would not act on ``q`` (a listener with no
        media yet; an SRT input: SIGTERM has it write its trailer, the exit may wait for libsrt):
        SIGTERM first."""
        process = self._process
        assert process is not None
        self.stopping = True
        if process.returncode is None and process.stdin is not None and not signal_first:
            with contextlib.suppress(OSError, RuntimeError):
                process.stdin.write(b"q")
                await process.stdin.drain()
        steps: tuple[Callable[[], None], ...] = (process.terminate, process.kill)
        if signal_first:
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
