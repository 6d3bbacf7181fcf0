"""The suite's own arrangement for pytest-xdist (tests/conftest.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import COUNCIL_DEMO_READERS

ROOT = Path(__file__).resolve().parents[2]


def takes(module: Path) -> set[str]:
    """The parameter names of the module's functions (the fixtures its tests take)."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    return {
        arg.arg
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for arg in node.args.args
    }


def test_every_module_reading_the_council_demo_runs_in_its_group() -> None:
    """The modules whose tests take ``council_demo`` are exactly the listed ones: one missing
    would play the 20–30 s demo again in another worker; one listed in vain ties its module
    to the demo's worker for nothing."""
    readers = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "tests").rglob("test_*.py")
        if "council_demo" in takes(path)
    }
    assert readers == COUNCIL_DEMO_READERS
