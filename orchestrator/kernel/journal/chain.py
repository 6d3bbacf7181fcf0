"""The journal: a per-session, append-only, hash-chained list of events (DESIGN principle 1).

Pure code: canonical form, hashing, chain verification. SQL lives in ``store.py``.

Each event is hashed as ``sha256(prev_hash + canonical(event))`` where ``prev_hash`` is the
hex digest of the event before it (64 zeros for the first) and ``canonical`` is the event's
JSON with sorted keys, no insignificant whitespace, UTF-8, non-ASCII kept as is. An event
appended while its session was being recorded also carries ``media``: where it falls on the
recording (part and milliseconds into it), hashed with the rest; older events have none.
The journal carries no contact data (e-mail, phone): it is published with the archive.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

GENESIS = "0" * 64

JsonValue = Any


@dataclass(frozen=True, slots=True)
class Media:
    """Where an event falls on the session's recording: ``ms`` milliseconds into ``part``
    (R9). Read from the recorder's media clock, so a wall clock stepping does not move it."""

    part: int
    ms: int

    def to_public(self) -> dict[str, int]:
        return {"part": self.part, "ms": self.ms}


@dataclass(frozen=True, slots=True)
class Event:
    """One journaled act."""

    session_id: UUID
    seq: int
    at: datetime
    actor: str
    type: str
    payload: Mapping[str, JsonValue] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""
    media: Media | None = None

    def to_public(self) -> dict[str, JsonValue]:
        """The event as published (API, archive): all fields, times in ISO 8601 UTC."""
        public: dict[str, JsonValue] = {
            "session_id": str(self.session_id),
            "seq": self.seq,
            "at": format_time(self.at),
            "actor": self.actor,
            "type": self.type,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }
        if self.media is not None:
            public["media"] = self.media.to_public()
        return public


def format_time(at: datetime) -> str:
    """ISO 8601 in UTC with microseconds, the one textual form of a journal time."""
    if at.tzinfo is None:
        raise ValueError("journal times must be timezone-aware")
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    # the same text as strftime("%Y-%m-%dT%H:%M:%S.%fZ"), in a third of the time (every seal)
    return at.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_time(text: str) -> datetime:
    """Inverse of :func:`format_time`."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def canonical(
    session_id: UUID,
    seq: int,
    at: datetime,
    actor: str,
    type_: str,
    payload: Mapping[str, Any],
    media: Media | None = None,
) -> bytes:
    """The canonical bytes of an event, the input of its hash."""
    body: dict[str, Any] = {
        "session_id": str(session_id),
        "seq": seq,
        "at": format_time(at),
        "actor": actor,
        "type": type_,
        "payload": payload,
    }
    if media is not None:
        body["media"] = media.to_public()
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def chain_hash(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + body).hexdigest()


def seal(
    session_id: UUID,
    seq: int,
    at: datetime,
    actor: str,
    type_: str,
    payload: Mapping[str, Any],
    prev_hash: str,
    media: Media | None = None,
) -> Event:
    """Build the next event of a chain, its hash computed."""
    digest = chain_hash(prev_hash, canonical(session_id, seq, at, actor, type_, payload, media))
    return Event(session_id, seq, at, actor, type_, dict(payload), prev_hash, digest, media)


@dataclass(frozen=True, slots=True)
class ChainFault:
    """Where a chain stops being what it claims."""

    seq: int
    reason: str


def verify_chain(events: Iterable[Event]) -> list[ChainFault]:
    """Recompute every hash; an empty list means the chain is intact."""
    faults: list[ChainFault] = []
    expected_prev = GENESIS
    expected_seq = 1
    for ev in events:
        if ev.seq != expected_seq:
            faults.append(ChainFault(ev.seq, f"sequence gap: expected {expected_seq}"))
        if ev.prev_hash != expected_prev:
            faults.append(ChainFault(ev.seq, "previous hash does not match the event before"))
        recomputed = chain_hash(
            ev.prev_hash,
            canonical(ev.session_id, ev.seq, ev.at, ev.actor, ev.type, ev.payload, ev.media),
        )
        if recomputed != ev.hash:
            faults.append(ChainFault(ev.seq, "hash does not match the event's content"))
        expected_prev = ev.hash
        expected_seq = ev.seq + 1
    return faults


def event_from_public(data: Mapping[str, Any]) -> Event:
    """Inverse of :meth:`Event.to_public` (archive files, ``rada verify``)."""
    return Event(
        session_id=UUID(data["session_id"]),
        seq=int(data["seq"]),
        at=parse_time(data["at"]),
        actor=str(data["actor"]),
        type=str(data["type"]),
        payload=data["payload"],
        prev_hash=str(data["prev_hash"]),
        hash=str(data["hash"]),
        media=_media(data.get("media")),
    )


def _media(data: Any) -> Media | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise ValueError("an event's media must be an object {part, ms}")
    part, ms = data.get("part"), data.get("ms")
    if type(part) is not int or type(ms) is not int or part < 1 or ms < 0:
        raise ValueError("an event's media needs a part number and milliseconds")
    return Media(part, ms)
