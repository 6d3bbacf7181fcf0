"""WebVTT chapters of a session's recording, from its journal. Pure code.

Each chapter-worthy event (session opened/closed, agenda item opened, vote opened/closed, every
deputy's answer, breaks) becomes a cue at its place on the recording (R9: the recording is
part of the protocol, so the archive must lead to each item and each vote). The media timeline
is the parts played one after another (the archive playlist). An event journaled while media
flowed carries its place (part and position, from the recorder's media clock): a wall clock
stepping does not move it. Otherwise its wall time is mapped: a time inside a part maps into
it, a time in a gap between parts to the start of the next part, a time before the first part
to 0 and after the last part to the end. Events that land on the same offset
share one cue (titles joined with "; "); each cue lasts until the next one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import Media
from orchestrator.kernel.webvtt import cue_text

ANSWERS = {"for": "за", "against": "проти", "abstain": "утримався"}


class TimedPart(Protocol):
    @property
    def part(self) -> int: ...

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

    @property
    def media(self) -> Media | None: ...


@dataclass(frozen=True, slots=True)
class Cue:
    start_ms: int
    end_ms: int
    title: str


def media_offset_ms(at: datetime, parts: Sequence[TimedPart], media: Media | None = None) -> int:
    """Where a moment falls on the media timeline of ``parts`` (in order): its ``media`` place
    when it has one in these parts (within the part's length), else its wall time ``at``."""
    elapsed = 0
    if media is not None:
        for part in parts:
            if part.part == media.part:
                return elapsed + min(media.ms, max(part.duration_ms - 1, 0))
            elapsed += part.duration_ms
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
        handler = _LEARN.get(entry.type)
        if handler is not None:
            handler(self, ev.typed(entry.type, entry.payload))

    def on_convened(self, p: ev.SessionConvened) -> None:
        self.items = [i.title for i in p.agenda]
        for person in p.participants:
            self.listed(person)

    def on_added(self, p: ev.ParticipantAdded) -> None:
        self.listed(p.participant)

    def listed(self, person: ev.Participant) -> None:
        name = " ".join((person.surname, person.given_name)).strip()
        if person.participant_id:
            self.people[person.participant_id] = name or "учасник"

    def item(self, index: int) -> str:
        number = index + 1
        title = self.items[index] if 0 <= index < len(self.items) else ""
        return f"Питання {number}: {title}" if title else f"Питання {number}"

    def person(self, participant_id: str) -> str:
        return self.people.get(participant_id, "учасник")


_LEARN: Mapping[str, Callable[[_Names, Any], None]] = {
    ev.SESSION_CONVENED: _Names.on_convened,
    ev.PARTICIPANT_ADDED: _Names.on_added,
}
"""Where names come from: event type -> the :class:`_Names` method that learns them."""


def _vote(p: ev.VoteOpened) -> str:
    text = f"питання {p.item + 1}"
    if p.amendment is not None:
        text += f", поправка {p.amendment}"
    elif "." in p.vote_id:
        text += f", поправка {p.vote_id.split('.a', 1)[-1]}"
    return text


def _opened(p: ev.SessionOpened, names: _Names) -> str:
    return "Відкриття засідання"


def _item_opened(p: ev.ItemOpened, names: _Names) -> str:
    return names.item(p.item)


def _vote_opened(p: ev.VoteOpened, names: _Names) -> str:
    return f"Поіменне голосування: {_vote(p)}"


def _ballot(p: ev.BallotRecorded, names: _Names) -> str:
    return f"{names.person(p.participant_id)}: {ANSWERS.get(p.answer, p.answer)}"


def _skipped(p: ev.DeputySkipped, names: _Names) -> str:
    return f"{names.person(p.participant_id)}: не голосував"


def _vote_closed(p: ev.VoteClosed, names: _Names) -> str:
    verdict = "рішення прийнято" if p.adopted else "рішення не прийнято"
    return (
        f"Підсумки голосування: за {p.for_ or 0}, проти {p.against or 0}, "
        f"утрималися {p.abstain or 0} — {verdict}"
    )


def _break_declared(p: ev.BreakDeclared, names: _Names) -> str:
    reason = p.reason.strip()
    return f"Перерва: {reason}" if reason else "Перерва"


def _break_ended(p: ev.BreakEnded, names: _Names) -> str:
    return "Продовження засідання після перерви"


def _closed(p: ev.SessionClosed, names: _Names) -> str:
    return "Закриття засідання"


TITLES: Mapping[str, Callable[[Any, _Names], str]] = {
    ev.SESSION_OPENED: _opened,
    ev.ITEM_OPENED: _item_opened,
    ev.VOTE_OPENED: _vote_opened,
    ev.BALLOT_RECORDED: _ballot,
    ev.DEPUTY_SKIPPED: _skipped,
    ev.VOTE_CLOSED: _vote_closed,
    ev.BREAK_DECLARED: _break_declared,
    ev.BREAK_ENDED: _break_ended,
    ev.SESSION_CLOSED: _closed,
}
"""The chapter-worthy events: event type -> the title of its cue."""


def title(entry: JournalEntry, names: _Names) -> str | None:
    """The chapter title of a journal event, or None if it is not a chapter."""
    handler = TITLES.get(entry.type)
    return None if handler is None else handler(ev.typed(entry.type, entry.payload), names)


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
        offset = min(media_offset_ms(entry.at, parts, entry.media), total - 1)
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
        text = cue_text(cue.title)
        blocks.append(f"{number}\n{_timestamp(cue.start_ms)} --> {_timestamp(cue.end_ms)}\n{text}")
    return "\n\n".join(blocks) + "\n"
