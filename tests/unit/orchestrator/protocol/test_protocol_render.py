"""The protocol printed as JSON, HTML, PDF and WebVTT chapters says the same thing."""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from orchestrator.protocol.render import (
    chapters,
    hms,
    protocol_sha256,
    to_dict,
    to_html,
    to_json,
    to_part_vtts,
    to_pdf,
    to_vtt,
)
from tests.protocol_checks import assert_formats_agree


@pytest.fixture(scope="module")
def pdf_text(proto):
    reader = PdfReader(io.BytesIO(to_pdf(proto)))
    return "\n".join(page.extract_text() for page in reader.pages)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.fixture(scope="module")
def html(proto):
    parser = _Text()
    parser.feed(to_html(proto))
    return parser


def test_json_is_canonical_and_round_trips(proto):
    """JSON bytes are stable (sorted keys) and parse back to the same content."""
    data = to_json(proto)
    assert data == to_json(proto)
    assert json.loads(data) == json.loads(json.dumps(to_dict(proto)))
    assert len(protocol_sha256(proto)) == 64


def test_json_carries_roll_call_totals_and_seal(played, proto):
    """JSON: every vote's named rows and totals, the recording, the seal."""
    doc = json.loads(to_json(proto))
    assert doc["place"] == "дистанційно"
    assert doc["seal"]["hash"] == played.events[-1].hash
    vote = doc["agenda"][0]["vote"]
    assert len(vote["roll_call"]) == 25 + 2  # mayor + 24 present deputies, then 2 absent
    assert vote["totals"]["not_voted"] == 1
    assert doc["agenda"][1]["amendments"][0]["vote"]["vote_id"] == "1.a0"
    assert [p["part"] for p in doc["recording"]["parts"]] == [1, 2]
    assert doc["breaks"][0]["cause"] == "recording_lost"


def test_html_is_ukrainian_accessible_and_self_contained(proto, html):
    """HTML: lang=uk, main landmark, captioned tables with header cells, nothing external."""
    source = to_html(proto)
    assert '<html lang="uk">' in source
    tags = [t for t, _ in html.tags]
    assert "main" in tags
    assert "caption" in tags
    assert "th" in tags
    for tag, attrs in html.tags:
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not re.match(r"(https?:)?//", value), f"{tag} loads {value}"
    assert all(attrs.get("scope") for tag, attrs in html.tags if tag == "th")


def test_html_pdf_and_json_agree_on_names_totals_and_seal(proto, html, pdf_text):
    """Every voter's name, each outcome and the seal appear in HTML and PDF as in JSON."""
    text = " ".join(html.parts)
    assert_formats_agree(proto, text, pdf_text)
    for part in proto.recording.parts:
        assert part.sha256 in text
        assert part.sha256 in pdf_text.replace("\n", "")


def test_pdf_renders_ukrainian_text(pdf_text):
    """The PDF embeds a Cyrillic font: its extracted text holds Ukrainian words."""
    for word in (
        "ПРОТОКОЛ",
        "дистанційно",
        "Поіменне голосування",
        "Ґудзь",
        "Їжакевич",
        "Єременко",
        "утримався",
        "відсутній",
        "Перерви",
    ):
        assert word in pdf_text


def test_the_documents_cite_the_regulation_and_the_law_not_rule_codes(html, pdf_text):
    """The documents cite the Регламент's articles and the law (R1, R7, R9, R11, R13, R15), as
    a reader can look them up; rada's own rule codes (R7…) appear nowhere."""
    text = " ".join(html.parts)
    flat = pdf_text.replace("\n", " ")
    for citation in (
        "ч. 3 ст. 86 Регламенту",  # R1
        "ч. 5 ст. 87 Регламенту",  # R7
        "ч. 2 ст. 88 Регламенту",  # R9
        "ч. 4 ст. 88 Регламенту",  # R11
        "ч. 1 ст. 89 Регламенту; ст. 59 Закону України «Про місцеве самоврядування в Україні»",
        "ч. 3 ст. 89 Регламенту",  # R15
    ):
        assert citation in text
        assert citation in flat
    assert re.search(r"\(R\d|\bR\d{1,2}\b", text) is None
    assert re.search(r"\(R\d|\bR\d{1,2}\b", flat) is None


def test_chapters_cover_items_votes_and_breaks_in_time_order(proto):
    """WebVTT chapters: one cue per item, vote and break, ordered, offsets from the protocol."""
    cues = chapters(proto)
    ids = [c[0] for c in cues]
    assert {
        "item-1",
        "item-2",
        "item-3",
        "vote-0",
        "vote-1",
        "vote-1.a0",
        "vote-2",
        "break-1",
    } <= set(ids)
    assert [c[1] for c in cues] == sorted(c[1] for c in cues)
    vote = proto.items[2].vote
    assert vote is not None
    assert vote.offset is not None
    assert dict((c[0], c[1]) for c in cues)["vote-2"] == vote.offset.ms


def test_vtt_is_well_formed(proto):
    """Each cue has an id, a start before its end, and a title."""
    vtt = to_vtt(proto)
    assert vtt.startswith("WEBVTT\n\n")
    blocks = [b for b in vtt.split("\n\n")[1:] if b.strip()]
    assert len(blocks) == len(chapters(proto))
    for block in blocks:
        _cue_id, timing, title = block.strip().split("\n")
        start, end = timing.split(" --> ")
        assert start < end
        assert title


@pytest.mark.parametrize(
    ("ms", "text"), [(None, "—"), (0, "0:00:00"), (61_999, "0:01:01"), (3_723_000, "1:02:03")]
)
def test_hms_formats_durations(ms, text):
    """Durations and offsets print as H:MM:SS."""
    assert hms(ms) == text


def test_part_vtts_time_chapters_from_each_part_start(proto):
    """Per-part chapter files: the vote after the break starts at its offset inside part 2."""
    per_part = to_part_vtts(proto)
    assert set(per_part) == {1, 2}
    vote = proto.items[2].vote
    assert vote is not None
    assert vote.offset is not None
    assert vote.offset.part == 2
    block = next(b for b in per_part[2].split("\n\n") if b.startswith("vote-2\n"))
    start = block.split("\n")[1].split(" --> ")[0]
    h, m, rest = start.split(":")
    assert (int(h) * 3600 + int(m) * 60) * 1000 + round(float(rest) * 1000) == vote.offset.part_ms
    assert "vote-2\n" not in per_part[1]
