"""Recording: parts, losses, the Jibri source and the sealed archive (R9, R10)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from orchestrator.kernel.journal.events._payload import EventPayload

RECORDING_STARTED: Final = "recording_started"
"""{part, started_at}"""

RECORDING_LOST: Final = "recording_lost"
"""{part, cause: stall|storage|process, last_media_at}  (part: the last part, 0 if none yet; a
recorder that cannot start at all, e.g. too little free disk, journals part 0)"""

RECORDING_RESUMED: Final = "recording_resumed"
"""{part, started_at}"""

PART_CLOSED: Final = "part_closed"
"""{part, file, started_at, duration_ms, size, sha256, recovered: bool}  (recovered: closed by a
later recorder after the recording process died; the file was cut to its last complete fragment)"""

JIBRI_STATUS: Final = "jibri_status"
"""{status: ON|OFF, failure_reason|null, jibri}

From Jibri's status webhook, appended only when that Jibri's state for the session changes:
``jibri`` is its ``jibriId``; BUSY → ON, IDLE/EXPIRED → OFF, UNHEALTHY → ``failure_reason``
``unhealthy``. Additive fields: ``busy_status`` (IDLE|BUSY|EXPIRED), ``health_status``
(HEALTHY|UNHEALTHY) as Jibri reported them."""

ARCHIVE_READY: Final = "archive_ready"
"""{manifest, manifest_sha256, parts: int, duration_ms}"""


@dataclass(frozen=True, slots=True)
class RecordingStarted(EventPayload):
    TYPE: ClassVar[str] = RECORDING_STARTED
    part: int = 0
    started_at: str | None = None


@dataclass(frozen=True, slots=True)
class RecordingResumed(EventPayload):
    """The first media after a loss (R10: the technical break may end)."""

    TYPE: ClassVar[str] = RECORDING_RESUMED
    part: int = 0
    started_at: str | None = None


@dataclass(frozen=True, slots=True)
class RecordingLost(EventPayload):
    TYPE: ClassVar[str] = RECORDING_LOST
    part: int = 0
    cause: str = ""
    last_media_at: str | None = None


@dataclass(frozen=True, slots=True)
class PartClosed(EventPayload):
    TYPE: ClassVar[str] = PART_CLOSED
    part: int
    file: str
    started_at: str | None = None
    duration_ms: int = 0
    size: int = 0
    sha256: str = ""
    recovered: bool = False


@dataclass(frozen=True, slots=True)
class JibriStatus(EventPayload):
    TYPE: ClassVar[str] = JIBRI_STATUS
    status: str = ""
    failure_reason: str | None = None
    jibri: str = ""
    busy_status: str | None = None
    health_status: str | None = None


@dataclass(frozen=True, slots=True)
class ArchiveReady(EventPayload):
    TYPE: ClassVar[str] = ARCHIVE_READY
    manifest: str | None = None
    manifest_sha256: str | None = None
    parts: int | None = None
    duration_ms: int = 0
