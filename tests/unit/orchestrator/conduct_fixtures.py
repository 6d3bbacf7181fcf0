"""A small in-memory journal for the pure conduct tests: seal events, fold, decide, append."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from orchestrator.conduct.decide import Actor, NewEvent, Policy, react
from orchestrator.conduct.state import SessionState, apply, fold
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import GENESIS, Event, seal

SESSION = UUID("00000000-0000-4000-8000-000000000004")
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
POLICY = Policy(recording_required=True)

# (surname, given, patronymic, kind, role)
ROSTER: list[tuple[str, str, str, str, str]] = [
    ("Бондар", "Олег", "Іванович", "mayor", "chair"),
    ("Ґалаґан", "Ірина", "Петрівна", "secretary", "secretary"),
    ("Єременко", "Павло", "Сергійович", "deputy", "deputy"),
    ("Іщенко", "Марія", "Олегівна", "deputy", "deputy"),
    ("Їжак", "Тарас", "Андрійович", "deputy", "deputy"),
    ("Мʼясоїд", "Василь", "Петрович", "deputy", "deputy"),
    ("Андрієнко", "Ольга", "Миколаївна", "deputy", "deputy"),
    ("Гнатюк", "Роман", "Іванович", "deputy", "deputy"),
    ("Петренко-Лисенко", "Анна", "Юріївна", "deputy", "deputy"),
    ("Ярош", "Богдан", "Олексійович", "deputy", "deputy"),
    ("Коваль", "Гість", "", "guest", "guest"),
]


def pid(surname: str) -> str:
    return str(uuid5(SESSION, surname))


def convened_payload(total_composition: int = 10, agenda: int = 2) -> dict[str, Any]:
    participants = [
        {
            "participant_id": pid(s),
            "member_id": None,
            "surname": s,
            "given_name": g,
            "patronymic": p,
            "kind": k,
            "role": r,
        }
        for s, g, p, k, r in ROSTER
    ]
    return {
        "council": {
            "id": "c",
            "name": "Тестова міська рада",
            "convocation": 8,
            "total_composition": total_composition,
        },
        "title": "Позачергова сесія",
        "number": 42,
        "starts_at": "2026-11-23T10:00:00.000000Z",
        "agenda": [
            {"title": f"Питання {i + 1}", "category": "urgent_budget", "secret_ballot": False}
            for i in range(agenda)
        ],
        "participants": participants,
        "chair_participant_id": pid("Бондар"),
        "secretary_participant_id": pid("Ґалаґан"),
    }


CHAIR = Actor(pid("Бондар"), "chair")
SECRETARY = Actor(pid("Ґалаґан"), "secretary")


def deputy(surname: str) -> Actor:
    return Actor(pid(surname), "deputy")


@dataclass
class Book:
    """The journal of one session, kept in memory, and its folded state."""

    events: list[Event] = field(default_factory=list)
    state: SessionState = field(default_factory=lambda: SessionState(str(SESSION)))
    clock: datetime = T0

    def append(self, type_: str, payload: dict[str, Any], actor: str = "system") -> Event:
        self.clock += timedelta(seconds=1)
        prev = self.events[-1].hash if self.events else GENESIS
        event = seal(SESSION, len(self.events) + 1, self.clock, actor, type_, payload, prev)
        self.events.append(event)
        apply(self.state, event)
        return event

    def commit(self, new: Sequence[NewEvent]) -> list[NewEvent]:
        """Append decided events, then rada's reactions, as the service does."""
        for e in new:
            self.append(e.type, e.payload, e.actor)
        reactions = react(self.state)
        for e in reactions:
            self.append(e.type, e.payload, e.actor)
        return reactions

    def refold(self) -> SessionState:
        return fold(SESSION, self.events)

    # -- convenience acts of other packages --
    def join(self, surname: str, occupant: str | None = None) -> None:
        self.append(
            ev.PRESENCE_JOINED,
            {
                "participant_id": pid(surname),
                "occupant_id": occupant or f"occ-{surname}",
                "name": surname,
            },
        )

    def leave(self, surname: str, occupant: str | None = None) -> None:
        self.append(
            ev.PRESENCE_LEFT,
            {"participant_id": pid(surname), "occupant_id": occupant or f"occ-{surname}"},
        )

    def identify(self, surname: str) -> None:
        self.append(
            ev.PARTICIPANT_IDENTIFIED,
            {"participant_id": pid(surname), "confirmed_by": pid("Бондар")},
        )

    def recording(self, type_: str = ev.RECORDING_STARTED) -> None:
        self.append(type_, {"part": 1, "started_at": "x", "cause": "stall", "last_media_at": "x"})


def announced_book(total_composition: int = 10, agenda: int = 2) -> Book:
    book = Book()
    book.append(ev.SESSION_CONVENED, convened_payload(total_composition, agenda), "admin")
    book.append(
        ev.SESSION_ANNOUNCED,
        {"announced_at": "x", "starts_at": "y", "broadcast_url": "u", "notices_queued": 10},
    )
    return book


def live_book(surnames: Sequence[str] | None = None, total_composition: int = 10) -> Book:
    """Opened, recording, the given people (default: everyone but the guest) joined and
    identified."""
    from orchestrator.conduct.decide import decide_open_session

    book = announced_book(total_composition)
    book.commit(decide_open_session(book.state, CHAIR, T0))
    book.recording()
    for s in surnames if surnames is not None else [r[0] for r in ROSTER[:-1]]:
        book.join(s)
        book.identify(s)
    return book
