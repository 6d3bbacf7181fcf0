"""The `rada demo` session's journal (real conduct, real sign-in) folds into a protocol whose
JSON, HTML, PDF and open data agree with the journal and with each other (issue 6 acceptance)."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from pathlib import Path

import pytest

from orchestrator import opendata, protocol_render
from orchestrator.journal import event_from_public, verify_chain
from orchestrator.protocol import build
from tests.e2e.test_rehearse_cli import folder, rada
from tests.protocol_checks import assert_formats_agree, pdf_text

pytestmark = pytest.mark.slow
__all__ = ["folder"]  # the fixture, used by name


def test_demo_journal_folds_into_an_agreeing_protocol(folder: Path) -> None:
    """Every vote closed by conduct equals the protocol's count of its named rows; the three
    formats carry every name, outcome and the seal; motions.csv counts match."""
    done = rada("demo", "--out", str(folder / "out"), cwd=folder)
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r"^protocol: (.+)$", done.stdout, re.MULTILINE)
    assert found, done.stdout
    printed = Path(found[1])
    journal = json.loads(
        printed.with_name(printed.name.replace("protocol-", "journal-")).read_text(encoding="utf-8")
    )
    events = [event_from_public(e) for e in journal]
    assert verify_chain(events) == []

    p = build(events)
    closed = {e.payload["vote_id"]: e.payload for e in events if e.type == "vote_closed"}
    assert sorted(v.vote_id for v in p.votes) == sorted(closed)
    for v in p.votes:
        assert v.discrepancies == ()
        stated = closed[v.vote_id]
        assert v.tally.as_dict() == {k: stated[k] for k in v.tally.as_dict()}
        assert v.adopted is stated["adopted"]
    assert p.seal == events[-1].hash
    assert p.breaks[0].cause == "recording_lost"
    assert p.chair is not None
    assert p.breaks[0].declared_by == p.chair.name

    html = unescape(protocol_render.to_html(p))  # Д'яченко is written Д&#39;яченко
    doc = json.loads(protocol_render.to_json(p))
    assert doc["seal"]["hash"] == p.seal
    assert json.loads(printed.read_text(encoding="utf-8")) == doc  # what demo printed is the fold
    assert_formats_agree(p, html, pdf_text(protocol_render.to_pdf(p)))
    motions = list(csv.DictReader(io.StringIO(opendata.files(p)["motions.csv"].decode())))
    assert [int(m["votingFor"]) for m in motions] == [v.tally.for_ for v in p.votes]
