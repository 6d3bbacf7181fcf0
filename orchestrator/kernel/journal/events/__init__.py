"""The journal's vocabulary: every event type rada appends, with its payload.

This is the contract between the packages: the conduct fold, the recorder and the protocol
all read these names. Payloads hold JSON only: strings, integers, booleans, lists, objects
(no floats: durations are integer milliseconds, times are ISO 8601 UTC strings as written by
``journal.format_time``). Payloads never hold e-mail addresses or phone numbers (R12: contact
data lives in the participant table, the journal is public).

Ids: ``participant_id`` is a UUID string, stable for the session; ``item`` is the 0-based
agenda index; ``vote_id`` is ``"<item>"`` for the main vote or ``"<item>.a<k>"`` for amendment k.

Each type has its string constant (``SESSION_CONVENED``), whose docstring shows the payload,
and a frozen dataclass (``SessionConvened``, with ``TYPE``) that reads a payload with
``from_payload`` and writes it back with ``to_payload``, unchanged: an event's hash covers its
payload (see ``_payload``). :data:`KINDS` maps each type to its class; :func:`typed` and
:func:`parse` read a payload as its class. The folds (conduct state, protocol, chapters,
``rada verify``) read typed payloads; the emitters may build the dicts themselves.

A package rather than one module: thirty-four kinds with their docstrings and the reading
machinery are some 900 lines, so each part of the session has its own file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.kernel.journal.chain import Event
from orchestrator.kernel.journal.events._conduct import (
    AMENDMENT_PROPOSED,
    BALLOT_RECORDED,
    BREAK_DECLARED,
    BREAK_ENDED,
    DEPUTY_CALLED,
    DEPUTY_SKIPPED,
    DISCUSSION_LIMITED,
    ITEM_CLOSED,
    ITEM_OPENED,
    REMARK_RECORDED,
    SESSION_CLOSED,
    SESSION_COMPETENT,
    SESSION_OPENED,
    VOTE_CLOSED,
    VOTE_OPENED,
    AmendmentProposed,
    BallotRecorded,
    BreakDeclared,
    BreakEnded,
    DeputyCalled,
    DeputySkipped,
    DiscussionLimited,
    ItemClosed,
    ItemOpened,
    RemarkRecorded,
    SessionClosed,
    SessionCompetent,
    SessionOpened,
    VoteClosed,
    VoteOpened,
)
from orchestrator.kernel.journal.events._convening import (
    DOCUMENT_ATTACHED,
    PARTICIPANT_ADDED,
    PARTICIPANT_REMOVED,
    SESSION_ANNOUNCED,
    SESSION_CANCELLED,
    SESSION_CONVENED,
    AgendaItem,
    Body,
    Council,
    DocumentAttached,
    Participant,
    ParticipantAdded,
    ParticipantRemoved,
    SessionAnnounced,
    SessionCancelled,
    SessionConvened,
)
from orchestrator.kernel.journal.events._payload import EventPayload, MalformedPayload, Payload
from orchestrator.kernel.journal.events._preparation import (
    ATTENDANCE_ANSWERED,
    CONNECTION_CHECKED,
    DECISION_CONTROLLED,
    DECISION_DELIVERED,
    DECISION_OFF_CONTROL,
    DECISION_REGISTERED,
    DECISION_REPORTED,
    DECISION_SIGNED,
    INGEST_TESTED,
    OUTSIDE_SITTING,
    PLAN_MEASURE_DONE,
    AttendanceAnswered,
    ConnectionChecked,
    DecisionControlled,
    DecisionDelivered,
    DecisionOffControl,
    DecisionRegistered,
    DecisionReported,
    DecisionSigned,
    IngestTested,
    PlanMeasureDone,
)
from orchestrator.kernel.journal.events._presence import (
    LINK_REVOKED,
    PARTICIPANT_IDENTIFIED,
    PRESENCE_JOINED,
    PRESENCE_LEFT,
    LinkRevoked,
    ParticipantIdentified,
    PresenceJoined,
    PresenceLeft,
)
from orchestrator.kernel.journal.events._protocol import (
    PROTOCOL_FINALISED,
    PROTOCOL_PUBLISHED,
    PROTOCOL_SIGNED,
    ProtocolFinalised,
    ProtocolPublished,
    ProtocolSigned,
)
from orchestrator.kernel.journal.events._recording import (
    ARCHIVE_READY,
    JIBRI_STATUS,
    PART_CLOSED,
    RECORDING_LOST,
    RECORDING_RESUMED,
    RECORDING_STARTED,
    ArchiveReady,
    JibriStatus,
    PartClosed,
    RecordingLost,
    RecordingResumed,
    RecordingStarted,
)

KINDS: Mapping[str, type[EventPayload]] = {
    kind.TYPE: kind
    for kind in (
        SessionConvened,
        DocumentAttached,
        SessionAnnounced,
        ParticipantAdded,
        ParticipantRemoved,
        SessionCancelled,
        PresenceJoined,
        PresenceLeft,
        ParticipantIdentified,
        LinkRevoked,
        SessionOpened,
        SessionCompetent,
        ItemOpened,
        DiscussionLimited,
        RemarkRecorded,
        AmendmentProposed,
        VoteOpened,
        DeputyCalled,
        BallotRecorded,
        DeputySkipped,
        VoteClosed,
        ItemClosed,
        BreakDeclared,
        BreakEnded,
        SessionClosed,
        RecordingStarted,
        RecordingLost,
        RecordingResumed,
        PartClosed,
        JibriStatus,
        ArchiveReady,
        ProtocolFinalised,
        ProtocolSigned,
        ProtocolPublished,
        PlanMeasureDone,
        AttendanceAnswered,
        ConnectionChecked,
        IngestTested,
        DecisionRegistered,
        DecisionSigned,
        DecisionDelivered,
        DecisionControlled,
        DecisionReported,
        DecisionOffControl,
    )
}
"""Every event type -> its payload class."""


class UnknownEvent(ValueError):
    """An event type this vocabulary does not have."""


def typed(type_: str, payload: Mapping[str, Any]) -> EventPayload:
    """The payload of an event of ``type_`` as its class."""
    kind = KINDS.get(type_)
    if kind is None:
        raise UnknownEvent(f"no event type {type_!r} in the vocabulary")
    return kind.from_payload(payload)


def parse(event: Event) -> EventPayload:
    """An event's payload as its class."""
    return typed(event.type, event.payload)


__all__ = [
    "AMENDMENT_PROPOSED",
    "ARCHIVE_READY",
    "ATTENDANCE_ANSWERED",
    "BALLOT_RECORDED",
    "BREAK_DECLARED",
    "BREAK_ENDED",
    "CONNECTION_CHECKED",
    "DECISION_CONTROLLED",
    "DECISION_DELIVERED",
    "DECISION_OFF_CONTROL",
    "DECISION_REGISTERED",
    "DECISION_REPORTED",
    "DECISION_SIGNED",
    "DEPUTY_CALLED",
    "DEPUTY_SKIPPED",
    "DISCUSSION_LIMITED",
    "DOCUMENT_ATTACHED",
    "INGEST_TESTED",
    "ITEM_CLOSED",
    "ITEM_OPENED",
    "JIBRI_STATUS",
    "KINDS",
    "LINK_REVOKED",
    "OUTSIDE_SITTING",
    "PARTICIPANT_ADDED",
    "PARTICIPANT_IDENTIFIED",
    "PARTICIPANT_REMOVED",
    "PART_CLOSED",
    "PLAN_MEASURE_DONE",
    "PRESENCE_JOINED",
    "PRESENCE_LEFT",
    "PROTOCOL_FINALISED",
    "PROTOCOL_PUBLISHED",
    "PROTOCOL_SIGNED",
    "RECORDING_LOST",
    "RECORDING_RESUMED",
    "RECORDING_STARTED",
    "REMARK_RECORDED",
    "SESSION_ANNOUNCED",
    "SESSION_CANCELLED",
    "SESSION_CLOSED",
    "SESSION_COMPETENT",
    "SESSION_CONVENED",
    "SESSION_OPENED",
    "VOTE_CLOSED",
    "VOTE_OPENED",
    "AgendaItem",
    "AmendmentProposed",
    "ArchiveReady",
    "AttendanceAnswered",
    "BallotRecorded",
    "Body",
    "BreakDeclared",
    "BreakEnded",
    "ConnectionChecked",
    "Council",
    "DecisionControlled",
    "DecisionDelivered",
    "DecisionOffControl",
    "DecisionRegistered",
    "DecisionReported",
    "DecisionSigned",
    "DeputyCalled",
    "DeputySkipped",
    "DiscussionLimited",
    "DocumentAttached",
    "EventPayload",
    "IngestTested",
    "ItemClosed",
    "ItemOpened",
    "JibriStatus",
    "LinkRevoked",
    "MalformedPayload",
    "PartClosed",
    "Participant",
    "ParticipantAdded",
    "ParticipantIdentified",
    "ParticipantRemoved",
    "Payload",
    "PlanMeasureDone",
    "PresenceJoined",
    "PresenceLeft",
    "ProtocolFinalised",
    "ProtocolPublished",
    "ProtocolSigned",
    "RecordingLost",
    "RecordingResumed",
    "RecordingStarted",
    "RemarkRecorded",
    "SessionAnnounced",
    "SessionCancelled",
    "SessionClosed",
    "SessionCompetent",
    "SessionConvened",
    "SessionOpened",
    "UnknownEvent",
    "VoteClosed",
    "VoteOpened",
    "parse",
    "typed",
]
