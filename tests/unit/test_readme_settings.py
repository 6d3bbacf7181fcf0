"""The README's configuration table documents every ``RADA_*`` variable rada reads.

The variables are found by running the one settings reader (``Settings.from_env``, every section)
on an environment that records what it is asked for (so a name built from a prefix counts too),
plus the literal ``"RADA_…"`` names anywhere in the packages (a name written outside the
reader, e.g. in a hint or an error message, must be documented too)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from orchestrator.kernel.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("orchestrator", "identity", "recording")
_NAME = re.compile(r"`(RADA_[A-Z0-9_]+|_[A-Z0-9_]+)`")


class RecordingEnv(Mapping[str, str]):
    """An environment that remembers every name looked up; ``values`` answers some of them."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self.values = dict(values or {})
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self.values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def variables_read() -> set[str]:
    env = RecordingEnv()
    Settings.from_env(env)
    names = set(env.read)
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            names |= set(re.findall(r"\"(RADA_[A-Z0-9_]*[A-Z0-9])\"", path.read_text()))
    return names


def documented() -> set[str]:
    """Names in the first cell of the README's table rows; ``RADA_A_B` / `_C`` also documents
    each ``RADA_A…_C`` formed by replacing the first name's tail after one of its underscores."""
    names: set[str] = set()
    for line in (ROOT / "README.md").read_text().splitlines():
        if not line.startswith("| `RADA_"):
            continue
        first_cell = line.split("|")[1]
        found = _NAME.findall(first_cell)
        full, shorthands = found[0], [n for n in found[1:] if n.startswith("_")]
        names.update(n for n in found if n.startswith("RADA_"))
        cuts = [i for i, char in enumerate(full) if char == "_" and i > len("RADA")]
        for tail in shorthands:
            names.update(full[:cut] + tail for cut in cuts)
    return names


def test_every_variable_read_is_in_the_readme_table() -> None:
    read = variables_read()
    assert {"RADA_DATA_DIR", "RADA_JITSI_APP_SECRET", "RADA_RECORDING_S3_BUCKET"} <= read
    assert "RADA_RECORDING_JIBRI_WEBHOOK_PUBLIC_KEY" in read
    missing = sorted(read - documented())
    assert missing == [], f"not in README's configuration table: {missing}"


def test_the_shorthand_rows_expand_as_a_reader_would() -> None:
    """The ``/ `_X``` notation is understood (else the first test could pass by accident)."""
    names = documented()
    assert "RADA_SMTP_PASSWORD" in names  # `RADA_SMTP_USERNAME` / `_PASSWORD` / `_SENDER`
    assert "RADA_RECORDING_S3_SECRET_ACCESS_KEY" in names
    assert "RADA_NOT_A_SETTING" not in names
