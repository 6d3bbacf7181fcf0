"""WebVTT chapters of a session's recording, from its journal. Pure code.

Each chapter-worthy event (session opened/closed, agenda item opened, vote opened/closed, every
deputy's answer, breaks) becomes a cue at the media offset of its wall time (R9: the recording
is part of the protocol, so the archive must lead to each item and each vote). The media
timeline is the parts played one after another (the archive playlist); a time inside a part
maps into it, a time in a gap between parts maps to the start of the next part, a time before
the first part to 0 and after the last part to the end. Events that land on the same offset
share one cue (titles joined with "; "); each cue lasts until the next one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from orchestrator.kernel.journal import events as ev

ANSWERS = {"for": "за", "against": "проти", "abstain": "утримався"}


class TimedPart(Protocol):
    @property
    def started_at(self) -> datetime: ...

    @property
    def duration_ms(self) -> int: ...


class JournalEntry(Protocol):
    @property
    def at(self) -> datetime: ...

    @property
    def type(self) -> str: ...

    @property
    def payload(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Cue:
    start_ms: int
    end_ms: int
    title: str


def media_offset_ms(at: datetime, parts: Sequence[TimedPart]) -> int:
    """Where wall time ``at`` falls on the media timeline of ``parts`` (in order)."""
    elapsed = 0
    for part in parts:
        into = round((at - part.started_at).total_seconds() * 1000)
        if into <= 0:  # before this part: in the gap before it (or before the first part)
            return elapsed
        if into < part.duration_ms:
            return elapsed + into
        elapsed += part.duration_ms
    return elapsed


class _Names:
    """Agenda titles and participant names, from the ``session_convened`` event and later
    additions."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.people: dict[str, str] = {}

    def learn(self, entry: JournalEntry) -> None:
        payload = entry.payload
        if entry.type == ev.SESSION_CONVENED:
            self.items = [str(i.get("title", "")) for i in payload.get("agenda", [])]
            for person in payload.get("participants", []):
                self._person(person)
        elif entry.type == ev.PARTICIPANT_ADDED:
            self._person(payload.get("participant", {}))

    def _person(self, person: Mapping[str, Any]) -> None:
        name = " ".join(str(person.get(k) or "") for k in ("surname", "given_name")).strip()
        if person.get("participant_id"):
            self.people[str(person["participant_id"])] = name or "учасник"

    def item(self, index: Any) -> str:
        number = int(index) + 1
        title = self.items[int(index)] if 0 <= int(index) < len(self.items) else ""
        return f"Питання {number}: {title}" if title else f"Питання {number}"

    def person(self, participant_id: Any) -> str:
        return self.people.get(str(participant_id), "учасник")


def _vote(payload: Mapping[str, Any]) -> str:
    text = f"питання {int(payload.get('item', 0)) + 1}"
    if payload.get("amendment") is not None:
        text += f", поправка {payload['amendment']}"
    elif "." in str(payload.get("vote_id", "")):
        text += f", поправка {str(payload['vote_id']).split('.a', 1)[-1]}"
    return text


def title(entry: JournalEntry, names: _Names) -> str | None:
    """The chapter title of a journal event, or None if it is not a chapter."""
    p = entry.payload
    match entry.type:
        case ev.SESSION_OPENED:
            return "Відкриття засідання"
        case ev.ITEM_OPENED:
            return names.item(p.get("item", 0))
        case ev.VOTE_OPENED:
            return f"Поіменне голосування: {_vote(p)}"
        case ev.BALLOT_RECORDED:
            answer = ANSWERS.get(str(p.get("answer")), str(p.get("answer")))
            return f"{names.person(p.get('participant_id'))}: {answer}"
        case ev.DEPUTY_SKIPPED:
            return f"{names.person(p.get('participant_id'))}: не голосував"
        case ev.VOTE_CLOSED:
            verdict = "рішення прийнято" if p.get("adopted") else "рішення не прийнято"
            return (
                f"Підсумки голосування: за {p.get('for', 0)}, проти {p.get('against', 0)}, "
                f"утрималися {p.get('abstain', 0)} — {verdict}"
            )
        case ev.BREAK_DECLARED:
            reason = str(p.get("reason") or "").strip()
            return f"Перерва: {reason}" if reason else "Перерва"
        case ev.BREAK_ENDED:
            return "Продовження засідання після перерви"
        case ev.SESSION_CLOSED:
            return "Закриття засідання"
    return None


def cues(entries: Sequence[JournalEntry], parts: Sequence[TimedPart]) -> list[Cue]:
    """The chapter cues of a session (journal order) over its parts."""
    total = sum(p.duration_ms for p in parts)
    if total <= 0:
        return []
    names = _Names()
    starts: list[tuple[int, list[str]]] = []
    for entry in entries:
        names.learn(entry)
        text = title(entry, names)
        if text is None:
            continue
        offset = min(media_offset_ms(entry.at, parts), total - 1)
        if starts and starts[-1][0] >= offset:
            starts[-1][1].append(text)
        else:
            starts.append((offset, [text]))
    return [
        Cue(start, starts[i + 1][0] if i + 1 < len(starts) else total, "; ".join(texts))
        for i, (start, texts) in enumerate(starts)
    ]


def _timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def render_webvtt(chapter_cues: Sequence[Cue]) -> str:
    """A WebVTT file (``kind="chapters"``) of the cues."""
    blocks = ["WEBVTT"]
    for number, cue in enumerate(chapter_cues, start=1):
        text = cue.title.replace("-->", "→").replace("\n", " ")
        blocks.append(f"{number}\n{_timestamp(cue.start_ms)} --> {_timestamp(cue.end_ms)}\n{text}")
    return "\n\n".join(blocks) + "\n"
