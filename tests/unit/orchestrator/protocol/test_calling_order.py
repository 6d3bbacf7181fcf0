"""The order calling an executive committee's remote meeting (E1–E3), from the journal."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from orchestrator.kernel.errors import NotFound
from orchestrator.protocol import order
from tests.unit.orchestrator.conduct_fixtures import announced_book
from tests.unit.orchestrator.executive_fixtures import PRESENT, meeting


def test_the_order_names_the_stand_in_the_reason_the_agenda_and_the_24_hours() -> None:
    """E1: the first deputy mayor calls it because the mayor cannot, with the reason; E3: the
    agenda with its R1 categories; E2: published and e-mailed to personal addresses 24 h ahead."""
    o = order.build(meeting(PRESENT).events)
    assert o.issuer_title == "Перший заступник міського голови"
    assert o.issuer_genitive == "першого заступника міського голови"
    assert o.reason == "міський голова у відпустці"
    assert [i.number for i in o.items] == [1, 2]
    html = order.to_html(o)
    assert "<h1>РОЗПОРЯДЖЕННЯ</h1>" in html
    assert "Про проведення дистанційного засідання виконавчого комітету" in html
    assert "дистанційне засідання виконавчого комітету Тестової міської ради" in html
    assert "23 листопада 2026 року о 12:00" in html  # Kyiv time
    assert "міський голова у відпустці" in html
    assert "п. 1.2 Порядку проведення дистанційного засідання виконавчого комітету" in html
    assert "надали особисто" in html and "не пізніше ніж за 24 години" in html
    assert "невідкладні зміни до місцевого бюджету" in html.lower()
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(order.to_pdf(o))).pages).split()
    )
    assert "РОЗПОРЯДЖЕННЯ" in text and "першого заступника міського голови" in text
    assert "Перший заступник міського голови" in text


def test_a_council_session_has_no_such_order() -> None:
    """The council's sessions are called by its own procedure (R5): no committee order."""
    with pytest.raises(NotFound):
        order.build(announced_book().events)
