"""Rehearsal scenarios: the format's checks and the built-in demo."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from orchestrator.errors import Invalid
from orchestrator.rehearsal import minimal_protocol
from orchestrator.scenario import demo, parse


def test_demo_is_a_valid_scenario() -> None:
    """The demo: 26 seats, Ґ Є І Ї surnames, an amendment on item 1, one outage break."""
    s = parse(demo())
    assert s.council["total_composition"] == 26
    initials = {p.surname[0] for p in s.roster}
    assert {"Ґ", "Є", "І", "Ї"} <= initials
    assert s.amendments(0) == 1
    assert s.amendments(1) == 0
    assert [(b.before_item, b.cause) for b in s.breaks] == [(1, "recording_lost")]
    deputies_attending = [
        p for p in s.roster if p.email in s.attend and p.role in ("deputy", "secretary")
    ]
    assert len(deputies_attending) > 13  # quorum of 26 is 14


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("council"), "council"),
        (lambda d: d["roster"][0].update(role="king"), "roster[0].role"),
        (lambda d: d["roster"][1].update(email=d["roster"][0]["email"]), "roster"),
        (lambda d: d["attend"].append("stranger@x.test"), "attend"),
        (lambda d: d["answers"][0].update(answer="yes"), "answers[0].answer"),
        (lambda d: d["answers"][0].update(by="stranger@x.test"), "answers[0].by"),
        (lambda d: d["answers"][0].update(item=9), "answers[0].item"),
        (lambda d: d["breaks"][0].update(cause="lunch"), "breaks[0].cause"),
        (lambda d: d["breaks"][0].update(seconds=-1), "breaks[0].seconds"),
    ],
)
def test_malformed_scenarios_name_the_field(change: Any, field: str) -> None:
    """A malformed scenario is refused with the field that is wrong."""
    raw = copy.deepcopy(demo())
    change(raw)
    with pytest.raises(Invalid) as err:
        parse(raw)
    assert err.value.field == field


def test_minimal_protocol_projects_votes_and_breaks() -> None:
    """The stand-in protocol lists each vote's order, answers, result and the breaks."""

    def e(seq: int, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"seq": seq, "at": f"t{seq}", "type": type_, "payload": payload, "hash": f"h{seq}"}

    people = [
        {"participant_id": p, "surname": p.upper(), "given_name": "", "patronymic": ""}
        for p in ("a", "b")
    ]
    events = [
        e(
            1,
            "session_convened",
            {"title": "T", "number": 1, "council": {}, "agenda": [], "participants": people},
        ),
        e(
            2,
            "vote_opened",
            {
                "vote_id": "0",
                "item": 0,
                "amendment": None,
                "order": ["a", "b"],
                "absent": [],
                "required": 2,
                "mayor_taking_part": False,
            },
        ),
        e(
            3,
            "ballot_recorded",
            {"vote_id": "0", "participant_id": "a", "answer": "for", "source": "deputy"},
        ),
        e(4, "break_declared", {"cause": "recording_lost", "reason": "", "by": "system"}),
        e(5, "break_ended", {"by": "participant:x"}),
        e(6, "deputy_skipped", {"vote_id": "0", "participant_id": "b"}),
        e(
            7,
            "vote_closed",
            {
                "vote_id": "0",
                "for": 1,
                "against": 0,
                "abstain": 0,
                "not_voted": 1,
                "absent": 0,
                "required": 2,
                "adopted": False,
            },
        ),
    ]
    protocol = minimal_protocol(events)
    vote = protocol["votes"][0]
    assert [a["answer"] for a in vote["answers"]] == ["for", "none"]
    assert vote["call_order"][0]["name"] == "A"
    assert vote["interrupted_by_breaks"] == 1
    assert vote["result"]["adopted"] is False
    assert protocol["breaks"] == [
        {
            "cause": "recording_lost",
            "reason": "",
            "by": "system",
            "since": "t4",
            "until": "t5",
            "ended_by": "participant:x",
        }
    ]
    assert protocol["journal_last_hash"] == "h7"
