"""The session plan's PDF is in the published archive (P2): `rada demo`'s archive holds
``plan.pdf``, the journal's ``protocol_published`` names its SHA-256, `rada verify` checks it and
names it when one byte changes."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import pypdf
import pytest

from tests.e2e.conftest import DemoRun, rada

pytestmark = pytest.mark.slow


def test_plan_pdf_is_archived_and_verified(council_demo: DemoRun) -> None:
    folder = council_demo.folder
    found = re.search(r"^archive: (.+)$", council_demo.stdout, re.MULTILINE)
    assert found, council_demo.stdout
    archive = Path(found[1])
    plan = archive / "plan.pdf"
    data = plan.read_bytes()
    journal = json.loads((archive / "journal.json").read_text(encoding="utf-8"))
    [published] = [e for e in journal if e["type"] == "protocol_published"]
    assert published["payload"]["plan_sha256"] == hashlib.sha256(data).hexdigest()
    text = " ".join(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages).split()
    )
    assert "№ Захід Термін Відповідальні" in text

    ok = rada("verify", "--no-decode", str(archive), cwd=folder)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    at = len(data) // 2
    plan.write_bytes(data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :])
    try:
        bad = rada("verify", "--no-decode", str(archive), cwd=folder)
    finally:
        plan.write_bytes(data)
    assert bad.returncode == 1 and "plan.pdf" in bad.stdout, bad.stdout
