"""The protocol in the form a council signs: the official heading, СЛУХАЛИ / ВИСТУПИЛИ /
ВИРІШИЛИ per item, the signature block with the signatures made in rada, «сторінка X з Y», the
vote table's header on every page it runs onto, nothing truncated, no internal rule codes."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import UTC, datetime
from html import unescape

import pytest
from pypdf import PdfReader

from orchestrator.protocol import render
from orchestrator.protocol.model import Heading, Protocol, Publication, Signature
from orchestrator.protocol.render import SPOKEN
from tests.protocol_checks import pdf_text

SIGNED_AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # 12:00 in Kyiv


@pytest.fixture(scope="module")
def council_protocol(proto: Protocol) -> Protocol:
    """The played session as a council with its heading settings convened it."""
    heading = Heading(oblast="Житомирської області", city="м. Коростишів")
    return dataclasses.replace(proto, heading=heading)


@pytest.fixture(scope="module")
def signed(council_protocol: Protocol) -> Publication:
    p = council_protocol
    assert p.chair is not None and p.secretary is not None
    return Publication(
        closed_at=p.closed_at,
        deadline=p.publication_deadline,
        finalised_at=SIGNED_AT,
        finalised_by=p.secretary.name,
        protocol_sha256="ab" * 32,
        signatures=(Signature(SIGNED_AT, p.chair.participant_id, p.chair.name, "chair", None),),
        published_at=None,
        late=False,
    )


@pytest.fixture(scope="module")
def pdf(council_protocol: Protocol, signed: Publication) -> bytes:
    return render.to_pdf(council_protocol, signed)


@pytest.fixture(scope="module")
def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_pdf_opens_with_the_official_heading(pages: list[str]) -> None:
    """УКРАЇНА / the council / the oblast / the convocation and session as ordinals in the
    genitive / ПРОТОКОЛ / place / date, in that order on page 1."""
    first = " ".join(pages[0].split())
    expected = [
        "УКРАЇНА",
        "КОРОСТИШІВСЬКА МІСЬКА РАДА",
        "ЖИТОМИРСЬКОЇ ОБЛАСТІ",
        "ВОСЬМОГО СКЛИКАННЯ",
        "ПРОТОКОЛ № 83",
        "вісімдесят третьої сесії",
        "м. Коростишів",
        "20 листопада 2026 року",
    ]
    positions = [first.find(text) for text in expected]
    assert -1 not in positions, list(zip(expected, positions, strict=True))
    assert positions == sorted(positions)


def test_pdf_has_heard_spoke_decided_for_every_item(council_protocol: Protocol, pdf: bytes) -> None:
    """Each item has СЛУХАЛИ, ВИСТУПИЛИ and ВИРІШИЛИ, and each outcome is stated."""
    text = pdf_text(pdf)
    for word in ("СЛУХАЛИ:", "ВИСТУПИЛИ:", "ВИРІШИЛИ:"):
        assert text.count(word) == len(council_protocol.items)
    for v in council_protocol.votes:
        assert v.outcome_uk in text


def test_signature_block_names_the_chair_and_the_secretary_with_the_times(
    council_protocol: Protocol, signed: Publication, pages: list[str]
) -> None:
    """The chair and the secretary sign; what rada recorded of it is printed with its time;
    then a line for every deputy who voted, with whether they have signed (R19)."""
    text = " ".join(" ".join(pages).split())
    last = text[text.index("Міський голова ___") :]  # the signature block
    assert "Міський голова" in last
    assert "Іван ВОЙТЕНКО" in last
    assert "Секретар ради" in last
    assert "Олена ШЕВЧЕНКО" in last
    assert "підписано в rada 20.11.2026 о 12:00" in last
    assert "протокол складено й завершено в rada 20.11.2026 о 12:00" in last
    voted = {r.participant_id for v in council_protocol.votes for r in v.rows if r.answer in SPOKEN}
    signers = {x.participant_id for x in (council_protocol.chair, council_protocol.secretary) if x}
    assert last.count("Депутат ___") == len(voted - signers)
    html = unescape(render.to_html(council_protocol, signed))
    for text in ("Іван ВОЙТЕНКО", "Олена ШЕВЧЕНКО", "підписано в rada 20.11.2026 о 12:00"):
        assert text in html


def test_every_page_is_numbered_of_the_total(pages: list[str]) -> None:
    """«сторінка X з Y» at the foot of every page."""
    total = len(pages)
    assert total > 1
    for number, text in enumerate(pages, start=1):
        assert f"сторінка {number} з {total}" in text


def test_a_vote_table_repeats_its_header_on_each_page(pages: list[str]) -> None:
    """A page that holds roll-call rows also holds the table's header row."""
    row = re.compile(
        r"^\d+ \S+ \S+ \S+ (за|проти|утримал\S+|не голосува\S+|відсутн\S+)", re.MULTILINE
    )
    with_rows = [text for text in pages if row.search(text)]
    assert len(with_rows) >= 2
    for text in with_rows:
        assert "Як подано" in text


def test_nothing_is_truncated_and_no_rule_code_is_printed(pages: list[str]) -> None:
    """Roles are whole («міський голова, головуючий»), no cell ends in «…», and the document
    cites the Регламент or the law, never rada's own «(R7)»."""
    text = "\n".join(pages)
    flat = " ".join(text.split())
    assert "міський голова, головуючий" in flat
    assert "…" not in text.replace("КЕП, SHA-256", "")
    assert re.search(r"\(R\d|\bR\d{1,2}\b", text) is None
    assert "ч. 5 ст. 87 Регламенту" in flat


def test_absent_women_are_absent_in_the_feminine(pages: list[str]) -> None:
    """«відсутня» for a deputy whose patronymic is feminine (Федоренко Ганна Василівна)."""
    flat = " ".join(" ".join(pages).split())
    assert re.search(r"Федоренко Ганна Василівна .{0,40}відсутня", flat)
    assert "Федоренко Ганна Василівна депутат — відсутній" not in flat
