"""Fixtures of the fault-injection tests: a real small filesystem under the media folder, filled
and freed on demand (real parts only: no mocks of the disk, the database or ffmpeg)."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# the recorder tests' fixtures: real ffmpeg publishing numbered frames into a real recorder
from tests.integration.recording.conftest import (  # noqa: F401 - fixtures for this package
    ffmpeg_exe,
    make_recorder,
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
