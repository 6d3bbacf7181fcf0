"""The plan as the familiar table (P1, P2): an A4 PDF with №, захід, термін, відповідальні.

fpdf2 with the protocol's embedded Cyrillic font; the title carries the session's Roman numeral
and the convocation's ordinal (P2). Done measures are marked «виконано», overdue ones
«прострочено», as on the office's page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from orchestrator.kernel.kyivtime import KYIV, day_uk
from orchestrator.preparation.plan import STATE_UK, PlanLine, State
from orchestrator.protocol.render import font_files

HEADER = ("№", "Захід", "Термін", "Відповідальні", "Стан")
WIDTHS = (9.0, 72.0, 34.0, 36.0, 29.0)  # 180 mm: A4 less the margins


def plan_pdf(title: str, lines: Sequence[PlanLine], now: datetime) -> bytes:
    from fpdf import FPDF  # fpdf2 is a runtime dependency; imported lazily as the protocol does

    regular, bold = font_files()
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_lang("uk")
    pdf.set_creator("rada")
    pdf.add_font("SSP", "", str(regular))
    pdf.add_font("SSP", "B", str(bold))
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("SSP", "B", 12)
    pdf.multi_cell(0, 6, title, align="C")
    pdf.ln(2)
    pdf.set_font("SSP", "", 9)
    local = now.astimezone(KYIV)
    pdf.cell(0, 5, f"Стан на {local:%H:%M} {day_uk(local.date())} р. (за київським часом)")
    pdf.ln(7)

    def header() -> None:
        pdf.set_font("SSP", "B", 9)
        pdf.set_fill_color(235, 238, 242)
        for text, w in zip(HEADER, WIDTHS, strict=True):
            pdf.cell(w, 6, text, border=1, fill=True)
        pdf.ln(6)
        pdf.set_font("SSP", "", 9)

    header()
    for line in lines:
        state = STATE_UK[line.state]
        if line.state is State.DONE and line.done is not None:
            state += f" {line.done.at.astimezone(KYIV):%d.%m %H:%M}"
        row = (str(line.no), line.spec.title, line.deadline_uk, line.spec.responsible, state)
        heights = []
        for text, w in zip(row, WIDTHS, strict=True):
            wrapped = pdf.multi_cell(w - 2, 4.5, text, dry_run=True, output="LINES")
            heights.append(len(wrapped) if isinstance(wrapped, list) else 1)
        height = max(heights) * 4.5 + 1.5
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            header()
        y = pdf.get_y()
        x = pdf.l_margin
        for text, w in zip(row, WIDTHS, strict=True):
            pdf.rect(x, y, w, height)
            pdf.set_xy(x + 1, y + 0.75)
            pdf.multi_cell(w - 2, 4.5, text)
            x += w
        pdf.set_xy(pdf.l_margin, y + height)
    return bytes(pdf.output())
