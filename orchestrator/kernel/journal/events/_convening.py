"""Convening: the session called, its agenda and participant list (R1–R6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Final

from orchestrator.kernel.journal.events._payload import EventPayload, Payload

SESSION_CONVENED: Final = "session_convened"
"""{council: {id, name, convocation, total_composition, oblast, place, emblem|null,
citations}, body: {kind: council|executive_committee, total_composition}|absent,
title, number, starts_at, planned_end,
room, broadcast_url, agenda: [{title, category, description, secret_ballot: false,
documents: []}], participants: [{participant_id, member_id|null, surname, given_name,
patronymic, kind: mayor|deputy|secretary|guest, role: chair|secretary|deputy|guest,
organisation}], chair_participant_id, secretary_participant_id, chair_reason|null}

``kind`` is the person's standing in the council (the secretary is a deputy, R7; the mayor is
not a deputy but votes when taking part, R13; guests never vote). ``role`` is what they may do
in this session (orchestrator.auth.Role): the presiding person is ``chair`` (R5: the mayor, or a
stand-in with ``chair_reason``), the council secretary is ``secretary`` (R17), other deputies and a
mayor who does not preside are ``deputy``, invited guests ``guest``."""

DOCUMENT_ATTACHED: Final = "document_attached"
"""{item, document_id, filename, content_type, size, sha256}"""

SESSION_ANNOUNCED: Final = "session_announced"
"""{announced_at, starts_at, broadcast_url, notices_queued: int}"""

PARTICIPANT_ADDED: Final = "participant_added"
"""{participant: {...as in session_convened...}, reason}"""

PARTICIPANT_REMOVED: Final = "participant_removed"
"""{participant_id, reason}"""

SESSION_CANCELLED: Final = "session_cancelled"
"""{reason}"""


@dataclass(frozen=True, slots=True)
class Council(Payload):
    id: str = ""
    name: str = ""
    convocation: int | str = ""  # convening writes an integer; older journals a numeral
    total_composition: int | None = None
    # the protocol's heading (absent from older journals): as the council prints them
    oblast: str = ""  # «Житомирської області»
    place: str = ""  # «м. Коростишів»
    emblem: str | None = None  # base64 PNG or JPEG
    citations: Any = None  # {rule: the Регламент's or the law's article}, R1–R20


@dataclass(frozen=True, slots=True)
class Body(Payload):
    """Which of the council's bodies meets (absent from older journals and from a council
    session: the council itself, R7). ``total_composition`` is the body's own (E4: the executive
    committee's, the mayor included)."""

    kind: str = "council"  # council | executive_committee (orchestrator.convening.bodies)
    total_composition: int | None = None


@dataclass(frozen=True, slots=True)
class AgendaItem(Payload):
    title: str = ""
    category: str = ""  # R1
    description: str = ""
    secret_ballot: bool = False  # R2: always false on a remote agenda
    documents: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Participant(Payload):
    """One person on the list (R6): names and roles, never contact data (R12)."""

    participant_id: str
    member_id: str | None = None
    surname: str = ""
    given_name: str = ""
    patronymic: str = ""
    kind: str | None = None  # mayor|deputy|secretary|guest; None: not written
    role: str | None = None  # chair|secretary|deputy|guest; None: not written
    organisation: str = ""

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.surname, self.given_name, self.patronymic) if p)


@dataclass(frozen=True, slots=True)
class SessionConvened(EventPayload):
    TYPE: ClassVar[str] = SESSION_CONVENED
    council: Council | None = None
    title: str = ""
    number: int | None = None
    starts_at: str | None = None
    planned_end: str | None = None
    room: str | None = None
    broadcast_url: str | None = None
    agenda: tuple[AgendaItem, ...] = ()
    participants: tuple[Participant, ...] = ()
    chair_participant_id: str | None = None
    secretary_participant_id: str | None = None
    chair_reason: str | None = None  # R5: why a stand-in presides
    body: Body | None = None  # E1–E8: an executive-committee meeting; None: the council


@dataclass(frozen=True, slots=True)
class DocumentAttached(EventPayload):
    TYPE: ClassVar[str] = DOCUMENT_ATTACHED
    item: int
    document_id: str
    filename: str
    content_type: str = ""
    size: int = 0
    sha256: str = ""


@dataclass(frozen=True, slots=True)
class SessionAnnounced(EventPayload):
    TYPE: ClassVar[str] = SESSION_ANNOUNCED
    announced_at: str | None = None
    starts_at: str | None = None
    broadcast_url: str | None = None
    notices_queued: int = 0


@dataclass(frozen=True, slots=True)
class ParticipantAdded(EventPayload):
    TYPE: ClassVar[str] = PARTICIPANT_ADDED
    participant: Participant
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ParticipantRemoved(EventPayload):
    TYPE: ClassVar[str] = PARTICIPANT_REMOVED
    participant_id: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SessionCancelled(EventPayload):
    TYPE: ClassVar[str] = SESSION_CANCELLED
    reason: str = ""
