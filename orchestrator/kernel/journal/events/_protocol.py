"""The protocol's own acts after the sitting: finalised, signed, published (R18, R19)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from orchestrator.kernel.journal.events._payload import EventPayload

PROTOCOL_FINALISED: Final = "protocol_finalised"
"""{by, protocol_sha256}"""

PROTOCOL_SIGNED: Final = "protocol_signed"
"""{by, role: chair|member, signature_sha256|null}"""

PROTOCOL_PUBLISHED: Final = "protocol_published"
"""{by, late: bool, plan_sha256: the session plan's PDF copied into the archive (``plan.pdf``,
P2), when the plan was there to copy}"""


@dataclass(frozen=True, slots=True)
class ProtocolFinalised(EventPayload):
    TYPE: ClassVar[str] = PROTOCOL_FINALISED
    by: str | None = None  # None: not written; readers fall back on the event's actor
    protocol_sha256: str = ""


@dataclass(frozen=True, slots=True)
class ProtocolSigned(EventPayload):
    TYPE: ClassVar[str] = PROTOCOL_SIGNED
    by: str | None = None
    role: str = "member"
    signature_sha256: str | None = None  # the uploaded .p7s, if any


@dataclass(frozen=True, slots=True)
class ProtocolPublished(EventPayload):
    TYPE: ClassVar[str] = PROTOCOL_PUBLISHED
    by: str | None = None
    late: bool = False  # R18: after the 24 hours
    plan_sha256: str | None = None
