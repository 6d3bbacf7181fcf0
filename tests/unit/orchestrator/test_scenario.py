"""Rehearsal scenarios: the format's checks and the built-in demo."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from orchestrator.kernel.errors import Invalid
from orchestrator.rehearsal.scenario import demo, parse


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
