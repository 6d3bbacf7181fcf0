"""The rehearsal scenario's ``"body": "executive_committee"`` and the committee demo's plan."""

from __future__ import annotations

import copy

import pytest

from orchestrator.kernel.errors import Invalid
from orchestrator.rehearsal import committee
from orchestrator.rehearsal import scenario as sc


def test_the_committee_demo_is_a_valid_scenario_with_its_plan() -> None:
    """11 members, the first deputy mayor presides with the reason, one member by phone, one
    remark and one proposal; the second question has 5 for of 10 voting."""
    raw = committee.demo()
    s = sc.parse(raw)
    plan = committee.parse_plan(raw, s)
    assert s.body == "executive_committee" and plan.composition == 11
    members = [p for p in s.roster if p.role != "general_department"]
    assert len(members) == 11
    chair = next(p for p in s.roster if p.email == plan.chair)
    assert chair.role == "first_deputy_mayor" and plan.chair_reason
    assert {by for _item, _amendment, by in plan.phone} == {
        p.email for p in s.roster if p.surname == "Мельник"
    }
    assert len(plan.remarks) == 1 and len(plan.texts(0)) == 1
    second = [a.answer for a in s.answers if a.item == 1]
    assert second.count("for") == 5 and len(second) == 10


@pytest.mark.parametrize(
    ("body", "role", "field"),
    [
        ("executive_committee", "deputy", "roster[4].role"),  # a deputy as such is no member
        ("council", "member", "roster[1].role"),  # the council knows no first deputy mayor
    ],
)
def test_roles_are_the_bodys_own(body: str, role: str, field: str) -> None:
    """A council scenario takes the council's roles; a committee's, the committee's."""
    raw = copy.deepcopy(committee.demo())
    raw["body"] = body
    raw["roster"][4]["role"] = role
    with pytest.raises(Invalid) as caught:
        sc.parse(raw)
    assert caught.value.field == field


def test_the_plan_needs_the_composition_and_a_listed_chair() -> None:
    """Without the committee's composition or with a chair not on the roster: refused (E1, E4)."""
    raw = committee.demo()
    s = sc.parse(raw)
    with pytest.raises(Invalid):
        committee.parse_plan({**raw, "composition": 0}, s)
    stranger = sc.parse({**raw, "session": {**raw["session"], "chair": "nobody@x.test"}})
    with pytest.raises(Invalid):
        committee.parse_plan(raw, stranger)
