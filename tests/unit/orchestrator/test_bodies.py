"""Body kinds as data: the council's rule set (R7, R13, R15) and the executive committee's
(E1, E4, E7) behind one interface."""

import pytest

from orchestrator.conduct.quorum import assess
from orchestrator.conduct.tally import Answer, count
from orchestrator.convening.bodies import (
    COUNCIL,
    EXECUTIVE_COMMITTEE,
    BodyKind,
    RuleSet,
    VotingMode,
    body_title,
    council_genitive,
    rule_set,
    stand_in,
)
from orchestrator.kernel.errors import Invalid

# (rules, total composition, mayor taking part, votes for, adopted)
MAJORITY_TABLE = [
    # R13, the council: the base is the deputies, + 1 when the mayor takes part
    (COUNCIL, 26, False, 13, False),  # even, exactly half
    (COUNCIL, 26, False, 14, True),  # even, half + 1
    (COUNCIL, 26, True, 14, True),  # 27 with the mayor: more than 13.5
    (COUNCIL, 27, False, 13, False),  # odd, just under half
    (COUNCIL, 27, False, 14, True),  # odd, the smallest majority
    (COUNCIL, 27, True, 14, False),  # 28 with the mayor: exactly half
    (COUNCIL, 27, True, 15, True),  # 28 with the mayor: half + 1
    # E4, the executive committee: for > half of its total composition, the mayor one of them
    (EXECUTIVE_COMMITTEE, 11, True, 5, False),  # odd, under half (the demo's failing question)
    (EXECUTIVE_COMMITTEE, 11, True, 6, True),  # odd, the smallest majority
    (EXECUTIVE_COMMITTEE, 11, False, 6, True),  # the mayor absent changes nothing
    (EXECUTIVE_COMMITTEE, 12, True, 6, False),  # even, exactly half
    (EXECUTIVE_COMMITTEE, 12, True, 7, True),  # even, half + 1
    (EXECUTIVE_COMMITTEE, 12, False, 6, False),  # no stand-in +1 for the mayor's absence
    (EXECUTIVE_COMMITTEE, 1, True, 1, True),
    (EXECUTIVE_COMMITTEE, 2, True, 1, False),  # exactly half of two
    (EXECUTIVE_COMMITTEE, 2, True, 2, True),
]


@pytest.mark.parametrize(("rules", "total", "mayor", "votes_for", "adopted"), MAJORITY_TABLE)
def test_majority_table(
    rules: RuleSet, total: int, mayor: bool, votes_for: int, adopted: bool
) -> None:
    """Adopted iff "for" is more than half of the body's base: R13 (the council, + the mayor
    taking part) and E4 (the committee's total composition, the mayor included)."""
    assert rules.adopted(votes_for, total, mayor) is adopted
    # the tally counts the same from the same rule set
    answers = {f"f{i}": Answer.FOR for i in range(votes_for)}
    tally = count(list(answers), answers, [], total, mayor, rules)
    assert tally.adopted is adopted


# (rules, total composition, present members counted, required, holds)
QUORUM_TABLE = [
    (COUNCIL, 26, 13, 14, False),  # R7: even, exactly half
    (COUNCIL, 26, 14, 14, True),
    (COUNCIL, 27, 13, 14, False),
    (COUNCIL, 27, 14, 14, True),
    (EXECUTIVE_COMMITTEE, 11, 5, 6, False),  # E4: odd, under half
    (EXECUTIVE_COMMITTEE, 11, 6, 6, True),  # odd, half + 1
    (EXECUTIVE_COMMITTEE, 12, 6, 7, False),  # even, exactly half
    (EXECUTIVE_COMMITTEE, 12, 7, 7, True),  # even, half + 1
]


@pytest.mark.parametrize(("rules", "total", "present", "required", "holds"), QUORUM_TABLE)
def test_quorum_table(rules: RuleSet, total: int, present: int, required: int, holds: bool) -> None:
    """Competent when more than half of the body's total composition take part (R7, E4)."""
    q = assess(total, present, rules)
    assert (q.required, q.holds) == (required, holds)


@pytest.mark.parametrize(
    ("rules", "kind", "counts"),
    [
        (COUNCIL, "deputy", True),
        (COUNCIL, "secretary", True),  # R7: the secretary is a deputy
        (COUNCIL, "mayor", False),  # R7: the mayor is not a deputy
        (COUNCIL, "guest", False),
        (EXECUTIVE_COMMITTEE, "mayor", True),  # E4: the mayor is a member of the committee
        (EXECUTIVE_COMMITTEE, "first_deputy_mayor", True),
        (EXECUTIVE_COMMITTEE, "deputy_mayor", True),
        (EXECUTIVE_COMMITTEE, "secretary", True),
        (EXECUTIVE_COMMITTEE, "member", True),
        (EXECUTIVE_COMMITTEE, "general_department", False),  # E7: staff, not a member
        (EXECUTIVE_COMMITTEE, "guest", False),
        (EXECUTIVE_COMMITTEE, "deputy", False),  # a deputy is not a committee member as such
    ],
)
def test_who_counts_for_quorum_and_votes(rules: RuleSet, kind: str, counts: bool) -> None:
    """Who counts towards quorum is the body's; those counted are also those who vote (except
    the council's mayor, who votes without counting towards quorum, R13)."""
    assert rules.counts_for_quorum(kind, True, True) is counts
    assert rules.counts_for_quorum(kind, True, False) is False  # R11: identified first
    assert rules.votes(kind) is (counts or (rules is COUNCIL and kind == "mayor"))


def test_modes_and_words() -> None:
    """The council calls the roll (R15); the committee votes at once (E7), in its own words."""
    assert COUNCIL.voting_mode is VotingMode.ROLL_CALL
    assert EXECUTIVE_COMMITTEE.voting_mode is VotingMode.SIMULTANEOUS
    assert EXECUTIVE_COMMITTEE.words.meeting == "засідання"
    assert EXECUTIVE_COMMITTEE.words.members == "члени виконкому"
    assert EXECUTIVE_COMMITTEE.protocol_keeper_kind == "general_department"
    assert rule_set(None) is COUNCIL
    assert rule_set("executive_committee") is EXECUTIVE_COMMITTEE
    assert {r.body for r in (COUNCIL, EXECUTIVE_COMMITTEE)} == set(BodyKind)
    with pytest.raises(Invalid):
        rule_set("presidium")


@pytest.mark.parametrize(
    ("available", "presides"),
    [
        ({"mayor": True, "first_deputy_mayor": True, "deputy_mayor": True}, "mayor"),
        ({"mayor": False, "first_deputy_mayor": True, "deputy_mayor": True}, "first_deputy_mayor"),
        ({"first_deputy_mayor": False, "deputy_mayor": True}, "deputy_mayor"),
        ({"mayor": False}, None),
    ],
)
def test_stand_in_chain(available: dict[str, bool], presides: str | None) -> None:
    """E1: the mayor; else the first deputy mayor; else the deputy mayor for executive bodies."""
    assert stand_in(EXECUTIVE_COMMITTEE, available) == presides


@pytest.mark.parametrize(
    ("name", "genitive"),
    [
        ("Коростишівська міська рада", "Коростишівської міської ради"),
        ("Первомайська міська рада", "Первомайської міської ради"),
        ("Броварська міська рада", "Броварської міської ради"),
        ("Тестова сільська рада", "Тестової сільської ради"),
        ("Рада громади", "Рада громади"),  # another shape is left alone
    ],
)
def test_council_genitive(name: str, genitive: str) -> None:
    """The committee is «Виконавчий комітет» of the council, in the genitive (E1)."""
    assert council_genitive(name) == genitive
    assert body_title(COUNCIL, name) == name
    assert body_title(EXECUTIVE_COMMITTEE, name) == f"Виконавчий комітет {genitive}"
