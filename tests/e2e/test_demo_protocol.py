"""The `rada demo` session's journal (real conduct, real sign-in) folds into a protocol whose
JSON, HTML, PDF and open data agree with the journal and with each other."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from pathlib import Path

import pytest

from orchestrator.kernel.journal.chain import Event, event_from_public, verify_chain
from orchestrator.protocol import opendata
from orchestrator.protocol import render as protocol_render
from orchestrator.protocol.model import build
from tests.e2e.conftest import DemoRun, rada
from tests.protocol_checks import assert_formats_agree, pdf_text

pytestmark = pytest.mark.slow


def test_demo_journal_folds_into_an_agreeing_protocol(council_demo: DemoRun) -> None:
    """Every vote closed by conduct equals the protocol's count of its named rows; the three
    formats carry every name, outcome and the seal; motions.csv counts match."""
    archive_verifies_and_tampering_is_named(council_demo.folder, council_demo.stdout)
    found = re.search(r"^protocol: (.+)$", council_demo.stdout, re.MULTILINE)
    assert found, council_demo.stdout
    printed = Path(found[1])
    journal = json.loads(
        printed.with_name(printed.name.replace("protocol-", "journal-")).read_text(encoding="utf-8")
    )
    events = [event_from_public(e) for e in journal]
    assert verify_chain(events) == []
    deputy_reconnects_mid_roll_call_and_answers(events)

    p = build(events)
    closed = {e.payload["vote_id"]: e.payload for e in events if e.type == "vote_closed"}
    assert sorted(v.vote_id for v in p.votes) == sorted(closed)
    for v in p.votes:
        assert v.discrepancies == ()
        stated = closed[v.vote_id]
        assert v.tally.as_dict() == {k: stated[k] for k in v.tally.as_dict()}
        assert v.adopted is stated["adopted"]
    # the seal is the last session event; after it come only the signing acts (R18, R19)
    assert p.seal == events[p.seal_seq - 1].hash
    assert {e.type for e in events[p.seal_seq :]} <= {
        "protocol_finalised",
        "protocol_signed",
        "protocol_published",
    }
    assert p.breaks[0].cause == "recording_lost"
    assert p.chair is not None
    assert p.breaks[0].declared_by == "автоматично (rada)"  # the recorder lost the stream

    html = unescape(protocol_render.to_html(p))  # Д'яченко is written Д&#39;яченко
    doc = json.loads(protocol_render.to_json(p))
    assert doc["seal"]["hash"] == p.seal
    assert json.loads(printed.read_text(encoding="utf-8")) == doc  # what demo printed is the fold
    assert_formats_agree(p, html, pdf_text(protocol_render.to_pdf(p)))
    motions = list(csv.DictReader(io.StringIO(opendata.files(p)["motions.csv"].decode())))
    assert [int(m["votingFor"]) for m in motions] == [v.tally.for_ for v in p.votes]


def deputy_reconnects_mid_roll_call_and_answers(events: list[Event]) -> None:
    """The demo's Павленко drops out during item 2's roll call (presence_left through the
    event_sync webhook), comes back, is identified again by the chair (R11) and then answers
    when called (R15, R16): a recorded ballot, counted."""
    convened = events[0].payload
    pavlenko = next(
        p["participant_id"] for p in convened["participants"] if p["surname"] == "Павленко"
    )
    opened = next(e for e in events if e.type == "vote_opened" and e.payload["vote_id"] == "1")
    closed = next(e for e in events if e.type == "vote_closed" and e.payload["vote_id"] == "1")
    during = [
        e.type
        for e in events[opened.seq : closed.seq - 1]
        if e.payload.get("participant_id") == pavlenko
    ]
    assert during == [
        "presence_left",
        "presence_joined",
        "participant_identified",
        "deputy_called",
        "ballot_recorded",
    ]
    assert pavlenko in opened.payload["order"]
    ballot = next(e for e in events[opened.seq :] if e.type == "ballot_recorded"
                  and e.payload["participant_id"] == pavlenko)  # fmt: skip
    assert (ballot.payload["answer"], ballot.payload["source"]) == ("against", "deputy")


def archive_verifies_and_tampering_is_named(folder: Path, printed: str) -> None:
    """On the demo's published archive: the recording (a simulated call whose
    publisher was SIGKILLed mid-session) has two parts and a recorder-detected loss; `rada verify`
    passes untouched, and fails naming the file after one byte of a part or of the journal
    changes."""
    found = re.search(r"^archive: (.+)$", printed, re.MULTILINE)
    assert found, printed
    archive = Path(found[1])
    manifest = json.loads((archive / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["parts"]) == 2
    journal = json.loads((archive / "journal.json").read_text(encoding="utf-8"))
    lost = [e for e in journal if e["type"] == "recording_lost"]
    assert [(e["actor"], e["payload"]["cause"]) for e in lost] == [("recorder", "stall")]
    breaks = [e for e in journal if e["type"] == "break_declared"]
    assert [(e["actor"], e["payload"]["cause"]) for e in breaks] == [("system", "recording_lost")]

    ok = rada("verify", str(archive), cwd=folder)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for name in ("parts/part-0001.mp4", "journal.json"):
        target = archive / name
        original = target.read_bytes()
        # one byte: in the middle of the part's media, or one deputy's answer "for" → "fox"
        at = len(original) // 2 if name.endswith(".mp4") else original.index(b'"for"') + 3
        flipped = original[:at] + bytes([original[at] ^ 0x01]) + original[at + 1 :]
        target.write_bytes(flipped)
        try:
            bad = rada("verify", "--no-decode", str(archive), cwd=folder)  # hashes name it
        finally:
            target.write_bytes(original)
        assert bad.returncode == 1, bad.stdout
        assert name.split("/")[-1] in bad.stdout or "journal" in bad.stdout
    assert rada("verify", "--no-decode", str(archive), cwd=folder).returncode == 0
