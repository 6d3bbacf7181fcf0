"""Where recordings live, and the file work around them that must not block the event loop.

:class:`RecordingStorage` is the interface the recorder uses. ffmpeg always writes to a local
working folder (a part must survive a crash of rada, so it is written where it is recorded);
the storage then *publishes* closed parts and the archive. The default, :class:`LocalStorage`,
keeps everything in ``<data dir>/media/<session id>/`` and publishing is a no-op.

S3-compatible object storage is the documented option (``RADA_RECORDING_STORAGE=s3``):
:class:`recording.replica.S3Storage` keeps this same local folder as the working copy and the
source rada serves from, and replicates each closed part and the archive files to a bucket in
the background (``<prefix><session id>/<file>``; SigV4-signed PUT or multipart upload with
``x-amz-checksum-sha256``, the file's SHA-256 as ``x-amz-meta-sha256``, checked by a HEAD).
``publish_*`` only record what is owed (``s3-uploads.json`` in the session folder) and return,
so closing a session never waits for the network; pending uploads resume after a restart. The
local copy is never deleted by rada: the bucket is a durable off-site replica, not a
replacement for the disk the recording is written to.

Also here: the free-space check that refuses to open a session, the
incremental SHA-256 of a growing part, crash repair, and atomic small writes.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from pathlib import Path
from typing import Protocol
from uuid import UUID

from recording.errors import StorageInsufficient
from recording.media.parts import PartRecord, playable_length, walk_boxes

CHUNK = 1024 * 1024


class RecordingStorage(Protocol):
    def session_dir(self, session_id: UUID) -> Path:
        """The local working folder of a session's recording (created if missing)."""
        ...

    async def free_bytes(self, session_id: UUID) -> int:
        """Free bytes where the session's recording is written."""
        ...

    async def publish_part(self, session_id: UUID, part: PartRecord) -> None:
        """Make a closed part durable in the archive."""
        ...

    async def publish_archive(self, session_id: UUID, names: list[str]) -> None:
        """Make the session's archive files (playlist, chapters, manifest) durable."""
        ...


class LocalStorage:
    """Recordings in a local folder: ``<root>/<session id>/``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def session_dir(self, session_id: UUID) -> Path:
        path = self.root / str(session_id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    async def free_bytes(self, session_id: UUID) -> int:
        path = self.session_dir(session_id)
        usage = await asyncio.to_thread(shutil.disk_usage, path)
        return int(usage.free)

    async def publish_part(self, session_id: UUID, part: PartRecord) -> None:
        """Already in place on the local disk."""

    async def publish_archive(self, session_id: UUID, names: list[str]) -> None:
        """Already in place on the local disk."""


async def check_capacity(
    storage: RecordingStorage, session_id: UUID, *, expected_seconds: float, bytes_per_second: float
) -> int:
    """Refuse (``StorageInsufficient``) when free space is below expected duration × bitrate;
    return the free bytes."""
    free = await storage.free_bytes(session_id)
    needed = int(expected_seconds * bytes_per_second)
    if free < needed:
        raise StorageInsufficient(
            f"{free} bytes free, the recording needs about {needed}",
            free_bytes=free,
            needed_bytes=needed,
        )
    return free


class GrowingFileHasher:
    """SHA-256 of a file that only grows, read in chunks in a worker thread as it grows.

    ffmpeg appends fragments and never rewrites earlier bytes (see ``ingest.py``), so the hash
    of what was read so far plus the tail read at close is the hash of the whole file, and
    closing costs only the last unread bytes whatever the part's length."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0
        self._hash = hashlib.sha256()
        self._lock = asyncio.Lock()

    async def advance(self) -> int:
        """Hash the bytes appended since the last call; return the size hashed so far."""
        async with self._lock:
            await asyncio.to_thread(self._read_tail)
        return self.size

    def _read_tail(self) -> None:
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            end = os.fstat(handle.fileno()).st_size  # only what is written now (not a device)
            handle.seek(self.size)
            while self.size < end and (chunk := handle.read(min(CHUNK, end - self.size))):
                self._hash.update(chunk)
                self.size += len(chunk)

    async def finish(self) -> tuple[int, str]:
        """Hash the rest; return (size, hex digest)."""
        await self.advance()
        return self.size, self._hash.hexdigest()


def truncate_to_playable(path: Path) -> tuple[int, int]:
    """Cut a crashed part after its last complete fragment. Returns (old size, new size).
    Blocking: call through ``asyncio.to_thread``."""
    size = path.stat().st_size
    with path.open("rb") as handle:

        def header_at(offset: int) -> bytes:
            handle.seek(offset)
            return handle.read(16)

        keep = playable_length(walk_boxes(header_at, size))
    if keep < size:
        os.truncate(path, keep)
    return size, keep


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (readers never see a
    half-written file). Blocking: call through ``asyncio.to_thread``."""
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    temporary.replace(path)
