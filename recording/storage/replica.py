"""S3-compatible object storage as a durable off-site replica of the recordings.

:class:`S3Storage` is a :class:`~recording.storage.local.RecordingStorage`: the local folder stays
the working copy ffmpeg writes and the one rada serves from (a :class:`LocalStorage` it
delegates to), and ``publish_part``/``publish_archive`` only *enqueue* the closed files for
upload and return, so closing a session stays within its bound (archive
ready ≤ 2 s whatever the length) however slow or far the store is.

What is owed lives in ``s3-uploads.json`` in each session's folder, rewritten atomically
(``write_atomic``) whenever it changes: every published file, ``pending`` or ``uploaded`` with
its size and SHA-256. After a crash or a restart, :meth:`S3Storage.start` reads every session's
file and carries on with what is pending; a change of endpoint, bucket or prefix makes
everything pending again.

One background task uploads, oldest first, ``manifest.json`` last within a session (a manifest
in the bucket means the files it lists are there). A part is uploaded with the SHA-256 already
computed while it was recorded (the one in its record and in the journal), not hashed again;
the other files are small and hashed when sent. After each upload the object is HEADed and its
size and ``x-amz-meta-sha256`` compared with the local file's; a failure or a mismatch is
logged and retried with exponential backoff (1 s doubling up to 5 min), for ever: the local
copy stays, nothing is lost by waiting.

Objects are named ``<prefix><session id>/<file>``, so the archive playlist's relative URIs
(``part-0001.mp4``) resolve within the bucket too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import aiohttp
import structlog

from orchestrator.kernel.settings.recording import RecordingSettings
from recording import manifest
from recording.media.parts import PartRecord
from recording.storage.local import LocalStorage, RecordingStorage, write_atomic
from recording.storage.s3 import S3Client, S3Config, S3Error, hash_file
from recording.storage.sigv4 import Credentials

STATE_NAME = "s3-uploads.json"
PENDING = "pending"
UPLOADED = "uploaded"

log = structlog.get_logger(__name__)


def s3_config(settings: RecordingSettings) -> S3Config:
    return S3Config(
        endpoint=settings.s3_endpoint.rstrip("/"),
        bucket=settings.s3_bucket,
        credentials=Credentials(
            settings.s3_access_key_id, settings.s3_secret_access_key, region=settings.s3_region
        ),
        virtual_host=settings.s3_addressing == "virtual",
        part_size=settings.s3_part_size,
        multipart_threshold=settings.s3_part_size,
    )


def content_type(name: str) -> str:
    return manifest.CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")


@dataclass(slots=True)
class _Entry:
    """One published file of one session."""

    state: str = PENDING
    size: int | None = None  # known when published (a part) or once uploaded
    sha256: str | None = None
    generation: int = 0  # bumped by each publish, so a re-published file is sent again
    attempts: int = 0
    not_before: float = 0.0  # monotonic time of the next try


@dataclass(slots=True)
class _Session:
    directory: Path
    entries: dict[str, _Entry]

    def document(self, target: str) -> bytes:
        objects = {
            name: {"state": e.state, "size": e.size, "sha256": e.sha256}
            for name, e in self.entries.items()
        }
        return (json.dumps({"target": target, "objects": objects}, indent=2) + "\n").encode()


class S3Storage:
    """Local working folder, replicated to an S3-compatible bucket in the background."""

    def __init__(
        self,
        root: Path,
        config: S3Config,
        *,
        prefix: str = "rada/",
        retry_first: float = 1.0,
        retry_max: float = 300.0,
    ) -> None:
        self.local = LocalStorage(root)
        self.config = config
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.retry_first = retry_first
        self.retry_max = retry_max
        self._sessions: dict[UUID, _Session] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._write_lock = asyncio.Lock()
        self._http: aiohttp.ClientSession | None = None
        self._client: S3Client | None = None
        self._worker: asyncio.Task[None] | None = None

    @property
    def root(self) -> Path:
        return self.local.root

    @property
    def client(self) -> S3Client:
        """The S3 client (once started)."""
        if self._client is None:
            raise RuntimeError("S3Storage is not started")
        return self._client

    # --- RecordingStorage --------------------------------------------------------------------

    def session_dir(self, session_id: UUID) -> Path:
        return self.local.session_dir(session_id)

    async def free_bytes(self, session_id: UUID) -> int:
        return await self.local.free_bytes(session_id)

    async def publish_part(self, session_id: UUID, part: PartRecord) -> None:
        """Owe the part's media file, with the size and hash its record holds."""
        await self._owe(session_id, {part.file: (part.size, part.sha256)})

    async def publish_archive(self, session_id: UUID, names: list[str]) -> None:
        """Owe the archive files (hashed when sent)."""
        await self._owe(session_id, dict.fromkeys(names, (None, None)))

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the HTTP client, take up what earlier runs left pending, start uploading."""
        self._http = aiohttp.ClientSession()
        self._client = S3Client(self._http, self.config)
        for session_id, session in await asyncio.to_thread(self._load_all):
            self._sessions[session_id] = session
        pending = self.pending()
        if pending:
            log.info("s3_uploads_resumed", pending=pending, target=self.target)
        self._worker = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop uploading (what is pending stays owed in the state files) and close."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    def pending(self, session_id: UUID | None = None) -> int:
        """Files owed to the bucket (of one session, or of all)."""
        sessions = [s for i, s in self._sessions.items() if session_id in (None, i)]
        return sum(e.state == PENDING for s in sessions for e in s.entries.values())

    def states(self, session_id: UUID) -> dict[str, tuple[str, int]]:
        """Each published file of a session: (``pending``/``uploaded``, failed attempts)."""
        session = self._sessions.get(session_id)
        entries = session.entries.items() if session is not None else ()
        return {name: (e.state, e.attempts) for name, e in entries}

    async def wait_uploaded(self) -> None:
        """Return once nothing is pending (operations, tests)."""
        while self.pending():
            self._idle.clear()
            await self._idle.wait()

    @property
    def target(self) -> str:
        """Where the objects go (no secret): a state file written for another is all owed."""
        return f"{self.config.target}/{self.prefix}"

    def key(self, session_id: UUID, name: str) -> str:
        return f"{self.prefix}{session_id}/{name}"

    # --- the state files ---------------------------------------------------------------------

    async def _owe(self, session_id: UUID, files: dict[str, tuple[int | None, str | None]]) -> None:
        session = self._sessions.get(session_id)
        if session is None:
            session = self._sessions[session_id] = _Session(self.session_dir(session_id), {})
        for name, (size, sha256) in files.items():
            entry = session.entries.setdefault(name, _Entry())
            entry.state, entry.size, entry.sha256 = PENDING, size, sha256
            entry.generation += 1
            entry.attempts, entry.not_before = 0, 0.0
        await self._save(session)
        self._wake.set()

    async def _save(self, session: _Session) -> None:
        """Rewrite the session's state file. A failure (a full disk) is logged, not raised: the
        recorder must not fail for the replica's sake, and the uploads go on from memory."""
        data = session.document(self.target)
        try:
            async with self._write_lock:
                await asyncio.to_thread(write_atomic, session.directory / STATE_NAME, data)
        except OSError as exc:
            log.error("s3_state_not_written", directory=str(session.directory), error=str(exc))

    def _load_all(self) -> list[tuple[UUID, _Session]]:
        """Every session folder's state file (blocking: called in a worker thread)."""
        found: list[tuple[UUID, _Session]] = []
        for path in sorted(self.root.glob(f"*/{STATE_NAME}")):
            try:
                session_id = UUID(path.parent.name)
                document = json.loads(path.read_text())
            except (ValueError, OSError) as exc:
                log.error("s3_state_unreadable", path=str(path), error=str(exc))
                continue
            moved = document.get("target") != self.target
            entries = {
                name: _Entry(
                    state=PENDING if moved else str(item.get("state", PENDING)),
                    size=item.get("size"),
                    sha256=item.get("sha256"),
                )
                for name, item in document.get("objects", {}).items()
            }
            found.append((session_id, _Session(path.parent, entries)))
        return found

    # --- the worker --------------------------------------------------------------------------

    def _next(self, now: float) -> tuple[UUID, str, _Entry] | float | None:
        """The next file due, else the monotonic time the next one is due, else ``None``."""
        soonest: float | None = None
        for session_id, session in self._sessions.items():
            waiting = [(n, e) for n, e in session.entries.items() if e.state == PENDING]
            if len(waiting) > 1:  # the manifest goes last
                waiting = [(n, e) for n, e in waiting if n != manifest.MANIFEST_NAME]
            for name, entry in waiting:
                if entry.not_before <= now:
                    return session_id, name, entry
                if soonest is None or entry.not_before < soonest:
                    soonest = entry.not_before
        return soonest

    async def _run(self) -> None:
        while True:
            due = self._next(time.monotonic())
            if due is None or isinstance(due, float):
                self._idle.set()
                self._wake.clear()
                timeout = None if due is None else max(0.0, due - time.monotonic())
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
                continue
            session_id, name, entry = due
            generation = entry.generation
            try:
                size, sha256 = await self._upload(session_id, name, entry)
            except Exception as exc:  # S3Error, network, disk: retried, the worker never dies
                entry.attempts += 1
                delay = min(self.retry_max, self.retry_first * 2 ** (entry.attempts - 1))
                entry.not_before = time.monotonic() + delay
                log.warning(
                    "s3_upload_failed",
                    session_id=str(session_id),
                    file=name,
                    attempt=entry.attempts,
                    retry_in=delay,
                    error=str(exc) or type(exc).__name__,
                )
                continue
            if entry.generation == generation:  # not re-published meanwhile
                entry.state, entry.size, entry.sha256 = UPLOADED, size, sha256
                await self._save(self._sessions[session_id])

    async def _upload(self, session_id: UUID, name: str, entry: _Entry) -> tuple[int, str]:
        """Upload one file, then check the object; return (size, SHA-256) uploaded."""
        path = self._sessions[session_id].directory / name
        size = (await asyncio.to_thread(path.stat)).st_size
        if entry.sha256 and entry.size == size:
            sha256 = entry.sha256  # a part's hash, computed as it was recorded
        else:
            if entry.sha256:
                log.error("s3_part_changed", file=name, recorded=entry.size, on_disk=size)
            size, sha256 = await asyncio.to_thread(hash_file, path)
        key = self.key(session_id, name)
        started = time.perf_counter()
        await self.client.put_file(
            key, path, content_type=content_type(name), size=size, sha256=sha256
        )
        stored = await self.client.head_object(key)
        if stored is None or (stored.size, stored.sha256) != (size, sha256):
            got = None if stored is None else {"size": stored.size, "sha256": stored.sha256}
            log.error("s3_object_mismatch", key=key, size=size, sha256=sha256, stored=got)
            raise S3Error(0, "ObjectMismatch", f"{key} does not hold the local file")
        log.info(
            "s3_uploaded",
            session_id=str(session_id),
            file=name,
            size=size,
            seconds=round(time.perf_counter() - started, 3),
        )
        return size, sha256


def pending_uploads(root: Path) -> int:
    """Files owed to the bucket by every session's state file under ``root`` (``rada check``;
    blocking)."""
    count = 0
    for path in root.glob(f"*/{STATE_NAME}"):
        with contextlib.suppress(ValueError, OSError):
            objects: dict[str, Any] = json.loads(path.read_text()).get("objects", {})
            count += sum(item.get("state") != UPLOADED for item in objects.values())
    return count


async def reachable(config: S3Config) -> str:
    """``rada check``: HeadBucket's answer in a few words."""
    try:
        async with aiohttp.ClientSession() as http, asyncio.timeout(10):
            await S3Client(http, config).head_bucket()
    except (S3Error, aiohttp.ClientError, TimeoutError, OSError) as exc:
        return f"UNREACHABLE ({exc or type(exc).__name__})"
    return "reachable"


@contextlib.asynccontextmanager
async def open_storage(settings: RecordingSettings, root: Path) -> AsyncIterator[RecordingStorage]:
    """The storage ``RADA_RECORDING_STORAGE`` names, started and stopped around its use."""
    if settings.storage != "s3":
        yield LocalStorage(root)
        return
    storage = S3Storage(root, s3_config(settings), prefix=settings.s3_prefix)
    await storage.start()
    try:
        yield storage
    finally:
        await storage.stop()
