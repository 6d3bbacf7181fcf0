"""The recorder's ingest tested end to end before the sitting (P1 «технічна перевірка»).

The office starts a test of a session that is not yet open: a recorder like the sitting's
(the same gate, the session's own stream key, the same ffmpeg and fragmented-MP4 parts) listens
on a port of the recording range, and whatever publisher the sitting will use (Jibri with the
stream key, OBS, a hall encoder) pushes a short stream to it. The first part that closes (the
publisher hung up), or the listening window's end, ends the test. The part is then hashed and
decoded by ffmpeg, and the result is journaled (``ingest_tested``: frames, duration, SHA-256,
whether it decodes).

A test part is **never** a part of the session's recording: it is written under its own folder
(``<data dir>/ingest-tests/<session>/<test id>/``), beside and not inside the media root that
the archive, its manifest, the protocol's parts and ``rada verify`` read; the recorder's events
go to this module, not to the journal, so no ``recording_started`` or ``part_closed`` names it.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from orchestrator.kernel.errors import Conflict, NotFound
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.settings.recording import RecordingSettings
from recording import store
from recording.media.ingest import ffmpeg_executable, scan_media
from recording.media.recorder import Recorder
from recording.storage.local import LocalStorage

log = structlog.get_logger(__name__)

LISTEN_SECONDS = 120.0
"""How long a test listens for its publisher and records (a test is a few seconds of media)."""
TESTABLE = ("convened", "announced")
"""Before the sitting: once it is opened the sitting's own recorder holds the stream key."""


@dataclass
class _Events:
    """The test recorder's sink: its events stay here, out of the journal."""

    seen: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    part_closed: asyncio.Event = field(default_factory=asyncio.Event)

    async def recording_event(self, session_id: UUID, type: str, payload: dict[str, Any]) -> None:
        self.seen.append((type, payload))
        if type == ev.PART_CLOSED:
            self.part_closed.set()


@dataclass(frozen=True, slots=True)
class Running:
    test_id: str
    port: int
    url: str
    until: datetime


class IngestChecks:
    """At most one test per session at a time, in this process."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: RecordingSettings,
        root: Path,
        *,
        clock: Callable[[], datetime],
        taken_ports: Callable[[], frozenset[int]] = frozenset,
        listen_seconds: float = LISTEN_SECONDS,
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.root = root
        self.clock = clock
        self.taken_ports = taken_ports
        self.listen_seconds = listen_seconds
        self.running: dict[UUID, tuple[Running, asyncio.Task[None]]] = {}

    def folder(self, session_id: UUID, test_id: str) -> Path:
        return self.root / str(session_id) / test_id

    async def start(self, session_id: UUID, actor: str) -> Running:
        """Listen for the session's publisher (409 if the session is not before its sitting,
        or a test of it is running)."""
        if session_id in self.running:
            raise Conflict("a test of this session's ingest is running", code="ingest_test_running")
        async with self.pool.acquire() as conn:
            status = await store.session_status(conn, session_id)
            if status is None:
                raise NotFound(f"no session {session_id}", code="session_not_found")
            if status not in TESTABLE:
                raise Conflict(
                    "the ingest is tested before the sitting is opened", code="ingest_not_testable"
                )
            key = await store.stream_key(conn, session_id)
        test_id = self.clock().strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)
        folder = self.folder(session_id, test_id)
        sink = _Events()
        recorder = Recorder(
            session_id=session_id,
            key=key,
            settings=self.settings,
            storage=_TestStorage(folder),
            sink=sink,
            clock=self.clock,
        )
        port = await recorder.start(taken_ports=self.taken_ports())
        until = self.clock() + timedelta(seconds=self.listen_seconds)
        running = Running(test_id, port, recorder.ingest_url(), until)
        task = asyncio.create_task(self._follow(session_id, running, recorder, sink, actor))
        self.running[session_id] = (running, task)
        log.info("ingest_test_started", session_id=str(session_id), test_id=test_id, port=port)
        return running

    async def _follow(
        self, session_id: UUID, running: Running, recorder: Recorder, sink: _Events, actor: str
    ) -> None:
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.listen_seconds):
                    await sink.part_closed.wait()
            await recorder.stop()
            payload = await self._result(running.test_id, recorder.directory, sink.seen)
            async with self.pool.acquire() as conn, conn.transaction():
                await journal_store.append_event(
                    conn, session_id, ev.INGEST_TESTED, payload, actor=actor, at=self.clock()
                )
            log.info("ingest_tested", session_id=str(session_id), ok=payload["ok"])
        except Exception:
            log.exception("ingest_test_failed", session_id=str(session_id))
        finally:
            self.running.pop(session_id, None)

    async def _result(
        self, test_id: str, folder: Path, seen: Sequence[tuple[str, dict[str, Any]]]
    ) -> dict[str, Any]:
        """The first closed part, hashed and decoded: the test's result."""
        closed = [p for t, p in seen if t == ev.PART_CLOSED]
        result: dict[str, Any] = {
            "test_id": test_id,
            "ok": False,
            "parts": len(closed),
            "frames": 0,
            "duration_ms": 0,
            "sha256": "",
            "decodes": False,
            "error": "",
        }
        if not closed:
            result["error"] = "no stream arrived"
            return result
        part = closed[0]
        scan = await scan_media(folder / str(part["file"]), ffmpeg_executable(self.settings.ffmpeg))
        errors = await decode_errors(folder / str(part["file"]), self.settings.ffmpeg)
        result.update(
            frames=scan.frames,
            duration_ms=int(part["duration_ms"]),
            sha256=str(part["sha256"]),
            decodes=not errors,
            error=errors[:300],
        )
        result["ok"] = bool(scan.frames > 0 and not errors and part["sha256"])
        return result

    async def close(self) -> None:
        """rada stops: running tests end without a result."""
        for _, task in list(self.running.values()):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


async def decode_errors(path: Path, explicit_ffmpeg: str = "") -> str:
    """Decode every stream of ``path`` to null: ffmpeg's error output ('' when clean)."""
    process = await asyncio.create_subprocess_exec(
        ffmpeg_executable(explicit_ffmpeg), "-v", "error", "-nostdin", "-i", str(path),
        "-f", "null", "-",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await process.communicate()
    text = err.decode(errors="replace").strip()
    return text or ("" if process.returncode == 0 else f"exit {process.returncode}")


class _TestStorage(LocalStorage):
    """One test's folder: the recorder's "session folder" is the test's own."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.folder = folder

    def session_dir(self, session_id: UUID) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder
