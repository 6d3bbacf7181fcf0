"""Open data in the national roll-call shape: parses, and its counts are the protocol's (R20)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest

from orchestrator.protocol import opendata
from orchestrator.protocol.model import build
from tests.journal_builder import play_session


@pytest.fixture(scope="module")
def proto():
    return build(play_session().events)


@pytest.fixture(scope="module")
def files(proto):
    return opendata.files(proto)


def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_motions_csv_has_the_national_fields_and_one_row_per_vote(proto, files):
    """motions.csv: the fields of the national open-data set, one row per vote including the amendment vote."""
    rows = _csv(files["motions.csv"])
    assert list(rows[0]) == list(opendata.MOTION_FIELDS)
    # the national set "Поіменні результати голосування депутатів"
    national = "uid date authorityName convocation legislativeSession num title projectNum"
    national += " votingFor votingAgainst votingAbstain notVoting absent votingResult"
    assert set(national.split()) <= set(rows[0])
    assert len(rows) == len(proto.votes) == 4
    assert rows[0]["authorityName"] == "Коростишівська міська рада"
    assert rows[0]["date"] == "2026-11-20"


def test_motion_counts_match_the_protocol(proto, files):
    """Each motion's for/against/abstain/not voting/absent equal the protocol's totals."""
    by_uid = {r["uid"]: r for r in _csv(files["motions.csv"])}
    for v in proto.votes:
        row = by_uid[opendata.motion_uid(proto, v)]
        t = v.tally
        assert (
            int(row["votingFor"]),
            int(row["votingAgainst"]),
            int(row["votingAbstain"]),
            int(row["notVoting"]),
            int(row["absent"]),
        ) == (t.for_, t.against, t.abstain, t.not_voted, t.absent)
        assert row["votingResult"] == ("Прийнято" if v.adopted else "Не прийнято")


def test_votings_results_are_the_five_national_words_and_count_up(proto, files):
    """votings.csv: one row per deputy per vote; tallied per motion they equal motions.csv."""
    rows = _csv(files["votings.csv"])
    assert {r["result"] for r in rows} <= {"За", "Проти", "Утримався", "Не голосував", "Відсутній"}
    assert len(rows) == sum(len(v.rows) for v in proto.votes)
    per_motion = Counter((r["motionUid"], r["result"]) for r in rows)
    for m in _csv(files["motions.csv"]):
        assert per_motion[(m["uid"], "За")] == int(m["votingFor"])
        assert per_motion[(m["uid"], "Проти")] == int(m["votingAgainst"])
        assert per_motion[(m["uid"], "Утримався")] == int(m["votingAbstain"])
        assert per_motion[(m["uid"], "Не голосував")] == int(m["notVoting"])
        assert per_motion[(m["uid"], "Відсутній")] == int(m["absent"])


def test_json_resources_hold_the_same_rows_as_csv(files):
    """motions.json and votings.json carry the same records as the CSVs."""
    for name in ("motions", "votings"):
        from_json = json.loads(files[f"{name}.json"])
        from_csv = _csv(files[f"{name}.csv"])
        assert len(from_json) == len(from_csv)
        assert [str(r["voterName" if name == "votings" else "title"]) for r in from_json] == [
            r["voterName" if name == "votings" else "title"] for r in from_csv
        ]


def test_voter_id_is_the_stable_member_id(proto, files):
    """voterId is the council member's id (stable across sessions), not the session's."""
    rows = json.loads(files["votings.json"])
    members = {x.person.member_id for x in proto.participants}
    assert {r["voterId"] for r in rows} <= members


def test_a_formula_in_a_name_is_text_in_the_csv_and_unchanged_in_the_json():
    """A council name starting with ``=`` reaches a spreadsheet as text (apostrophe prefix),
    while the JSON files keep the name exactly (R20: open data is the protocol's)."""
    name = '=HYPERLINK("http://evil.example/","Рада")'
    files = opendata.files(build(play_session(council_name=name).events))
    row = _csv(files["motions.csv"])[0]
    assert row["authorityName"] == "'" + name
    assert json.loads(files["motions.json"])[0]["authorityName"] == name
    for cell in ("-1", "+380", "@x", "\tx", "=1+1"):
        assert opendata.csv_cell(cell) == "'" + cell
    assert opendata.csv_cell(-1) == -1
    assert opendata.csv_cell("Коростишівська") == "Коростишівська"
