"""`rada demo` and `rada rehearse` as a user runs them: a private rada, real sign-in by e-mailed
personal links, presence by Prosody's webhook, a protocol JSON path at the end."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from orchestrator.rehearsal.scenario import demo
from tests.e2e.conftest import DemoRun, rada

pytestmark = pytest.mark.slow


def summary(protocol: dict[str, Any]) -> tuple[list[tuple[str, bool]], list[str]]:
    """Votes (id, adopted), amendments first, and break causes from the protocol document."""
    votes = []
    for item in protocol["agenda"]:
        for amendment in item["amendments"]:
            votes.append((amendment["vote"]["vote_id"], amendment["vote"]["adopted"]))
        votes.append((item["vote"]["vote_id"], item["vote"]["adopted"]))
    return votes, [b["cause"] for b in protocol["breaks"]]


def test_demo_prints_a_protocol_path(council_demo: DemoRun) -> None:
    """`rada demo` on a fresh install plays the session and prints the protocol's path."""
    found = re.search(r"^protocol: (.+)$", council_demo.stdout, re.MULTILINE)
    assert found, council_demo.stdout
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
