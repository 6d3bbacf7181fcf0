"""Counting a roll-call vote (R13, R16).

A decision is adopted by a majority of the council's **total composition** — never of those
present or of those voting. The mayor counts in the total composition, and the mayor's vote
counts, when the mayor takes part (R13): the base is ``total_composition + 1`` then. Adopted iff
``for > base / 2``, i.e. ``for >= base // 2 + 1``.

Every participant entitled to vote gets a named result, in the national open-data wording
("Поіменні результати голосування депутатів"): За, Проти, Утримався, Не голосував, Відсутній.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from orchestrator.errors import Invalid


class Answer(StrEnum):
    """What a called voter said (R16); ``NONE`` is the chair's skip (не голосував)."""

    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"
    NONE = "none"


SPOKEN_ANSWERS = frozenset({Answer.FOR, Answer.AGAINST, Answer.ABSTAIN})


class Result(StrEnum):
    """A voter's named result in the protocol and the open data."""

    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"
    NOT_VOTED = "not_voted"
    ABSENT = "absent"

    @property
    def uk(self) -> str:
        return RESULT_UK[self]


RESULT_UK: Mapping[Result, str] = {
    Result.FOR: "За",
    Result.AGAINST: "Проти",
    Result.ABSTAIN: "Утримався",
    Result.NOT_VOTED: "Не голосував",
    Result.ABSENT: "Відсутній",
}

_RESULT_OF_ANSWER: Mapping[Answer, Result] = {
    Answer.FOR: Result.FOR,
    Answer.AGAINST: Result.AGAINST,
    Answer.ABSTAIN: Result.ABSTAIN,
    Answer.NONE: Result.NOT_VOTED,
}


def required_majority(total_composition: int, mayor_taking_part: bool) -> int:
    """Votes "for" needed to adopt (R13)."""
    if total_composition < 1:
        raise Invalid("total composition must be at least 1", field="total_composition")
    base = total_composition + (1 if mayor_taking_part else 0)
    return base // 2 + 1


@dataclass(frozen=True, slots=True)
class Tally:
    for_: int
    against: int
    abstain: int
    not_voted: int
    absent: int
    required: int

    @property
    def adopted(self) -> bool:
        return self.for_ >= self.required

    def to_public(self) -> dict[str, int]:
        return {
            "for": self.for_,
            "against": self.against,
            "abstain": self.abstain,
            "not_voted": self.not_voted,
            "absent": self.absent,
        }


def named_results(
    order: Iterable[str], answers: Mapping[str, Answer], absent: Iterable[str]
) -> list[tuple[str, Result]]:
    """Every voter with a result: those called in call order (not answered yet = не голосував),
    then those not taking part (відсутній)."""
    called = [(pid, _RESULT_OF_ANSWER[answers.get(pid, Answer.NONE)]) for pid in order]
    return called + [(pid, Result.ABSENT) for pid in absent]


def count(
    order: Iterable[str],
    answers: Mapping[str, Answer],
    absent: Iterable[str],
    total_composition: int,
    mayor_taking_part: bool,
) -> Tally:
    """The tally of one vote. ``order`` is the roll call; ``absent`` those not taking part."""
    order = list(order)
    stray = set(answers) - set(order)
    if stray:
        raise Invalid(f"answers from voters not in the roll call: {sorted(stray)}")
    counts = dict.fromkeys(Result, 0)
    for _pid, result in named_results(order, answers, absent):
        counts[result] += 1
    return Tally(
        for_=counts[Result.FOR],
        against=counts[Result.AGAINST],
        abstain=counts[Result.ABSTAIN],
        not_voted=counts[Result.NOT_VOTED],
        absent=counts[Result.ABSENT],
        required=required_majority(total_composition, mayor_taking_part),
    )
