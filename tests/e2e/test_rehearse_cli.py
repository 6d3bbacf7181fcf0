"""`rada demo` and `rada rehearse` as a user runs them: a private rada, real sign-in by e-mailed
personal links, presence by Prosody's webhook, a protocol JSON path at the end."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.rehearsal.scenario import demo

pytestmark = pytest.mark.slow


@pytest.fixture
def folder() -> Iterator[Path]:
    """Outside pytest's 0700 tmp root: the embedded server's user must traverse it."""
    path = Path(tempfile.mkdtemp(prefix="radarehearse"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def rada(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
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


def summary(protocol: dict[str, Any]) -> tuple[list[tuple[str, bool]], list[str]]:
    """Votes (id, adopted), amendments first, and break causes from the protocol document."""
    votes = []
    for item in protocol["agenda"]:
        for amendment in item["amendments"]:
            votes.append((amendment["vote"]["vote_id"], amendment["vote"]["adopted"]))
        votes.append((item["vote"]["vote_id"], item["vote"]["adopted"]))
    return votes, [b["cause"] for b in protocol["breaks"]]


def test_demo_prints_a_protocol_path(folder: Path) -> None:
    """`rada demo` on a fresh install plays the session and prints the protocol's path."""
    done = rada("demo", "--out", str(folder / "out"), cwd=folder)
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r"^protocol: (.+)$", done.stdout, re.MULTILINE)
    assert found, done.stdout
    votes, breaks = summary(json.loads(Path(found[1]).read_text(encoding="utf-8")))
    assert votes == [("0.a0", True), ("0", True), ("1", True)]
    assert breaks == ["recording_lost"]


def test_secret_ballot_scenario_exits_with_the_refusal(folder: Path) -> None:
    """R2: the service refuses to convene a secret ballot; rehearse says so and exits 1."""
    raw = copy.deepcopy(demo())
    raw["session"]["agenda"][0]["secret_ballot"] = True
    scenario = folder / "secret.json"
    scenario.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    done = rada("rehearse", str(scenario), "--out", str(folder / "out"), cwd=folder)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "refused by the service" in done.stderr
    assert "Traceback" not in done.stderr
