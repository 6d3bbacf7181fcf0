"""Real ffmpeg on both ends: a publisher pushing numbered frames over RTMP (or SRT), the
recorder under test, and checks that read the recorded files back with ffmpeg."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from orchestrator.convening import store as council_store
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.settings.recording import RecordingSettings
from recording.media.ingest import ffmpeg_executable, file_publisher_args
from recording.media.recorder import Recorder
from recording.storage.local import LocalStorage, RecordingStorage
from recording.supervisor import RecordingSupervisor

STALL = 2.0
FPS = 25
SOURCE_SECONDS = 6


def _port_base() -> int:
    """19450 in a plain run; each pytest-xdist worker (gw0, gw1, …) 100 ports further on, so
    the recorders of two tests running at once never take each other's ports."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return 19450 + 100 * int(worker.removeprefix("gw"))


PORT_BASE = _port_base()
PORTS = tuple(range(PORT_BASE, PORT_BASE + 20))  # the recorders' test pool


def own_port(n: int) -> int:
    """The ``n``-th port (0..79) of the worker's range outside ``PORTS``: a test's own, which no
    other test of the run binds (fixed, so a test can check it is free again afterwards)."""
    assert 0 <= n < 80
    return PORT_BASE + 20 + n


DIGIT_BASE = 25  # frame n is drawn as two grey levels: 16 + 8·(n // 25) and 16 + 8·(n % 25)
# An SRT caller set up as an encoder is: it keeps calling for up to 10 s while no listener
# answers (the next part's ffmpeg binds the port about a second after a part ends), and at its
# end it lingers until its last packets are acknowledged (live mode's default linger is 0,
# which drops the last packets a caller sends before it hangs up).
SRT_CALLER = "&connect_timeout=10000&linger=3"


@pytest.fixture(scope="session")
def ffmpeg_exe() -> str:
    return ffmpeg_executable()


@pytest.fixture(scope="session")
def numbered_source(ffmpeg_exe: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6 s FLV (160x120, 25 fps, a keyframe every second, AAC audio) whose frame n carries
    its number in two grey levels (lossless x264, so it reads back exactly)."""
    path = tmp_path_factory.mktemp("source") / "numbered.flv"
    levels = f"geq=lum='if(lt(X,80),16+8*floor(N/{DIGIT_BASE}),16+8*mod(N,{DIGIT_BASE}))'"
    video = (
        f"color=c=black:s=160x120:r={FPS}:d={SOURCE_SECONDS},format=gray,{levels},format=yuv420p"
    )
    subprocess.run(
        [
            ffmpeg_exe, "-v", "error", "-y",
            "-f", "lavfi", "-i", video,
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:d={SOURCE_SECONDS}",
            "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-g", str(FPS),
            "-c:a", "aac", "-b:a", "32k", "-f", "flv", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


class MediaCheck:
    """Read recorded files back with ffmpeg."""

    def __init__(self, exe: str) -> None:
        self.exe = exe

    def decode_errors(self, path: Path) -> str:
        """Decode every stream to null; return ffmpeg's error output (empty when clean)."""
        result = subprocess.run(
            [self.exe, "-v", "error", "-nostdin", "-i", str(path), "-f", "null", "-"],
            capture_output=True,
            check=False,
        )
        text = result.stderr.decode(errors="replace").strip()
        return text or ("" if result.returncode == 0 else f"exit {result.returncode}")

    def frame_numbers(self, path: Path) -> list[int]:
        """The number drawn in each decoded video frame, in order."""
        result = subprocess.run(
            [
                self.exe, "-v", "error", "-nostdin", "-i", str(path), "-map", "0:v:0",
                "-fps_mode", "passthrough", "-vf", "scale=2:1:flags=area",
                "-f", "rawvideo", "-pix_fmt", "gray", "-",
            ],
            capture_output=True,
            check=True,
        )  # fmt: skip
        data = result.stdout
        digit = [round((level - 16) / 8) for level in data]
        return [digit[i] * DIGIT_BASE + digit[i + 1] for i in range(0, len(digit) - 1, 2)]

    @staticmethod
    def sha256(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def media(ffmpeg_exe: str) -> MediaCheck:
    return MediaCheck(ffmpeg_exe)


@dataclass
class Seen:
    at: float  # loop time when the sink received it
    type: str
    payload: dict[str, Any]


@dataclass
class RecordingSink:
    """Collects the recorder's events with the loop time they arrived."""

    events: list[Seen] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def recording_event(
        self, session_id: uuid.UUID, type: str, payload: dict[str, Any]
    ) -> None:
        self.events.append(Seen(asyncio.get_running_loop().time(), type, payload))
        self.changed.set()

    def of(self, type_: str) -> list[Seen]:
        return [e for e in self.events if e.type == type_]

    async def wait_for(self, type_: str, count: int = 1, limit: float = 20.0) -> Seen:
        """The ``count``-th event of ``type_`` (waiting for it)."""
        async with asyncio.timeout(limit):
            while len(self.of(type_)) < count:
                self.changed.clear()
                await self.changed.wait()
        return self.of(type_)[count - 1]


MakeRecorder = Callable[..., Awaitable[tuple[Recorder, RecordingSink]]]


def simulated_settings(**overrides: Any) -> RecordingSettings:
    """Recording settings for an app test: the test port pool, a 2 s stall, 1 s fragments and a
    simulated call as the conference."""
    values: dict[str, Any] = {
        "ports": PORTS,
        "host": "127.0.0.1",
        "stall_seconds": STALL,
        "segment_seconds": 1,
        "simulated_call": True,
        **overrides,
    }
    return RecordingSettings(**values)


async def until(check: Callable[[], Awaitable[bool] | bool], limit: float = 20.0) -> None:
    """Wait until ``check()`` holds, looking every 50 ms (for state in PostgreSQL or another
    object that offers no event to wait on)."""
    async with asyncio.timeout(limit):
        while True:
            result = check()
            if await result if not isinstance(result, bool) else result:
                return
            await asyncio.sleep(0.05)


@pytest.fixture
async def make_recorder(tmp_path: Path) -> AsyncIterator[MakeRecorder]:
    """Start recorders on a test folder (stall 2 s, 1 s fragments); stopped at teardown."""
    started: list[Recorder] = []

    async def make(
        session_id: uuid.UUID | None = None,
        key: str = "k3y-for-test",
        root: Path | None = None,
        ingest: str = "rtmp",
        storage: RecordingStorage | None = None,
    ) -> tuple[Recorder, RecordingSink]:
        sink = RecordingSink()
        settings = RecordingSettings(
            ports=PORTS, host="127.0.0.1", stall_seconds=STALL, segment_seconds=1.0, ingest=ingest
        )
        recorder = Recorder(
            session_id=session_id or uuid.uuid4(),
            key=key,
            settings=settings,
            storage=storage or LocalStorage(root or tmp_path / "recordings"),
            sink=sink,
        )
        await recorder.start()
        started.append(recorder)
        return recorder, sink

    yield make
    for recorder in started:
        if recorder.port is not None:
            with contextlib.suppress(Exception):
                await recorder.stop()


def publisher_url(recorder: Recorder) -> str:
    """The recorder's ingest URL, with an SRT caller's options as an encoder would set them."""
    url = recorder.ingest_url()
    return url + SRT_CALLER if url.startswith("srt://") else url


class Publisher:
    """An ffmpeg pushing a file over RTMP (FLV) or SRT (MPEG-TS), reporting how many frames it
    has sent."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.frames = 0
        self.ended = False
        self._progress = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            key, _, value = raw.decode().strip().partition("=")
            if key == "frame" and value.isdigit():
                self.frames = int(value)
            elif key == "progress":
                self.ended = value == "end"
                self._progress.set()

    async def wait_frames(self, frames: int, limit: float = 15.0) -> None:
        async with asyncio.timeout(limit):
            while self.frames < frames:
                self._progress.clear()
                await self._progress.wait()

    async def finish(self, limit: float = 20.0) -> int:
        async with asyncio.timeout(limit):
            code = await self.process.wait()
            await self._reader
        return code

    async def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        await self.finish()


Publish = Callable[..., Awaitable[Publisher]]


@pytest.fixture
async def publish(ffmpeg_exe: str, numbered_source: Path) -> AsyncIterator[Publish]:
    """Start publishers of the numbered source (``-re``); killed at teardown."""
    running: list[Publisher] = []

    async def start(url: str, source: Path | None = None) -> Publisher:
        args = file_publisher_args(ffmpeg_exe, str(source or numbered_source), url, progress=True)
        process = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        publisher = Publisher(process)
        running.append(publisher)
        return publisher

    yield start
    for publisher in running:
        if publisher.process.returncode is None:
            await publisher.kill()


# --- sessions in PostgreSQL (for the supervisor and the API) -------------------------------


async def open_session(pool: asyncpg.Pool) -> uuid.UUID:
    """A convened session put in the opened state (as conduct's session_opened does)."""
    council = council_store.Council(uuid.uuid4(), "Коростишівська міська рада", 8, 26)
    session_id = uuid.uuid4()
    now = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        await council_store.insert_council(conn, council)
        await council_store.insert_session(
            conn,
            council_store.SessionRow(
                session_id, council.id, "Позачергова сесія", 1, now, now + timedelta(hours=1),
                f"rada-{session_id.hex[:8]}", "convened", None,
            ),
        )  # fmt: skip
        for type_, payload in (
            (ev.SESSION_CONVENED, {"agenda": [{"title": "Про бюджет"}], "participants": []}),
            (ev.SESSION_OPENED, {"by": "chair"}),
            (ev.ITEM_OPENED, {"item": 0}),
        ):
            await journal_store.append_event(
                conn, session_id, type_, payload, actor="chair", at=datetime.now(UTC)
            )
        await council_store.set_session_status(conn, session_id, "opened")
    return session_id


async def close_session(pool: asyncpg.Pool, session_id: uuid.UUID) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await journal_store.append_event(
            conn, session_id, ev.SESSION_CLOSED, {"by": "chair"}, actor="chair",
            at=datetime.now(UTC),
        )  # fmt: skip
        await council_store.set_session_status(conn, session_id, "closed")


async def journal_types(pool: asyncpg.Pool, session_id: uuid.UUID) -> list[str]:
    async with pool.acquire() as conn:
        return [e.type for e in await journal_store.load_events(conn, session_id)]


async def wait_journal(
    pool: asyncpg.Pool, session_id: uuid.UUID, type_: str, count: int = 1
) -> None:
    async def appended() -> bool:
        return (await journal_types(pool, session_id)).count(type_) >= count

    await until(appended)


# --- supervisors standing for rada processes ------------------------------------------------

MakeSupervisor = Callable[[], Awaitable[RecordingSupervisor]]


@pytest.fixture
async def make_supervisor(
    pool: asyncpg.Pool, database_url: str, tmp_path: Path
) -> AsyncIterator[MakeSupervisor]:
    """Supervisors standing for separate rada processes on one database and one disk."""
    made: list[RecordingSupervisor] = []

    async def make() -> RecordingSupervisor:
        supervisor = RecordingSupervisor(
            pool=pool,
            database_url=database_url,
            settings=RecordingSettings(
                ports=PORTS, host="127.0.0.1", stall_seconds=STALL, segment_seconds=1.0
            ),
            storage=LocalStorage(tmp_path / "recordings"),
            clock=lambda: datetime.now(UTC),
            poll_seconds=0.2,
            instance=f"test-{len(made)}",
        )
        await supervisor.start()
        made.append(supervisor)
        return supervisor

    yield make
    for supervisor in made:
        if supervisor._locks is not None and not supervisor._locks.is_closed():
            await supervisor.stop()
