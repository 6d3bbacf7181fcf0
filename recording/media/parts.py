"""Parts of a session's recording: names, numbering, records. Pure code.

A part is one continuous stretch of media (R9, R10): ``part-NNNN.mp4`` (fragmented MP4),
``part-NNNN.m3u8`` (its byte-range playlist, written by ffmpeg) and ``part-NNNN.json`` (the
record: written ``closed: false`` when media starts, rewritten with size, duration and SHA-256
when the part closes). Numbers start at 1 and continue from the files on disk, so a restarted
recorder never overwrites a part.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from orchestrator.kernel.journal.chain import format_time, parse_time

_PART = re.compile(r"^part-(\d{4,})\.(?:mp4|m3u8|json)$")


def part_stem(number: int) -> str:
    return f"part-{number:04d}"


def media_name(number: int) -> str:
    return part_stem(number) + ".mp4"


def playlist_name(number: int) -> str:
    return part_stem(number) + ".m3u8"


def record_name(number: int) -> str:
    return part_stem(number) + ".json"


def part_numbers(names: Iterable[str]) -> list[int]:
    """The part numbers present among file names, ascending."""
    found = {int(m.group(1)) for name in names if (m := _PART.match(name))}
    return sorted(found)


def next_part_number(names: Iterable[str]) -> int:
    """The number for a new part: one more than any part file on disk."""
    numbers = part_numbers(names)
    return numbers[-1] + 1 if numbers else 1


@dataclass(frozen=True, slots=True)
class PartRecord:
    """What the recorder knows of one part (its ``part-NNNN.json``)."""

    part: int
    started_at: datetime
    closed: bool = False
    duration_ms: int = 0
    size: int = 0
    sha256: str = ""
    frames_received: int | None = None  # complete video frames the gate relayed, if known
    recovered: bool = False  # closed by a later recorder after a crash

    @property
    def file(self) -> str:
        return media_name(self.part)

    @property
    def ended_at_ms(self) -> float:
        """Wall-clock end in epoch milliseconds."""
        return self.started_at.timestamp() * 1000 + self.duration_ms

    def close(
        self, *, duration_ms: int, size: int, sha256: str, recovered: bool = False
    ) -> PartRecord:
        return replace(
            self,
            closed=True,
            duration_ms=duration_ms,
            size=size,
            sha256=sha256,
            recovered=recovered,
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = format_time(self.started_at)
        data["file"] = self.file
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PartRecord:
        return cls(
            part=int(data["part"]),
            started_at=parse_time(data["started_at"]),
            closed=bool(data.get("closed", False)),
            duration_ms=int(data.get("duration_ms", 0)),
            size=int(data.get("size", 0)),
            sha256=str(data.get("sha256", "")),
            frames_received=data.get("frames_received"),
            recovered=bool(data.get("recovered", False)),
        )

    def closed_payload(self) -> dict[str, Any]:
        """The ``part_closed`` journal payload (``orchestrator.kernel.journal.events.PartClosed``)."""
        return {
            "part": self.part,
            "file": self.file,
            "started_at": format_time(self.started_at),
            "duration_ms": self.duration_ms,
            "size": self.size,
            "sha256": self.sha256,
            "recovered": self.recovered,
        }


# --- crash repair: the complete prefix of a fragmented MP4 ---------------------------------


@dataclass(frozen=True, slots=True)
class Box:
    offset: int
    size: int
    type: str


def walk_boxes(header_at: Any, file_size: int) -> Iterator[Box]:
    """Top-level ISO-BMFF boxes; ``header_at(offset)`` returns up to 16 bytes at ``offset``.
    Stops at the first box that does not fit in the file (a write cut by a crash)."""
    offset = 0
    while offset + 8 <= file_size:
        head: bytes = header_at(offset)
        size = int.from_bytes(head[0:4], "big")
        kind = head[4:8].decode("latin-1")
        if size == 1 and len(head) >= 16:
            size = int.from_bytes(head[8:16], "big")
        elif size == 0:
            size = file_size - offset
        if size < 8 or offset + size > file_size:
            return
        yield Box(offset, size, kind)
        offset += size


def playable_length(boxes: Iterable[Box]) -> int:
    """Bytes to keep so that the file ends after a complete fragment: the init section
    (``ftyp``+``moov``) and every ``moof`` followed by its ``mdat``. 0 if there is no init."""
    keep = 0
    pending_moof = False
    seen_moov = False
    for box in boxes:
        end = box.offset + box.size
        if box.type == "moov":
            seen_moov = True
            keep = end
        elif box.type == "moof":
            pending_moof = True
        elif box.type == "mdat" and pending_moof:
            pending_moof = False
            keep = end
        elif box.type in ("ftyp", "styp"):
            keep = max(keep, end) if not pending_moof else keep
    return keep if seen_moov else 0
