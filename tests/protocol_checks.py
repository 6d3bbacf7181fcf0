"""Checks shared by the protocol's tests: the printed formats say what the model says."""

from __future__ import annotations

import io

from pypdf import PdfReader

from orchestrator.protocol.model import Protocol


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def assert_formats_agree(p: Protocol, html_text: str, pdf: str) -> None:
    """The seal, every outcome and every voter's name appear in the HTML text and the PDF text."""
    flat = pdf.replace("\n", " ")
    assert p.seal in html_text
    assert p.seal in pdf.replace("\n", "")
    for v in p.votes:
        assert v.outcome_uk in html_text
        assert v.outcome_uk in flat
        for r in v.rows:
            assert r.name in html_text
            assert r.name in flat
