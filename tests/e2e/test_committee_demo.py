"""`rada demo --body executive-committee` (E1–E8): an 11-member meeting played through the
public API of a private rada, whose printed protocol shows the presiding stand-in with the
reason, each member's answer and its source, the failed question, and a signature line for
every member who voted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from orchestrator.kernel.journal.chain import event_from_public, verify_chain
from tests.e2e.conftest import rada

pytestmark = pytest.mark.slow


def test_committee_demo_prints_its_protocol(folder: Path) -> None:
    """The demo prints a protocol path; the protocol is the committee's, by its rules."""
    done = rada("demo", "--body", "executive-committee", "--out", str(folder / "out"), cwd=folder)
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r"^protocol: (.+)$", done.stdout, re.MULTILINE)
    assert found, done.stdout
    path = Path(found[1])
    protocol = json.loads(path.read_text(encoding="utf-8"))
    journal = json.loads(
        path.with_name(path.name.replace("protocol-", "journal-")).read_text(encoding="utf-8")
    )
    assert verify_chain([event_from_public(e) for e in journal]) == []

    assert protocol["body"]["kind"] == "executive_committee"
    assert protocol["body"]["total_composition"] == 11
    chair = protocol["chair"]
    assert chair["kind"] == "first_deputy_mayor"  # the mayor is on leave (E1)
    assert chair["reason"].startswith("міський голова у щорічній відпустці")

    first, second = protocol["agenda"]
    assert first["remarks"] and first["amendments"][0]["text"].endswith("«320 тис. грн»")
    assert first["amendments"][0]["vote"]["adopted"] is True
    failed = second["vote"]
    assert (failed["totals"]["for"], failed["required"], failed["adopted"]) == (5, 6, False)
    rows = [r for item in protocol["agenda"] for r in item["vote"]["roll_call"]]
    sources = {r["source_uk"] for r in rows if r["answer"] in ("for", "against", "abstain")}
    assert sources == {"особисто, на своїй сторінці", "телефоном, вніс загальний відділ"}
    assert {r["answer"] for r in failed["roll_call"]} >= {"for", "against", "abstain", "absent"}

    voted = {r["name"] for r in rows if r["answer"] in ("for", "against", "abstain")}
    lines = protocol["signature_lines"]
    assert lines[0]["title"] == "Перший заступник міського голови"
    assert lines[1]["title"] == "Загальний відділ"
    assert len(lines[2:]) == len(voted) - 1  # every member who voted; the chair signs above
    assert {line["title"] for line in lines[2:]} == {"Член виконкому"}

    archive = re.search(r"^archive: (.+)$", done.stdout, re.MULTILINE)
    assert archive, done.stdout
    html = (Path(archive[1]) / "protocol.html").read_text(encoding="utf-8")
    assert "ВИКОНАВЧИЙ КОМІТЕТ ДЕМОНСТРАЦІЙНОЇ МІСЬКОЇ РАДИ" in html
    assert "депутат" not in html.lower()
    verified = rada("verify", archive[1], cwd=folder)  # the committee's archive verifies too
    assert verified.returncode == 0, verified.stdout + verified.stderr
    motions = json.loads((Path(archive[1]) / "opendata" / "motions.json").read_text("utf-8"))
    assert {m["body"] for m in motions} == {"executive_committee"}
