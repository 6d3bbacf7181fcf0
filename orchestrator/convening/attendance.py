"""Attendance: who on the participant list is in the call now, and whom the chair has
identified since they last came in (R7, R11). Pure: no I/O.

The one place this rule lives. The conduct fold (quorum, the roll call, the live state) and
identity (the chair's identify and ``/presence``) both advance a participant's attendance
through :func:`join`, :func:`leave`, :func:`identify` and :func:`remove`; identity folds just
the attendance events with :func:`fold`, conduct folds them inside its whole state. Both sit
above convening in the layers, so neither needs the other.

A participant may be in the call on several devices (occupants); identification lapses when
the last of them leaves (R11: whoever comes back is identified again, the person on the line
may differ) and when the participant is removed from the list (R6).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import Event

TYPES = (
    ev.PRESENCE_JOINED,
    ev.PRESENCE_LEFT,
    ev.PARTICIPANT_IDENTIFIED,
    ev.PARTICIPANT_REMOVED,
)
"""The journal events attendance is folded from (in journal order)."""


class Attending(Protocol):
    """Anything that holds a participant's attendance (conduct's ``ParticipantState`` too)."""

    occupants: set[str]
    identified: bool
    removed: bool


@dataclass(slots=True)
class Attendance:
    """One participant's attendance, when nothing else about them is needed."""

    occupants: set[str] = field(default_factory=set)
    identified: bool = False
    removed: bool = False

    @property
    def present(self) -> bool:
        return bool(self.occupants)

    @property
    def taking_part(self) -> bool:
        """In the call and identified by the chair (R7, R11)."""
        return self.present and self.identified and not self.removed


def join(who: Attending, occupant_id: str) -> None:
    who.occupants.add(occupant_id)


def leave(who: Attending, occupant_id: str) -> None:
    who.occupants.discard(occupant_id)
    if not who.occupants:
        # R11: whoever comes back must be identified again: the person on the line may differ.
        who.identified = False


def identify(who: Attending) -> None:
    who.identified = True


def remove(who: Attending) -> None:
    who.removed = True
    who.identified = False


def fold(events: Iterable[Event]) -> dict[str, Attendance]:
    """Attendance by participant id from the journal's :data:`TYPES` events, in order (other
    types are skipped; unknown occupants, with no participant id, are nobody's attendance)."""
    people: dict[str, Attendance] = {}
    for event in events:
        payload = ev.parse(event) if event.type in TYPES else None
        if isinstance(payload, ev.PresenceJoined) and payload.participant_id is not None:
            join(people.setdefault(payload.participant_id, Attendance()), payload.occupant_id)
        elif isinstance(payload, ev.PresenceLeft) and payload.participant_id is not None:
            leave(people.setdefault(payload.participant_id, Attendance()), payload.occupant_id)
        elif isinstance(payload, ev.ParticipantIdentified):
            identify(people.setdefault(payload.participant_id, Attendance()))
        elif isinstance(payload, ev.ParticipantRemoved):
            remove(people.setdefault(payload.participant_id, Attendance()))
    return people
