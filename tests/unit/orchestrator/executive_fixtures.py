"""An executive committee's meeting for the pure tests: 11 members (the mayor on leave, the first
deputy mayor presides, E1) and the general department (E7), in an in-memory journal."""

from __future__ import annotations

from typing import Any
from uuid import uuid5

from orchestrator.conduct.decide import Actor, decide_open_session
from orchestrator.kernel.journal import events as ev
from tests.unit.orchestrator.conduct_fixtures import SESSION, T0, Book

# 11 members (E4: the mayor one of them) and the general department (E7), not a member
COMMITTEE: list[tuple[str, str, str]] = [
    ("Бондар", "mayor", "deputy"),  # absent: the first deputy mayor presides (E1)
    ("Гнатюк", "first_deputy_mayor", "chair"),
    ("Дорошенко", "deputy_mayor", "deputy"),
    ("Ґалаґан", "secretary", "deputy"),
    ("Єременко", "member", "deputy"),
    ("Іщенко", "member", "deputy"),
    ("Їжак", "member", "deputy"),
    ("Коваленко", "member", "deputy"),
    ("Литвин", "member", "deputy"),
    ("Мельник", "member", "deputy"),
    ("Ярош", "member", "deputy"),
    ("Савчук", "general_department", "secretary"),
]


def pid(surname: str) -> str:
    return str(uuid5(SESSION, surname))


CHAIR = Actor(pid("Гнатюк"), "chair")
GENERAL_DEPARTMENT = Actor(pid("Савчук"), "secretary")


def member(surname: str) -> Actor:
    return Actor(pid(surname), "deputy")


def convened(total: int = 11) -> dict[str, Any]:
    return {
        "council": {"id": "c", "name": "Тестова міська рада", "convocation": 8},
        "body": {"kind": "executive_committee", "total_composition": total},
        "title": "Засідання виконавчого комітету",
        "number": 7,
        "starts_at": "2026-11-23T10:00:00.000000Z",
        "agenda": [
            {"title": f"Питання {i + 1}", "category": "urgent_budget", "secret_ballot": False}
            for i in range(2)
        ],
        "participants": [
            {"participant_id": pid(s), "surname": s, "given_name": "Ім'я", "kind": k, "role": r}
            for s, k, r in COMMITTEE
        ],
        "chair_participant_id": pid("Гнатюк"),
        "secretary_participant_id": pid("Савчук"),
        "chair_reason": "міський голова у відпустці",
    }


def meeting(present: list[str], total: int = 11) -> Book:
    book = Book()
    book.append(ev.SESSION_CONVENED, convened(total), "admin")
    book.append(
        ev.SESSION_ANNOUNCED,
        {"announced_at": "2026-11-22T09:00:00.000000Z", "starts_at": "2026-11-23T10:00:00.000000Z"},
    )
    book.commit(decide_open_session(book.state, CHAIR, T0))
    book.recording()
    for s in present:
        book.append(ev.PRESENCE_JOINED, {"participant_id": pid(s), "occupant_id": f"o-{s}"})
        book.append(  # E6: the general department calls back the personal phone
            ev.PARTICIPANT_IDENTIFIED,
            {"participant_id": pid(s), "confirmed_by": pid("Савчук"), "method": "phone_callback"},
        )
    return book


PRESENT = [s for s, k, _ in COMMITTEE if k != "mayor"]  # 10 of 11 members, the clerk
