"""The attendance forecast (P1, R7): deputies who will come against quorum, warned the day before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orchestrator.preparation.attendance import Answer, Person, Reply, forecast

STARTS = datetime(2026, 5, 25, 7, 0, tzinfo=UTC)  # Monday 10:00 Kyiv
PEOPLE = [
    Person("m", "Мер", "mayor"),
    Person("s", "Секретар", "secretary"),
    *[Person(f"d{i}", f"Депутат {i}", "deputy") for i in range(5)],
]


def _replies(attend: int, absent: int = 0) -> dict[str, Reply]:
    ids = ["s", *[f"d{i}" for i in range(5)]]
    out = {pid: Reply(Answer.ATTEND, "", STARTS) for pid in ids[:attend]}
    out.update({pid: Reply(Answer.ABSENT, "хворію", STARTS) for pid in ids[attend:][:absent]})
    out["m"] = Reply(Answer.ATTEND, "", STARTS)  # the mayor is no deputy: never counted (R7)
    return out


@pytest.mark.parametrize(
    ("attend", "now", "warn"),
    [
        # total 10: quorum is 6; 5 «буду» is below it
        (5, datetime(2026, 5, 23, 21, 0, tzinfo=UTC), True),  # Sunday 00:00 Kyiv: the day before
        (5, datetime(2026, 5, 23, 20, 59, tzinfo=UTC), False),  # Saturday 23:59: too early
        (6, datetime(2026, 5, 24, 12, 0, tzinfo=UTC), False),  # exactly quorum
    ],
)
def test_warning_the_day_before_when_below_quorum(attend: int, now: datetime, warn: bool) -> None:
    """Fewer «буду» than quorum (more than half of the total composition) warns from 00:00
    Kyiv of the day before the sitting; exactly quorum does not warn."""
    people = [*PEOPLE, Person("d5", "Депутат 5", "deputy")]
    replies = _replies(5)
    if attend == 6:
        replies["d5"] = Reply(Answer.ATTEND, "", STARTS)
    got = forecast(people, replies, total_composition=10, starts_at=STARTS, now=now)
    assert (got.required, got.attend, got.warn) == (6, attend, warn)
    if warn:
        assert "«буду» відповіли 5 депутатів" in got.warning_uk


def test_counts_answers_and_the_unanswered() -> None:
    """«Буду», «не зможу» and the unanswered among deputies (the secretary is one)."""
    got = forecast(PEOPLE, _replies(2, 1), total_composition=10, starts_at=STARTS, now=STARTS)
    assert (got.attend, got.absent, got.unanswered) == (2, 1, 3)
    assert got.warn and got.below_quorum
    assert "відповіли 2 депутати" in got.warning_uk
