"""The session plan's rules (P1, P2): deadlines in Kyiv time, ticks from the journal, the title."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from uuid import UUID

import pytest

from orchestrator.kernel.errors import Invalid
from orchestrator.kernel.journal import chain as journal
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.kyivtime import KYIV
from orchestrator.kernel.ukrainian import council_genitive
from orchestrator.preparation import plan
from orchestrator.preparation.plan import MeasureSpec, State

BEFORE_2 = MeasureSpec("a", "Оприлюднити", "Відділ", -2, time(17, 0))
BEFORE_1 = MeasureSpec("b", "Перевірити", "Відділ", -1, time(15, 0))
AFTER_1 = MeasureSpec("c", "Підписати", "Відділ", 1, None, working_days=False)


@pytest.mark.parametrize(
    ("spec", "starts_kyiv", "expected_utc"),
    [
        # a Monday sitting: «1 working day before» is the Friday, 2 the Thursday
        (BEFORE_1, datetime(2026, 5, 25, 10, 0), datetime(2026, 5, 22, 12, 0)),
        (BEFORE_2, datetime(2026, 5, 25, 10, 0), datetime(2026, 5, 21, 14, 0)),
        # Monday 30 March 2026 follows the change to summer time (Sunday 29 March): the sitting
        # is at UTC+3, the Friday and Thursday deadlines still at UTC+2
        (BEFORE_1, datetime(2026, 3, 30, 10, 0), datetime(2026, 3, 27, 13, 0)),
        (BEFORE_2, datetime(2026, 3, 30, 10, 0), datetime(2026, 3, 26, 15, 0)),
        # Monday 26 October 2026 follows the change back (Sunday 25 October): the Friday is
        # still summer time
        (BEFORE_1, datetime(2026, 10, 26, 10, 0), datetime(2026, 10, 23, 12, 0)),
        # calendar days at the sitting's own hour, across the change: 10:00 both days
        (AFTER_1, datetime(2026, 3, 28, 10, 0), datetime(2026, 3, 29, 7, 0)),
        # a Wednesday sitting: no weekend in between
        (BEFORE_2, datetime(2026, 5, 20, 10, 0), datetime(2026, 5, 18, 14, 0)),
    ],
)
def test_deadline_in_kyiv_time_across_weekends_and_dst(
    spec: MeasureSpec, starts_kyiv: datetime, expected_utc: datetime
) -> None:
    """A deadline keeps its Kyiv wall-clock time across a weekend and a change of summer
    time; working days skip Saturday and Sunday (P1)."""
    starts = starts_kyiv.replace(tzinfo=KYIV)
    got = plan.deadline(spec, starts)
    assert got.astimezone(UTC) == expected_utc.replace(tzinfo=UTC)
    assert got.astimezone(KYIV).time() == (spec.at or starts_kyiv.time())


def _events(*typed: tuple[str, dict[str, Any], str]) -> list[journal.Event]:
    out, prev = [], journal.GENESIS
    at = datetime(2026, 5, 20, 8, 0, tzinfo=UTC)
    sid = UUID(int=1)
    for seq, (type_, payload, actor) in enumerate(typed, start=1):
        e = journal.seal(sid, seq, at, actor, type_, payload, prev)
        out.append(e)
        prev = e.hash
    return out


CONVENED = {
    "title": "Сесія",
    "participants": [
        {"participant_id": "d1", "kind": "deputy", "role": "deputy"},
        {"participant_id": "d2", "kind": "secretary", "role": "secretary"},
        {"participant_id": "m", "kind": "mayor", "role": "chair"},
    ],
}


def test_rada_ticks_its_own_measures_from_the_journal() -> None:
    """Announcing ticks «announce» and «notify»; attendance is ticked when every deputy (the
    secretary included, not the mayor) has answered; the office ticks the rest (P1)."""
    events = _events(
        (ev.SESSION_CONVENED, CONVENED, "admin"),
        (ev.SESSION_ANNOUNCED, {}, "admin"),
        (ev.ATTENDANCE_ANSWERED, {"participant_id": "d1", "answer": "attend"}, "participant:d1"),
    )
    ticks = plan.journal_ticks(events)
    assert {"announce", "notify"} <= set(ticks)
    assert "attendance" not in ticks
    events = _events(
        *[(e.type, e.payload, e.actor) for e in events],
        (ev.ATTENDANCE_ANSWERED, {"participant_id": "d2", "answer": "absent"}, "participant:d2"),
        (ev.PLAN_MEASURE_DONE, {"measure": "packets"}, "participant:s"),
    )
    ticks = plan.journal_ticks(events)
    assert "attendance" in ticks and ticks["attendance"].by == "rada"
    assert ticks["packets"].by == "participant:s"


def test_distribution_is_ticked_when_every_executor_of_every_signed_decision_got_it() -> None:
    """Signing ticks «sign» once every registered decision is signed; «distribute» waits for a
    sent delivery to every executor on each list (S3, S4)."""
    base = [
        (ev.SESSION_CONVENED, CONVENED, "admin"),
        (ev.DECISION_REGISTERED, {"decision_id": "x", "item": 0}, "admin"),
        (ev.DECISION_SIGNED, {"decision_id": "x", "executors": 2}, "participant:m"),
        (ev.DECISION_DELIVERED, {"decision_id": "x", "executor": 1, "status": "sent"}, "rada"),
        (ev.DECISION_DELIVERED, {"decision_id": "x", "executor": 2, "status": "bounced"}, "rada"),
    ]
    ticks = plan.journal_ticks(_events(*base))
    assert "sign" in ticks and "distribute" not in ticks
    done = [*base, (ev.DECISION_DELIVERED, {"decision_id": "x", "executor": 2}, "rada")]
    assert "distribute" in plan.journal_ticks(_events(*done))


def test_lines_mark_overdue_and_done() -> None:
    """A measure past its deadline and not done is overdue; a ticked one is done (P1)."""
    starts = datetime(2026, 5, 25, 7, 0, tzinfo=UTC)
    now = datetime(2026, 5, 22, 13, 0, tzinfo=UTC)  # Friday 16:00 Kyiv: after 15:00
    ticks = {"a": plan.Tick(now, "admin")}
    lines = plan.lines((BEFORE_2, BEFORE_1, AFTER_1), starts, ticks, now)
    assert [x.state for x in lines] == [State.DONE, State.OVERDUE, State.DUE]
    assert lines[1].deadline_uk == "до 15:00 22 травня 2026 р."


def test_template_round_trips_and_refuses_bad_measures() -> None:
    """The council's template reads back as it was written; a bad time or key is refused."""
    raw = [m.to_json() for m in plan.DEFAULT_TEMPLATE]
    assert plan.parse_template(raw) == plan.DEFAULT_TEMPLATE
    for bad in (
        [{**raw[0], "at": "25:00"}],
        [{**raw[0], "key": "Bad Key"}],
        [{**raw[0], "offset_days": "1"}],
        [raw[0], raw[0]],
        [{**raw[0], "auto": "nothing"}],
        [],
    ):
        with pytest.raises(Invalid):
            plan.parse_template(bad)


def test_title_has_the_roman_numeral_and_the_convocation_ordinal() -> None:
    """P2: «LXXXIII (позачергової) сесії Слов’янської міської ради сьомого скликання»."""
    title = plan.title_uk(83, "Позачергова сесія", "Слов’янська міська рада", 7)
    assert title.endswith(
        "LXXXIII (позачергової) сесії Слов’янської міської ради сьомого скликання"
    )
    assert council_genitive("Коростишівська міська рада") == "Коростишівської міської ради"
    assert council_genitive("Рада громади") is None
