"""The archive manifest: every part of a session with its hash, and the archive's own files.
Pure code: the bytes and their SHA-256 (the journal's ``archive_ready`` names it, R9)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from orchestrator.kernel.journal.chain import format_time
from recording.media.parts import PartRecord

MANIFEST_NAME = "manifest.json"
ARCHIVE_PLAYLIST = "index.m3u8"
LIVE_PLAYLIST = "live.m3u8"
CHAPTERS_NAME = "chapters.vtt"
FORMAT = "rada-recording-manifest/1"
CONTENT_TYPES = {  # by suffix, for the HTTP answers and the objects in a bucket
    ".mp4": "video/mp4",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".vtt": "text/vtt; charset=utf-8",
    ".json": "application/json",
}


@dataclass(frozen=True, slots=True)
class Manifest:
    body: bytes
    sha256: str
    duration_ms: int
    parts: int


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build(
    session_id: UUID,
    parts: Sequence[PartRecord],
    files: Mapping[str, bytes],
    *,
    generated_at: datetime,
) -> Manifest:
    """The manifest over closed ``parts`` and the archive ``files`` (name → bytes) written with
    it (the archive playlist, the chapters). Canonical JSON: sorted keys, UTF-8, two-space
    indent, trailing newline."""
    if any(not p.closed for p in parts):
        raise ValueError("every part must be closed before the manifest")
    duration = sum(p.duration_ms for p in parts)
    document = {
        "format": FORMAT,
        "session_id": str(session_id),
        "generated_at": format_time(generated_at),
        "duration_ms": duration,
        "parts": [
            {
                "part": p.part,
                "file": p.file,
                "started_at": format_time(p.started_at),
                "duration_ms": p.duration_ms,
                "size": p.size,
                "sha256": p.sha256,
                "recovered": p.recovered,
            }
            for p in sorted(parts, key=lambda p: p.part)
        ],
        "files": [
            {"file": name, "size": len(data), "sha256": sha256_hex(data)}
            for name, data in sorted(files.items())
        ],
    }
    body = (json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode()
    return Manifest(body, sha256_hex(body), duration, len(parts))
