"""The attendance forecast (P1 "expected attendance", R7). Pure.

Each deputy answers from their personal link «буду» or «не зможу» (with a reason). The office
and the chair see how many deputies said they will come against the quorum (more than half of
the council's total composition, R7; the mayor is not a deputy) and, from the day before the
sitting (Kyiv calendar day), a warning when the deputies who will come are fewer than quorum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from orchestrator.conduct.quorum import required_for_quorum
from orchestrator.convening.roster import DEPUTY_KINDS
from orchestrator.kernel.kyivtime import KYIV
from orchestrator.kernel.ukrainian import plural, plural_form


class Answer(StrEnum):
    ATTEND = "attend"  # «буду»
    ABSENT = "absent"  # «не зможу»


ANSWER_UK = {Answer.ATTEND: "буду", Answer.ABSENT: "не зможу"}


@dataclass(frozen=True, slots=True)
class Person:
    participant_id: str
    name: str
    kind: str  # mayor | deputy | secretary | guest


@dataclass(frozen=True, slots=True)
class Reply:
    answer: Answer
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Forecast:
    total_composition: int
    required: int
    attend: int  # deputies (R7) who said «буду»
    absent: int
    unanswered: int
    warn: bool  # the day before (or later) and fewer than quorum said «буду»
    warning_uk: str

    @property
    def below_quorum(self) -> bool:
        return self.attend < self.required


def warning_from(starts_at: datetime) -> datetime:
    """The warning shows from the start (00:00 Kyiv) of the day before the sitting."""
    day = starts_at.astimezone(KYIV).date() - timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=KYIV)


def forecast(
    people: Iterable[Person],
    replies: Mapping[str, Reply],
    *,
    total_composition: int,
    starts_at: datetime,
    now: datetime,
) -> Forecast:
    """How many deputies will come, against quorum; a warning from the day before."""
    deputies = [p for p in people if p.kind in DEPUTY_KINDS]
    attend = sum(1 for p in deputies if _answer(replies, p) is Answer.ATTEND)
    absent = sum(1 for p in deputies if _answer(replies, p) is Answer.ABSENT)
    required = required_for_quorum(total_composition)
    warn = attend < required and now >= warning_from(starts_at)
    words = ""
    if warn:
        words = (
            f"Кворуму може не бути: «буду» "
            f"{plural_form(attend, 'відповів', 'відповіли', 'відповіли')} "
            f"{plural(attend, 'депутат', 'депутати', 'депутатів')}, а для кворуму потрібно "
            f"щонайменше {required} з {total_composition} (більше половини складу ради)."
        )
    return Forecast(
        total_composition,
        required,
        attend,
        absent,
        len(deputies) - attend - absent,
        warn,
        words,
    )


def _answer(replies: Mapping[str, Reply], p: Person) -> Answer | None:
    reply = replies.get(p.participant_id)
    return None if reply is None else reply.answer
