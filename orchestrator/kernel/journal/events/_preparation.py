"""Before and after the sitting (P1, S1–S5): the plan's measures, attendance, the decisions.

These acts happen around the sitting, not in it: the protocol's fold leaves them out
(:data:`OUTSIDE_SITTING`), so a plan ticked or a decision signed after the protocol was
finalised does not change the protocol's hash. No contact data: executors are named by their
position in the decision's distribution list, never by address (R12).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Final

from orchestrator.kernel.journal.events._payload import EventPayload

PLAN_MEASURE_DONE: Final = "plan_measure_done"
"""{measure: the plan's measure key, by}  (P1: a measure the office performs, ticked by it)"""

ATTENDANCE_ANSWERED: Final = "attendance_answered"
"""{participant_id}  (P1: expected attendance: that the deputy answered. What they answered
and why stay in the database for the office and the chair: the journal is public, and who said
«не зможу» is not the public's (issue 16). Journals before this carry ``answer: attend|absent``.)"""

CONNECTION_CHECKED: Final = "connection_checked"
"""{participant_id, camera: bool, microphone: bool, joined: bool (the short join to the
participant's test Jitsi room; absent in checks made before it existed), passed: bool}
(P1: technical check)"""

INGEST_TESTED: Final = "ingest_tested"
"""{test_id, ok: bool, parts, frames, duration_ms, sha256, decodes: bool, error}  (P1: the
recorder's ingest tested end to end through the session's stream key; the test part lies
apart from the recording and is never in the archive, its manifest or the protocol)"""

DECISION_REGISTERED: Final = "decision_registered"
"""{decision_id, item, number, sha256, by}  (S3: the register of decisions)"""

DECISION_SIGNED: Final = "decision_signed"
"""{decision_id, by, signature_sha256|null, executors: how many the distribution list has}
(S3: the mayor's signature; S4 starts the distribution)"""

DECISION_DELIVERED: Final = "decision_delivered"
"""{decision_id, executor: position in the list, status: sent|bounced, attempts}  (S4)"""

DECISION_CONTROLLED: Final = "decision_controlled"
"""{decision_id, by, controls: [{position, executor, due_on}]}  (S5: placed under control)"""

DECISION_REPORTED: Final = "decision_reported"
"""{decision_id, position, sha256}  (S5: an executor's report attached)"""

DECISION_OFF_CONTROL: Final = "decision_off_control"
"""{decision_id, by, reason}  (S5: taken off control)"""


@dataclass(frozen=True, slots=True)
class PlanMeasureDone(EventPayload):
    TYPE: ClassVar[str] = PLAN_MEASURE_DONE
    measure: str
    by: str | None = None


@dataclass(frozen=True, slots=True)
class AttendanceAnswered(EventPayload):
    TYPE: ClassVar[str] = ATTENDANCE_ANSWERED
    participant_id: str
    answer: str = ""  # only in events journaled before the answer left the journal


@dataclass(frozen=True, slots=True)
class ConnectionChecked(EventPayload):
    TYPE: ClassVar[str] = CONNECTION_CHECKED
    participant_id: str
    camera: bool = False
    microphone: bool = False
    passed: bool = False
    joined: bool | None = None


@dataclass(frozen=True, slots=True)
class IngestTested(EventPayload):
    TYPE: ClassVar[str] = INGEST_TESTED
    test_id: str
    ok: bool = False
    parts: int = 0
    frames: int = 0
    duration_ms: int = 0
    sha256: str = ""
    decodes: bool = False
    error: str = ""


@dataclass(frozen=True, slots=True)
class DecisionRegistered(EventPayload):
    TYPE: ClassVar[str] = DECISION_REGISTERED
    decision_id: str
    item: int = 0
    number: str = ""
    sha256: str = ""
    by: str | None = None


@dataclass(frozen=True, slots=True)
class DecisionSigned(EventPayload):
    TYPE: ClassVar[str] = DECISION_SIGNED
    decision_id: str
    by: str | None = None
    signature_sha256: str | None = None
    executors: int = 0


@dataclass(frozen=True, slots=True)
class DecisionDelivered(EventPayload):
    TYPE: ClassVar[str] = DECISION_DELIVERED
    decision_id: str
    executor: int = 0
    status: str = "sent"
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class DecisionControlled(EventPayload):
    TYPE: ClassVar[str] = DECISION_CONTROLLED
    decision_id: str
    by: str | None = None
    controls: tuple[Any, ...] = ()  # {position, executor (a department), due_on}


@dataclass(frozen=True, slots=True)
class DecisionReported(EventPayload):
    TYPE: ClassVar[str] = DECISION_REPORTED
    decision_id: str
    position: int = 0
    sha256: str = ""


@dataclass(frozen=True, slots=True)
class DecisionOffControl(EventPayload):
    TYPE: ClassVar[str] = DECISION_OFF_CONTROL
    decision_id: str
    by: str | None = None
    reason: str = ""


OUTSIDE_SITTING: Final = frozenset(
    {
        PLAN_MEASURE_DONE,
        ATTENDANCE_ANSWERED,
        CONNECTION_CHECKED,
        INGEST_TESTED,
        DECISION_REGISTERED,
        DECISION_SIGNED,
        DECISION_DELIVERED,
        DECISION_CONTROLLED,
        DECISION_REPORTED,
        DECISION_OFF_CONTROL,
    }
)
"""The kinds the protocol leaves out: acts before and after the sitting, not in it."""
