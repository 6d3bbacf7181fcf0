"""Majority of the total composition and named results (R13, R16)."""

import pytest

from orchestrator.conduct.tally import Answer, Result, count, named_results, required_majority
from orchestrator.kernel.errors import Invalid

F, A, X, N = Answer.FOR, Answer.AGAINST, Answer.ABSTAIN, Answer.NONE


@pytest.mark.parametrize(
    ("total", "mayor", "required"),
    [
        (26, False, 14),  # even: half is 13, so 14
        (26, True, 14),  # 27 with the mayor: more than 13.5 is 14
        (27, False, 14),
        (27, True, 15),  # 28 with the mayor: more than 14
        (34, False, 18),
        (34, True, 18),
        (1, False, 1),
        (1, True, 2),
        (2, False, 2),
    ],
)
def test_required_majority(total: int, mayor: bool, required: int) -> None:
    """Required = floor((total + mayor) / 2) + 1, from the total composition only."""
    assert required_majority(total, mayor) == required


def _vote(n_for: int, n_against: int, n_abstain: int, n_none: int) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    groups = (("f", n_for, F), ("a", n_against, A), ("x", n_abstain, X), ("n", n_none, N))
    for prefix, n, answer in groups:
        answers.update({f"{prefix}{i}": answer for i in range(n)})
    return answers


@pytest.mark.parametrize(
    ("total", "mayor", "votes", "absent", "adopted"),
    [
        (26, False, (13, 0, 0, 0), 13, False),  # exactly half for: not adopted
        (26, False, (14, 0, 0, 0), 12, True),  # half + 1
        (26, False, (14, 0, 0, 0), 0, True),
        (26, False, (10, 2, 3, 0), 11, False),  # majority of those voting is not enough
        (26, False, (13, 1, 0, 0), 12, False),  # majority of those present is not enough
        (26, True, (14, 0, 0, 0), 12, True),  # with the mayor: 27 → 14
        (27, True, (14, 14, 0, 0), 0, False),  # tie among 28: not adopted
        (27, True, (15, 0, 0, 0), 13, True),
        (27, False, (14, 13, 0, 0), 0, True),
        (27, False, (13, 0, 14, 0), 0, False),  # abstentions do not help
        (27, False, (13, 0, 0, 1), 13, False),  # not voted does not help
    ],
)
def test_adoption_table(
    total: int, mayor: bool, votes: tuple[int, int, int, int], absent: int, adopted: bool
) -> None:
    """Adopted iff "for" is more than half of the total composition (+1 with the mayor)."""
    answers = _vote(*votes)
    absentees = [f"abs{i}" for i in range(absent)]
    tally = count(list(answers), answers, absentees, total, mayor)
    assert tally.adopted is adopted
    assert (tally.for_, tally.against, tally.abstain, tally.not_voted, tally.absent) == (
        *votes,
        absent,
    )


def test_named_results_cover_every_answer() -> None:
    """Each voter gets one named result; a called voter with no answer yet is не голосував."""
    results = named_results(["a", "b", "c", "d", "e"], {"a": F, "b": A, "c": X, "d": N}, ["z"])
    assert results == [
        ("a", Result.FOR),
        ("b", Result.AGAINST),
        ("c", Result.ABSTAIN),
        ("d", Result.NOT_VOTED),
        ("e", Result.NOT_VOTED),
        ("z", Result.ABSENT),
    ]
    assert [r.uk for _, r in results] == [
        "За",
        "Проти",
        "Утримався",
        "Не голосував",
        "Не голосував",
        "Відсутній",
    ]


def test_answers_from_outside_the_roll_call_are_refused() -> None:
    """An answer from someone not in the call order is invalid."""
    with pytest.raises(Invalid):
        count(["a"], {"b": F}, [], 10, False)
