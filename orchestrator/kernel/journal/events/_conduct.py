"""Conduct: the sitting, its items, roll calls and breaks (R7–R17)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from orchestrator.kernel.journal.events._payload import EventPayload

SESSION_OPENED: Final = "session_opened"
"""{by}"""

SESSION_COMPETENT: Final = "session_competent"
"""{present_deputies, total_composition, quorum}"""

ITEM_OPENED: Final = "item_opened"
"""{item}"""

DISCUSSION_LIMITED: Final = "discussion_limited"
"""{item, scope: item|speaker, seconds}"""

REMARK_RECORDED: Final = "remark_recorded"
"""{item, by_participant_id|null, text}  (R19: remarks and proposals)"""

AMENDMENT_PROPOSED: Final = "amendment_proposed"
"""{item, amendment, text, by_participant_id|null}"""

VOTE_OPENED: Final = "vote_opened"
"""{vote_id, item, amendment|null, order: [participant_id] (R15), absent: [participant_id],
total_composition, mayor_taking_part: bool, required: int (R13, E4),
mode: "simultaneous"|absent (E7: everyone answers at once; absent: the roll call, R15)}"""

DEPUTY_CALLED: Final = "deputy_called"
"""{vote_id, participant_id, position}"""

BALLOT_RECORDED: Final = "ballot_recorded"
"""{vote_id, participant_id, answer: for|against|abstain, source: deputy|secretary|member|phone}

``member``: an executive-committee member answered on their own page; ``phone``: the general
department entered the answer the member gave by phone (E6, E7)."""

DEPUTY_SKIPPED: Final = "deputy_skipped"
"""{vote_id, participant_id}  (не голосував)"""

VOTE_CLOSED: Final = "vote_closed"
"""{vote_id, for, against, abstain, not_voted, absent, required, adopted: bool}"""

ITEM_CLOSED: Final = "item_closed"
"""{item}"""

BREAK_DECLARED: Final = "break_declared"
"""{cause: chair|recording_lost|quorum_lost|storage, reason, by}"""

BREAK_ENDED: Final = "break_ended"
"""{by}"""

SESSION_CLOSED: Final = "session_closed"
"""{by}"""


@dataclass(frozen=True, slots=True)
class SessionOpened(EventPayload):
    TYPE: ClassVar[str] = SESSION_OPENED
    by: str | None = None  # None: not written; readers fall back on the event's actor


@dataclass(frozen=True, slots=True)
class SessionCompetent(EventPayload):
    """R7: quorum as it stood when the session was declared competent."""

    TYPE: ClassVar[str] = SESSION_COMPETENT
    present_deputies: int = 0
    total_composition: int | None = None
    quorum: int | None = None


@dataclass(frozen=True, slots=True)
class ItemOpened(EventPayload):
    TYPE: ClassVar[str] = ITEM_OPENED
    item: int


@dataclass(frozen=True, slots=True)
class DiscussionLimited(EventPayload):
    """R14: a limit on discussion time, per item or per speaker."""

    TYPE: ClassVar[str] = DISCUSSION_LIMITED
    item: int
    scope: str
    seconds: int


@dataclass(frozen=True, slots=True)
class RemarkRecorded(EventPayload):
    TYPE: ClassVar[str] = REMARK_RECORDED
    item: int
    by_participant_id: str | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class AmendmentProposed(EventPayload):
    """R16: an amendment, 0-based within its item (vote id ``"<item>.a<amendment>"``)."""

    TYPE: ClassVar[str] = AMENDMENT_PROPOSED
    item: int
    amendment: int
    text: str = ""
    by_participant_id: str | None = None


@dataclass(frozen=True, slots=True)
class VoteOpened(EventPayload):
    TYPE: ClassVar[str] = VOTE_OPENED
    vote_id: str
    item: int
    amendment: int | None = None
    order: tuple[str, ...] = ()  # R15: the roll-call order
    absent: tuple[str, ...] = ()
    total_composition: int = 0
    mayor_taking_part: bool = False  # R13
    required: int = 0  # R13
    mode: str | None = None  # E7: "simultaneous"; absent: the roll call of R15


@dataclass(frozen=True, slots=True)
class DeputyCalled(EventPayload):
    TYPE: ClassVar[str] = DEPUTY_CALLED
    vote_id: str
    participant_id: str
    position: int


@dataclass(frozen=True, slots=True)
class BallotRecorded(EventPayload):
    """R16: the answer given personally (``deputy``) or entered by the secretary (R17)."""

    TYPE: ClassVar[str] = BALLOT_RECORDED
    vote_id: str
    participant_id: str
    answer: str
    source: str = ""  # deputy|secretary (R16, R17); member|phone (E6, E7)


@dataclass(frozen=True, slots=True)
class DeputySkipped(EventPayload):
    TYPE: ClassVar[str] = DEPUTY_SKIPPED
    vote_id: str
    participant_id: str


@dataclass(frozen=True, slots=True)
class VoteClosed(EventPayload):
    """The counts as conduct stated them at closing (None: not written)."""

    TYPE: ClassVar[str] = VOTE_CLOSED
    vote_id: str
    for_: int | None = None
    against: int | None = None
    abstain: int | None = None
    not_voted: int | None = None
    absent: int | None = None
    required: int | None = None
    adopted: bool = False

    def stated(self) -> dict[str, int | None]:
        """The five counts under the keys of ``Tally.as_dict``."""
        return {
            "for": self.for_,
            "against": self.against,
            "abstain": self.abstain,
            "not_voted": self.not_voted,
            "absent": self.absent,
        }


@dataclass(frozen=True, slots=True)
class ItemClosed(EventPayload):
    TYPE: ClassVar[str] = ITEM_CLOSED
    item: int


@dataclass(frozen=True, slots=True)
class BreakDeclared(EventPayload):
    """R10: a break and its cause."""

    TYPE: ClassVar[str] = BREAK_DECLARED
    cause: str = "chair"
    reason: str = ""
    by: str | None = None


@dataclass(frozen=True, slots=True)
class BreakEnded(EventPayload):
    TYPE: ClassVar[str] = BREAK_ENDED
    by: str | None = None


@dataclass(frozen=True, slots=True)
class SessionClosed(EventPayload):
    TYPE: ClassVar[str] = SESSION_CLOSED
    by: str | None = None
