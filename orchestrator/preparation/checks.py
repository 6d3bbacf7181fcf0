"""The technical check before the sitting (P1 «технічна перевірка»): each participant's latest
«Перевірка зв’язку» folded from the journal, and who has not passed it. Pure.

A check passes when the browser gave rada a camera picture and a microphone signal (the chair
identifies by sight and voice, R11) and the page joined the participant's test Jitsi room with a
test token (P1 "a short join"); the speaker is the participant's own word and is shown, not
required. A check journaled before the join existed has none and is judged without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import Event


def passed(camera: bool, microphone: bool, joined: bool | None = None) -> bool:
    return camera and microphone and joined is not False


@dataclass(frozen=True, slots=True)
class Row:
    participant_id: str
    name: str
    role: str
    checked_at: datetime | None
    camera: bool
    microphone: bool
    joined: bool | None
    passed: bool


def summary(events: Iterable[Event]) -> list[Row]:
    """Every participant on the list with their latest check (or none)."""
    people: dict[str, tuple[str, str]] = {}
    latest: dict[str, tuple[datetime, ev.ConnectionChecked]] = {}
    for e in events:
        if e.type == ev.SESSION_CONVENED:
            for p in ev.SessionConvened.from_payload(e.payload).participants:
                people[p.participant_id] = (p.name, p.role or "")
        elif e.type == ev.PARTICIPANT_ADDED:
            p = ev.ParticipantAdded.from_payload(e.payload).participant
            people[p.participant_id] = (p.name, p.role or "")
        elif e.type == ev.PARTICIPANT_REMOVED:
            people.pop(ev.ParticipantRemoved.from_payload(e.payload).participant_id, None)
        elif e.type == ev.CONNECTION_CHECKED:
            done = ev.ConnectionChecked.from_payload(e.payload)
            latest[done.participant_id] = (e.at, done)
    rows = []
    for pid, (name, role) in people.items():
        found = latest.get(pid)
        at: datetime | None = None if found is None else found[0]
        check: ev.ConnectionChecked | None = None if found is None else found[1]
        rows.append(
            Row(
                pid,
                name,
                role,
                at,
                bool(check and check.camera),
                bool(check and check.microphone),
                None if check is None else check.joined,
                bool(check and check.passed),
            )
        )
    return rows


def ingest_tests(events: Iterable[Event]) -> list[tuple[datetime, ev.IngestTested]]:
    """The recorder's ingest tests (P1), oldest first, with when each was journaled."""
    return [
        (e.at, ev.IngestTested.from_payload(e.payload))
        for e in events
        if e.type == ev.INGEST_TESTED
    ]
