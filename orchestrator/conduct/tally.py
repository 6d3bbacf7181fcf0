"""Counting a vote (R13, R16; E4, E7 for the executive committee).

A decision is adopted by a majority of the body's **total composition** — never of those
present or of those voting. The formula is the body's rule set (``convening.bodies``): for the
council the mayor counts in the total composition, and the mayor's vote counts, when the mayor
takes part (R13): the base is ``total_composition + 1`` then; for the executive committee the
mayor is one of its total composition (E4). Adopted iff ``for > base / 2``, i.e.
``for >= base // 2 + 1``.

Every participant entitled to vote gets a named result, in the national open-data wording
("Поіменні результати голосування депутатів"): За, Проти, Утримався, Не голосував, Відсутній.
:data:`RESULT_UK` is rada's one table of those names: the protocol, the open data and the
consoles all print them from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from orchestrator.convening.bodies import COUNCIL, RuleSet
from orchestrator.kernel.errors import Invalid


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

    @property
    def uk_in_text(self) -> str:
        """The name inside a sentence or a table cell, in lower case, as the protocol prints it."""
        return RESULT_UK[self].lower()


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

ABSENT = "absent"
"""The protocol's roll-call word for a voter not taking part (next to the :class:`Answer` values)."""

ROLL_CALL_ANSWERS = frozenset({*Answer, ABSENT})
"""What a protocol roll-call row may say: an :class:`Answer` value or :data:`ABSENT`."""


def spoken_answers_uk() -> list[tuple[Answer, str]]:
    """The answers a voter can give (R16) with their Ukrainian names, in the order of the
    buttons on the deputy's page and the secretary's console."""
    return [(a, _RESULT_OF_ANSWER[a].uk) for a in Answer if a in SPOKEN_ANSWERS]


def result_of(answer: str) -> Result:
    """The named result of a roll-call word: an :class:`Answer` value or :data:`ABSENT`."""
    if answer == ABSENT:
        return Result.ABSENT
    return _RESULT_OF_ANSWER[Answer(answer)]


def required_majority(
    total_composition: int, mayor_taking_part: bool, rules: RuleSet = COUNCIL
) -> int:
    """Votes "for" needed to adopt (R13 for the council, E4 for the executive committee)."""
    return rules.required_majority(total_composition, mayor_taking_part)


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

    def as_dict(self) -> dict[str, int]:
        """The five counts under the keys of ``vote_closed``, the public state and the protocol."""
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
    rules: RuleSet = COUNCIL,
) -> Tally:
    """The tally of one vote. ``order`` is the roll call; ``absent`` those not taking part."""
    order = list(order)
    stray = set(answers) - set(order)
    if stray:
        raise Invalid(f"answers from voters not in the roll call: {sorted(stray)}")
    return tally_of(
        (result for _pid, result in named_results(order, answers, absent)),
        required_majority(total_composition, mayor_taking_part, rules),
    )


def tally_of(results: Iterable[Result], required: int) -> Tally:
    """Count named results against the majority ``required`` (R13)."""
    counts = dict.fromkeys(Result, 0)
    for result in results:
        counts[result] += 1
    return Tally(
        for_=counts[Result.FOR],
        against=counts[Result.AGAINST],
        abstain=counts[Result.ABSTAIN],
        not_voted=counts[Result.NOT_VOTED],
        absent=counts[Result.ABSENT],
        required=required,
    )
