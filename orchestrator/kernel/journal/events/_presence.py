"""Identity and presence: who is in the call, and whom the chair identified (R11)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from orchestrator.kernel.journal.events._payload import EventPayload

PRESENCE_JOINED: Final = "presence_joined"
"""{participant_id|null, occupant_id, name}  (null participant_id: an unknown occupant)"""

PRESENCE_LEFT: Final = "presence_left"
"""{participant_id|null, occupant_id}"""

PARTICIPANT_IDENTIFIED: Final = "participant_identified"
"""{participant_id, confirmed_by: participant_id of the chair}"""

LINK_REVOKED: Final = "link_revoked"
"""{participant_id, reason}"""


@dataclass(frozen=True, slots=True)
class PresenceJoined(EventPayload):
    TYPE: ClassVar[str] = PRESENCE_JOINED
    participant_id: str | None = None  # None: an occupant who matches nobody on the list
    occupant_id: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class PresenceLeft(EventPayload):
    TYPE: ClassVar[str] = PRESENCE_LEFT
    participant_id: str | None = None
    occupant_id: str = ""


@dataclass(frozen=True, slots=True)
class ParticipantIdentified(EventPayload):
    TYPE: ClassVar[str] = PARTICIPANT_IDENTIFIED
    participant_id: str
    confirmed_by: str | None = None
    method: str | None = None  # E6: "phone_callback"; absent: seen and heard in the call (R11)


@dataclass(frozen=True, slots=True)
class LinkRevoked(EventPayload):
    TYPE: ClassVar[str] = LINK_REVOKED
    participant_id: str
    reason: str = ""
