"""The attendance rule (R7, R11) that identity and the conduct fold share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from orchestrator.conduct import state as conduct_state
from orchestrator.convening import attendance
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import GENESIS, Event, seal

A, B = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
AT = datetime(2030, 1, 1, tzinfo=UTC)


def chain(*steps: tuple[str, dict[str, Any]]) -> list[Event]:
    sid = uuid4()
    out: list[Event] = []
    prev = GENESIS
    for seq, (type_, payload) in enumerate(steps, start=1):
        e = seal(sid, seq, AT, "test", type_, payload, prev)
        out.append(e)
        prev = e.hash
    return out


def convened() -> tuple[str, dict[str, Any]]:
    people = [
        {"participant_id": pid, "surname": s, "given_name": "І", "patronymic": "", "kind": "deputy",
         "role": "deputy"}
        for pid, s in ((A, "Ааа"), (B, "Ббб"))
    ]  # fmt: skip
    return ev.SESSION_CONVENED, {
        "council": {"name": "Рада", "total_composition": 3},
        "title": "Сесія",
        "number": 1,
        "starts_at": "2030-01-01T10:00:00.000000Z",
        "agenda": [],
        "participants": people,
    }


def joined(pid: str | None, occ: str) -> tuple[str, dict[str, Any]]:
    return ev.PRESENCE_JOINED, {"participant_id": pid, "occupant_id": occ, "name": ""}


def left(pid: str | None, occ: str) -> tuple[str, dict[str, Any]]:
    return ev.PRESENCE_LEFT, {"participant_id": pid, "occupant_id": occ}


def identified(pid: str) -> tuple[str, dict[str, Any]]:
    return ev.PARTICIPANT_IDENTIFIED, {"participant_id": pid, "confirmed_by": B}


CASES = {
    "joined": [joined(A, "a1")],
    "identified": [joined(A, "a1"), identified(A)],
    "left lapses": [joined(A, "a1"), identified(A), left(A, "a1")],
    "rejoined, not yet again": [joined(A, "a1"), identified(A), left(A, "a1"), joined(A, "a1")],
    "rejoined and identified again": [
        joined(A, "a1"), identified(A), left(A, "a1"), joined(A, "a1"), identified(A)
    ],
    "second device left": [joined(A, "a1"), joined(A, "a2"), identified(A), left(A, "a2")],
    "both devices left": [
        joined(A, "a1"), joined(A, "a2"), identified(A), left(A, "a2"), left(A, "a1")
    ],
    "removed": [
        joined(A, "a1"), identified(A),
        (ev.PARTICIPANT_REMOVED, {"participant_id": A, "reason": "r"}),
    ],
    "unknown occupants are nobody": [joined(None, "x"), left(None, "x"), joined(B, "b")],
}  # fmt: skip

EXPECTED = {  # A's (present, identified) after each case
    "joined": (True, False),
    "identified": (True, True),
    "left lapses": (False, False),
    "rejoined, not yet again": (True, False),
    "rejoined and identified again": (True, True),
    "second device left": (True, True),
    "both devices left": (False, False),
    "removed": (True, False),
    "unknown occupants are nobody": (False, False),
}


@pytest.mark.parametrize("case", CASES)
def test_identity_and_conduct_read_the_same_attendance(case: str) -> None:
    """attendance.fold (identity) and the conduct fold agree on presence and identification."""
    events = chain(convened(), *CASES[case])
    mine = attendance.fold(events).get(A, attendance.Attendance())
    assert (mine.present, mine.identified) == EXPECTED[case]
    state = conduct_state.fold(events[0].session_id, events)
    for pid, part in state.participants.items():
        got = attendance.fold(events).get(pid, attendance.Attendance())
        assert (part.present, part.identified, part.removed) == (
            got.present,
            got.identified,
            got.removed,
        )
