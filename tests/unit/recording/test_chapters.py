"""Chapters: journal wall times mapped onto the media timeline of the parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import Media
from recording.chapters import Cue, cues, media_offset_ms, render_webvtt

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Part:
    started_at: datetime
    duration_ms: int
    part: int = 0


@dataclass(frozen=True)
class Entry:
    at: datetime
    type: str
    payload: dict[str, Any] = field(default_factory=dict)
    media: Media | None = None


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# part 1: 0–60 s, gap 60–90 s, part 2: 90–150 s  → media: part 1 = 0–60 000, part 2 = 60 000–120 000
PARTS = [Part(at(0), 60_000, 1), Part(at(90), 60_000, 2)]


@pytest.mark.parametrize(
    ("seconds", "offset"),
    [
        (-5, 0),  # before the first part
        (0, 0),
        (12.345, 12_345),
        (59.999, 59_999),
        (60, 60_000),  # the end of part 1 is the start of part 2 on the media timeline
        (75, 60_000),  # in the gap: the start of the next part
        (90, 60_000),
        (100, 70_000),
        (150, 120_000),  # the end
        (500, 120_000),  # after the last part: the end
    ],
)
def test_media_offset(seconds: float, offset: int) -> None:
    """A time inside a part maps into it; in a gap, to the start of the next part."""
    assert media_offset_ms(at(seconds), PARTS) == offset


CONVENED = Entry(
    at(-600),
    ev.SESSION_CONVENED,
    {
        "agenda": [{"title": "Про зміни до бюджету"}, {"title": "Про ліквідацію наслідків"}],
        "participants": [
            {"participant_id": "p-1", "surname": "Бойко", "given_name": "Олена"},
            {"participant_id": "p-2", "surname": "Антоненко", "given_name": "Іван"},
        ],
    },
)


def test_cues_titles_and_ends() -> None:
    """Items, votes, each answer and breaks become cues lasting until the next one; events in a
    gap share the cue at the next part's start."""
    journal = [
        CONVENED,
        Entry(at(1), ev.SESSION_OPENED, {"by": "p-0"}),
        Entry(at(5), ev.ITEM_OPENED, {"item": 0}),
        Entry(at(20), ev.VOTE_OPENED, {"vote_id": "0", "item": 0, "amendment": None}),
        Entry(at(21), ev.DEPUTY_CALLED, {"vote_id": "0", "participant_id": "p-2"}),
        Entry(
            at(25), ev.BALLOT_RECORDED, {"vote_id": "0", "participant_id": "p-2", "answer": "for"}
        ),
        Entry(
            at(30),
            ev.BALLOT_RECORDED,
            {"vote_id": "0", "participant_id": "p-1", "answer": "abstain"},
        ),
        Entry(
            at(40),
            ev.VOTE_CLOSED,
            {"vote_id": "0", "for": 1, "against": 0, "abstain": 1, "adopted": False},
        ),
        Entry(
            at(61), ev.BREAK_DECLARED, {"cause": "recording_lost", "reason": "зникла трансляція"}
        ),
        Entry(at(88), ev.BREAK_ENDED, {"by": "p-0"}),
        Entry(at(95), ev.ITEM_OPENED, {"item": 1}),
        Entry(at(200), ev.SESSION_CLOSED, {"by": "p-0"}),
    ]
    result = cues(journal, PARTS)
    assert result == [
        Cue(1_000, 5_000, "Відкриття засідання"),
        Cue(5_000, 20_000, "Питання 1: Про зміни до бюджету"),
        Cue(20_000, 25_000, "Поіменне голосування: питання 1"),
        Cue(25_000, 30_000, "Антоненко Іван: за"),
        Cue(30_000, 40_000, "Бойко Олена: утримався"),
        Cue(
            40_000,
            60_000,
            "Підсумки голосування: за 1, проти 0, утрималися 1 — рішення не прийнято",
        ),
        Cue(60_000, 65_000, "Перерва: зникла трансляція; Продовження засідання після перерви"),
        Cue(65_000, 119_999, "Питання 2: Про ліквідацію наслідків"),
        Cue(119_999, 120_000, "Закриття засідання"),
    ]


def test_no_parts_no_cues() -> None:
    """Without recorded media there is nothing to point into."""
    assert cues([CONVENED, Entry(at(1), ev.SESSION_OPENED)], []) == []


def test_webvtt_rendering() -> None:
    """WebVTT header, numbered cues, hh:mm:ss.mmm times; "-->" cannot appear in a title."""
    text = render_webvtt([Cue(0, 3_723_004, "a --> b"), Cue(3_723_004, 3_800_000, "Перерва")])
    assert text == (
        "WEBVTT\n\n1\n00:00:00.000 --> 01:02:03.004\na → b\n\n"
        "2\n01:02:03.004 --> 01:03:20.000\nПерерва\n"
    )


def test_amendment_votes_are_named() -> None:
    """A vote on amendment k says so."""
    journal = [
        CONVENED,
        Entry(at(2), ev.VOTE_OPENED, {"vote_id": "1.a2", "item": 1, "amendment": 2}),
    ]
    (cue,) = cues(journal, PARTS)
    assert cue.title == "Поіменне голосування: питання 2, поправка 2"


@pytest.mark.parametrize(
    ("wall", "media", "offset"),
    [
        (3600.0, Media(1, 30_000), 30_000),  # the wall clock an hour ahead: media decides
        (-3600.0, Media(2, 10_000), 70_000),  # an hour behind, in part 2
        (45.0, Media(2, 99_999), 119_999),  # past the part's end: held within it
        (45.0, Media(7, 5_000), 45_000),  # a part not in the recording: wall time applies
    ],
)
def test_media_place_beats_wall_time(wall: float, media: Media, offset: int) -> None:
    """R9: an event journaled while media flowed lands at its media place, whatever the wall
    clock said; without a place in these parts its wall time is mapped as before."""
    assert media_offset_ms(at(wall), PARTS, media) == offset
