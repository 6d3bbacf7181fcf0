"""A synthetic but realistic session journal, sealed with ``journal.seal``, for tests and bench.

:func:`play_session` plays a whole remote plenary session the way the conduct and recording
packages journal it: convened with a council of N seats and Ukrainian names, announced two days
ahead (R3), opened, every present participant identified by the chair (R11), quorum (R7), items
with R1 categories, a discussion limit (R14), remarks (R19), an amendment with its own vote,
roll-call votes in Ukrainian alphabetical order (R15) answered by the deputy or entered by the
secretary (R16, R17), a skipped deputy, absentees, a technical break for a lost recording and
its end (R10), recording parts closed, the archive ready, the session closed.

The expected results are kept independently of the protocol fold (``PlayedSession.expected``),
so tests compare the protocol against what was played, not against itself.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import GENESIS, Event, format_time, seal

UK_ALPHABET = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
_RANK = {ch: i for i, ch in enumerate(UK_ALPHABET)}

SURNAMES = [
    "Шевченко",
    "Бондаренко",
    "Ковальчук",
    "Ґудзь",
    "Ярош",
    "Єременко",
    "Іваненко",
    "Їжакевич",
    "Антоненко",
    "Мельник",
    "Ткаченко",
    "Кравченко",
    "Олійник",
    "Шевчук",
    "Поліщук",
    "Лисенко",
    "Гончаренко",
    "Руденко",
    "Савченко",
    "Петренко",
    "Захарченко",
    "Дмитренко",
    "Цимбал",
    "Юрченко",
    "Федоренко",
    "Харченко",
    "Чорновол",
    "Щербак",
    "Вакуленко",
    "Уманець",
]
GIVEN = [
    ("Олена", "Петрівна"),
    ("Андрій", "Іванович"),
    ("Ірина", "Миколаївна"),
    ("Богдан", "Олегович"),
    ("Ганна", "Василівна"),
    ("Тарас", "Григорович"),
    ("Оксана", "Юріївна"),
    ("Євген", "Степанович"),
    ("Марія", "Андріївна"),
    ("Юрій", "Богданович"),
]
ITEM_TITLES = [
    (
        "Про внесення змін до бюджету Коростишівської міської територіальної громади на 2026 рік",
        "urgent_budget",
    ),
    ("Про виділення коштів на відновлення покрівлі ліцею після буревію", "emergency_works"),
    ("Про заходи із запобігання поширенню гострої респіраторної хвороби", "severe_emergency"),
    (
        "Про делегування повноважень виконавчому комітету на час надзвичайної ситуації",
        "related_powers",
    ),
    ("Про порядок денний дистанційного засідання", "procedural"),
]


def uk_key(surname: str, given: str = "") -> list[int]:
    """R15: Ukrainian alphabetical order (letters only, apostrophes ignored)."""
    text = (surname + " " + given).lower()
    return [_RANK.get(ch, len(UK_ALPHABET) + ord(ch)) for ch in text if ch.isalpha()]


@dataclass(frozen=True)
class PartFile:
    file: str
    size: int
    sha256: str


PartWriter = Callable[[int, int], PartFile]
"""(part number, duration in ms) -> the file the recorder wrote."""


def manifest_bytes(
    session_id: UUID, entries: list[dict[str, Any]], files: Mapping[str, bytes] | None = None
) -> bytes:
    """The manifest as the recorder writes it: {session_id, parts: [entry], files: [entry]}
    (``files``: the recorder's own archive files, e.g. its playlist, with size and SHA-256)."""
    body = {
        "format": "rada-recording-manifest/1",
        "session_id": str(session_id),
        "parts": entries,
        "files": [
            {"file": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in sorted((files or {}).items())
        ],
    }
    return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")


class JournalBuilder:
    """Seals events one after another, each ``step`` after the previous unless told when."""

    def __init__(self, session_id: UUID, start: datetime, step: timedelta) -> None:
        self.session_id = session_id
        self.now = start
        self.step = step
        self.events: list[Event] = []

    def add(
        self,
        type_: str,
        payload: Mapping[str, Any],
        *,
        actor: str = "system",
        at: datetime | None = None,
        after: timedelta | None = None,
    ) -> Event:
        if at is not None:
            self.now = at
        else:
            self.now += self.step if after is None else after
        prev = self.events[-1].hash if self.events else GENESIS
        event = seal(self.session_id, len(self.events) + 1, self.now, actor, type_, payload, prev)
        self.events.append(event)
        return event


@dataclass
class PlayedSession:
    session_id: UUID
    events: list[Event]
    people: dict[str, dict[str, Any]]
    chair: str
    secretary: str
    deputies: list[str]  # present deputies and the secretary, R15 order
    absent: list[str]
    items: int
    total_composition: int
    # vote_id -> {"answers": {pid: answer}, "sources": {pid: source}, "required", "adopted"}
    expected: dict[str, dict[str, Any]] = field(default_factory=dict)
    manifest: bytes = b""
    part_contents: dict[str, bytes] = field(default_factory=dict)
    part_files: list[PartFile] = field(default_factory=list)
    recorder_files: dict[str, bytes] = field(default_factory=dict)

    def name(self, pid: str) -> str:
        p = self.people[pid]
        return f"{p['surname']} {p['given_name']} {p['patronymic']}"


def _box(kind: bytes, body: bytes) -> bytes:
    return (8 + len(body)).to_bytes(4, "big") + kind + body


def synthetic_parts(played: dict[str, bytes]) -> PartWriter:
    """A writer that makes small deterministic byte strings in place of media files."""

    def write(part: int, duration_ms: int) -> PartFile:
        name = f"part-{part:04d}.mp4"
        # shaped as a fragmented MP4 (init section, then fragments), as rada verify checks
        body = (f"part {part} {duration_ms} ".encode() * 400)[: 4096 + part]
        data = _box(b"ftyp", b"iso6\0\0\0\0") + _box(b"moov", bytes(32))
        for i in range(0, len(body), 1024):
            data += _box(b"moof", bytes(16)) + _box(b"mdat", body[i : i + 1024])
        played[name] = data
        return PartFile(name, len(data), hashlib.sha256(data).hexdigest())

    return write


def play_session(
    *,
    seats: int = 26,
    items: int = 3,
    absentees: int = 2,
    start: datetime = datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
    step: timedelta = timedelta(seconds=20),
    part_writer: PartWriter | None = None,
    seed: int = 7,
    council_name: str = "Коростишівська міська рада",
    recorder_files: Mapping[str, bytes] | None = None,
) -> PlayedSession:
    """Play one remote plenary session into a sealed journal."""
    rng = random.Random(seed)
    session_id = UUID(int=rng.getrandbits(128))
    b = JournalBuilder(session_id, start - timedelta(days=3), step)
    contents: dict[str, bytes] = {}
    writer = part_writer or synthetic_parts(contents)

    def person(kind: str, k: int) -> dict[str, Any]:
        surname = SURNAMES[k % len(SURNAMES)]
        given, patronymic = GIVEN[(k // len(SURNAMES) + k) % len(GIVEN)]
        return {
            "participant_id": str(UUID(int=rng.getrandbits(128))),
            "member_id": str(UUID(int=rng.getrandbits(128))) if kind != "guest" else None,
            "surname": surname,
            "given_name": given,
            "patronymic": patronymic,
            "kind": kind,
            "role": {"mayor": "chair"}.get(kind, kind),
        }

    mayor = person("mayor", 10_000)
    mayor.update(surname="Войтенко", given_name="Іван", patronymic="Михайлович")
    deputies = [person("deputy" if k else "secretary", k) for k in range(seats)]
    guest = person("guest", 20_000)
    guest.update(surname="Прокопенко", given_name="Лариса", patronymic="Іванівна")
    everyone = [mayor, *deputies, guest]
    people = {p["participant_id"]: p for p in everyone}
    secretary = deputies[0]["participant_id"]
    chair = mayor["participant_id"]
    chair_actor = f"participant:{chair}"
    absent_ids = [d["participant_id"] for d in deputies[-absentees:]] if absentees else []
    present = [d for d in deputies if d["participant_id"] not in absent_ids]
    order_people = sorted([mayor, *present], key=lambda p: uk_key(p["surname"], p["given_name"]))
    order = [p["participant_id"] for p in order_people]
    agenda = [
        {
            "title": ITEM_TITLES[i % len(ITEM_TITLES)][0]
            + ("" if i < len(ITEM_TITLES) else f" (№ {i + 1})"),
            "category": ITEM_TITLES[i % len(ITEM_TITLES)][1],
            "secret_ballot": False,
            "documents": [],
        }
        for i in range(items)
    ]
    played = PlayedSession(
        session_id,
        b.events,
        people,
        chair,
        secretary,
        [p["participant_id"] for p in order_people if p["kind"] != "mayor"],
        absent_ids,
        items,
        seats,
        part_contents=contents,
    )

    b.add(
        ev.SESSION_CONVENED,
        {
            "council": {
                "id": str(UUID(int=1)),
                "name": council_name,
                "convocation": "VIII",
                "total_composition": seats,
            },
            "title": "Позачергова дистанційна сесія",
            "number": 83,
            "starts_at": format_time(start),
            "planned_end": format_time(start + timedelta(hours=3)),
            "room": "korostyshiv-83",
            "broadcast_url": "https://rada.example/live/83",
            "agenda": agenda,
            "participants": everyone,
            "chair_participant_id": chair,
            "secretary_participant_id": secretary,
        },
        actor="admin",
    )
    b.add(
        ev.DOCUMENT_ATTACHED,
        {
            "item": 0,
            "document_id": "d1",
            "filename": "proekt-rishennia-1.pdf",
            "content_type": "application/pdf",
            "size": 12345,
            "sha256": "ab" * 32,
        },
        actor="admin",
    )
    b.add(
        ev.SESSION_ANNOUNCED,
        {
            "announced_at": format_time(start - timedelta(days=2)),
            "starts_at": format_time(start),
            "broadcast_url": "https://rada.example/live/83",
            "notices_queued": len(everyone) - 1,
        },
        actor="admin",
        at=start - timedelta(days=2),
    )

    # the recording runs from the start; parts: [started_at, part]
    part_no = 1
    part_started = start
    entries: list[dict[str, Any]] = []
    b.add(
        ev.RECORDING_STARTED,
        {"part": 1, "started_at": format_time(start)},
        actor="recorder",
        at=start,
    )

    def close_part(at: datetime) -> None:
        duration = int((at - part_started).total_seconds() * 1000)
        f = writer(part_no, duration)
        played.part_files.append(f)
        entry = {
            "part": part_no,
            "file": f.file,
            "started_at": format_time(part_started),
            "duration_ms": duration,
            "size": f.size,
            "sha256": f.sha256,
        }
        entries.append(entry)
        b.add(ev.PART_CLOSED, entry, actor="recorder", at=at)

    for p in [mayor, *present, guest]:
        b.add(
            ev.PRESENCE_JOINED,
            {
                "participant_id": p["participant_id"],
                "occupant_id": p["participant_id"][:8],
                "name": f"{p['surname']} {p['given_name']}",
            },
            actor="jitsi",
            after=timedelta(seconds=1),
        )
    b.add(ev.SESSION_OPENED, {"by": chair}, actor=chair_actor)
    for p in [mayor, *present, guest]:
        b.add(
            ev.PARTICIPANT_IDENTIFIED,
            {"participant_id": p["participant_id"], "confirmed_by": chair},
            actor=chair_actor,
            after=timedelta(seconds=3),
        )
    b.add(
        ev.SESSION_COMPETENT,
        {"present_deputies": len(present), "total_composition": seats, "quorum": seats // 2 + 1},
        actor=chair_actor,
    )

    required = (seats + 1) // 2 + 1  # R13: the mayor takes part and counts
    answer_choices = ["for", "against", "abstain"]

    def roll_call(
        vote_id: str, item: int, amendment: int | None, adopt: bool, skip: str | None
    ) -> None:
        b.add(
            ev.VOTE_OPENED,
            {
                "vote_id": vote_id,
                "item": item,
                "amendment": amendment,
                "order": order,
                "absent": absent_ids,
                "total_composition": seats,
                "mayor_taking_part": True,
                "required": required,
            },
            actor=chair_actor,
        )
        answers: dict[str, str] = {}
        sources: dict[str, str] = {}
        weights = [8, 1, 1] if adopt else [2, 6, 2]
        for position, pid in enumerate(order, start=1):
            b.add(
                ev.DEPUTY_CALLED,
                {"vote_id": vote_id, "participant_id": pid, "position": position},
                actor=chair_actor,
                after=timedelta(seconds=2),
            )
            if pid == skip:
                b.add(
                    ev.DEPUTY_SKIPPED,
                    {"vote_id": vote_id, "participant_id": pid},
                    actor=chair_actor,
                    after=timedelta(seconds=5),
                )
                answers[pid] = "none"
                continue
            answer = rng.choices(answer_choices, weights)[0]
            source = "deputy" if position % 3 else "secretary"
            actor = f"participant:{pid}" if source == "deputy" else f"participant:{secretary}"
            b.add(
                ev.BALLOT_RECORDED,
                {"vote_id": vote_id, "participant_id": pid, "answer": answer, "source": source},
                actor=actor,
                after=timedelta(seconds=3),
            )
            answers[pid] = answer
            sources[pid] = source
        counts = {a: list(answers.values()).count(a) for a in ("for", "against", "abstain", "none")}
        adopted = counts["for"] >= required
        b.add(
            ev.VOTE_CLOSED,
            {
                "vote_id": vote_id,
                "for": counts["for"],
                "against": counts["against"],
                "abstain": counts["abstain"],
                "not_voted": counts["none"],
                "absent": len(absent_ids),
                "required": required,
                "adopted": adopted,
            },
            actor=chair_actor,
        )
        played.expected[vote_id] = {
            "answers": answers,
            "sources": sources,
            "required": required,
            "adopted": adopted,
            "item": item,
            "amendment": amendment,
        }

    skipped = order[len(order) // 2]
    for i in range(items):
        b.add(ev.ITEM_OPENED, {"item": i}, actor=chair_actor)
        if i == 0:
            b.add(
                ev.DISCUSSION_LIMITED,
                {"item": 0, "scope": "speaker", "seconds": 180},
                actor=chair_actor,
            )
        b.add(
            ev.REMARK_RECORDED,
            {
                "item": i,
                "by_participant_id": present[1 % len(present)]["participant_id"],
                "text": f"Пропоную уточнити суму видатків у пункті {i + 1}.",
            },
            actor=f"participant:{secretary}",
            after=timedelta(minutes=2),
        )
        if i == 1:
            # R10: the recorder reports the stream lost; a technical break until it resumes
            lost_at = b.now + step
            b.add(
                ev.RECORDING_LOST,
                {"part": part_no, "cause": "stall", "last_media_at": format_time(lost_at)},
                actor="recorder",
                at=lost_at,
            )
            close_part(lost_at)
            b.add(
                ev.BREAK_DECLARED,
                {
                    "cause": "recording_lost",
                    "reason": "запис трансляції перервався",
                    "by": chair_actor,  # conduct names the actor: "participant:<id>"
                },
                actor=chair_actor,
                after=timedelta(seconds=1),
            )
            part_no += 1
            part_started = b.now + timedelta(minutes=4)
            b.add(
                ev.RECORDING_RESUMED,
                {"part": part_no, "started_at": format_time(part_started)},
                actor="recorder",
                at=part_started,
            )
            b.add(ev.BREAK_ENDED, {"by": chair}, actor=chair_actor)
            b.add(
                ev.AMENDMENT_PROPOSED,
                {
                    "item": 1,
                    "amendment": 0,  # 0-based, as conduct journals it
                    "by_participant_id": present[2]["participant_id"],
                    "text": "Збільшити видатки на ремонт покрівлі на 150 000 грн.",
                },
                actor=f"participant:{secretary}",
            )
            roll_call("1.a0", 1, 0, adopt=True, skip=None)
        roll_call(str(i), i, None, adopt=(i % 3 != 2), skip=skipped if i == 0 else None)
        b.add(ev.ITEM_CLOSED, {"item": i}, actor=chair_actor)

    b.add(ev.SESSION_CLOSED, {"by": chair}, actor=chair_actor)
    close_part(b.now + timedelta(seconds=2))
    played.recorder_files = dict(recorder_files or {})
    played.manifest = manifest_bytes(session_id, entries, played.recorder_files)
    total_ms = sum(int(e["duration_ms"]) for e in entries)
    b.add(
        ev.ARCHIVE_READY,
        {
            "manifest": "manifest.json",
            "manifest_sha256": hashlib.sha256(played.manifest).hexdigest(),
            "parts": len(entries),
            "duration_ms": total_ms,
        },
        actor="recorder",
    )
    return played
