"""The end-to-end suite's shared runs: `rada` as a user runs it, and one `rada demo` whose
output several tests read (the demo takes 20–30 s; each test used to play its own)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def private_folder() -> Path:
    """Outside pytest's 0700 tmp root: the embedded server's user must traverse it."""
    return Path(tempfile.mkdtemp(prefix="radarehearse"))


@pytest.fixture
def folder() -> Iterator[Path]:
    path = private_folder()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def rada(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`rada ARGS` in a fresh process, with none of the suite's RADA_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RADA_")}
    return subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@dataclass(frozen=True)
class DemoRun:
    """One `rada demo --out FOLDER/out` as a user runs it: where, and what it printed."""

    folder: Path
    done: subprocess.CompletedProcess[str]

    @property
    def stdout(self) -> str:
        assert self.done.returncode == 0, self.done.stderr[-2000:]
        return self.done.stdout


@pytest.fixture(scope="session")
def council_demo() -> Iterator[DemoRun]:
    """The council's demo, played once for the tests that read its output and archive. A test
    that changes a file of the archive puts it back before it ends."""
    path = private_folder()
    try:
        yield DemoRun(path, rada("demo", "--out", str(path / "out"), cwd=path))
    finally:
        shutil.rmtree(path, ignore_errors=True)
