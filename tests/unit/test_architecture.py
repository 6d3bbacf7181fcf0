"""The import direction holds: kernel ← features ← composition root, and rules modules are pure.

The contracts live in ``pyproject.toml`` under ``[tool.importlinter]``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("orchestrator", "identity", "recording")


def test_import_contracts_are_kept() -> None:
    """Every import-linter contract in pyproject.toml is kept (exit code 0)."""
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0


def _local_imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and inner.module:
                    name = inner.module
                elif isinstance(inner, ast.Import):
                    name = inner.names[0].name
                else:
                    continue
                if name.split(".")[0] in PACKAGES:
                    found.append((inner.lineno, name))
    return found


def test_no_function_imports_rada_modules() -> None:
    """No function imports one of rada's own modules: every such import sits at the top of its
    file, so an import cycle cannot hide inside a function."""
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            offenders += [f"{path.relative_to(ROOT)}:{n} {m}" for n, m in _local_imports(tree)]
    assert offenders == []


def test_only_the_composition_root_imports_the_app() -> None:
    """``orchestrator.app`` is imported by the command line alone, not by any feature."""
    importers = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module == "orchestrator.app":
                    importers.append(str(path.relative_to(ROOT)))
    assert importers == ["orchestrator/cli.py"]
