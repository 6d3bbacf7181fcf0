"""WebVTT cue text: a typed title never adds cues to the public player's chapters (R9, R20)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from orchestrator.kernel.webvtt import cue_text
from orchestrator.protocol.model import Protocol
from orchestrator.protocol.render import chapters, to_vtt
from recording.chapters import Cue, render_webvtt

TIMING = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}$")

EVIL = [
    "Бюджет\n\n00:00:00.000 --> 99:00:00.000\nФальшивий розділ",
    "Бюджет\r\rNOTE\r\r1\r00:00:00.000 --> 01:00:00.000\rфальш",
    "Бюджет\r\n\r\nдругий",
    "Бюджет\u2028\u2029абзац",
    "a --> b",
    "<c.evil>тег</c> & ще",
]


def _cues(vtt: str) -> list[list[str]]:
    """The cues a WebVTT parser sees: blocks split at blank lines (CR, LF or CRLF) that hold a
    timing line."""
    lines = re.split(r"\r\n|\r|\n", vtt)
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line == "":
            blocks.append([])
        else:
            blocks[-1].append(line)
    return [b for b in blocks if any("-->" in line for line in b)]


@pytest.mark.parametrize("title", EVIL)
def test_cue_text_is_one_plain_line(title: str) -> None:
    """No line terminator, no ``-->``, no markup start survives in cue text."""
    text = cue_text(title)
    assert re.split(r"\r\n|\r|\n|\u2028|\u2029", text) == [text]
    assert "-->" not in text and "<" not in text and ">" not in text
    assert "&" not in text.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")


@pytest.mark.parametrize("title", EVIL)
def test_recorder_chapters_keep_their_cues(title: str) -> None:
    """The recorder's per-part chapters file has exactly one cue per chapter, whatever the title."""
    vtt = render_webvtt([Cue(0, 1000, title), Cue(1000, 2000, "Перерва")])
    found = _cues(vtt)
    assert len(found) == 2
    assert all(len(c) == 3 and TIMING.match(c[1]) for c in found)


@pytest.mark.parametrize("title", EVIL)
def test_protocol_chapters_keep_their_cues(proto: Protocol, title: str) -> None:
    """The protocol's joint chapters track has exactly one cue per chapter, whatever an item's
    title says."""
    evil = dataclasses.replace(
        proto, items=tuple(dataclasses.replace(i, title=title) for i in proto.items)
    )
    found = _cues(to_vtt(evil))
    assert len(found) == len(chapters(evil))
    assert all(len(c) == 3 and TIMING.match(c[1]) for c in found)
