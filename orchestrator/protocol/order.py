"""The order that calls an executive committee's remote meeting (E1–E3): «розпорядження про
проведення дистанційного засідання виконавчого комітету», as HTML and PDF.

Pure: folded from the session's journal (``session_convened``, ``session_announced``) alone, so
the document the general department publishes (E1) says exactly what was convened: who calls
and presides (the mayor, or the stand-in of E1 with the reason), when, the agenda with each
question's category (E3: only those of R1), where the community watches, and the instruction
to publish it and to send the agenda and drafts to the members' personal e-mail at least 24
hours ahead (E2, E3).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jinja2

from orchestrator.convening.bodies import KIND_UK, RuleSet, body_title, council_genitive, rule_set
from orchestrator.convening.categories import category_uk
from orchestrator.kernel.errors import NotFound
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import Event, parse_time
from orchestrator.kernel.kyivtime import KYIV, day_uk
from orchestrator.kernel.web.templating import make_environment
from orchestrator.protocol.render import font_files

ORDER_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
"""The order's HTML is a document: its own inline style, nothing else, never framed."""


@dataclass(frozen=True, slots=True)
class OrderItem:
    number: int
    title: str
    category_uk: str


@dataclass(frozen=True, slots=True)
class CallingOrder:
    """What the order says, in the words it prints them."""

    session_id: str
    council_name: str
    body_name: str  # «Виконавчий комітет Коростишівської міської ради»
    oblast: str
    place: str
    number: int | str  # the meeting's number
    title: str
    issuer_title: str  # «Міський голова» / «Перший заступник міського голови»
    issuer_name: str  # «Олена КОВАЛЕНКО»
    issuer_genitive: str  # «міського голови» / «першого заступника міського голови»
    reason: str | None  # E1: why the mayor does not call it
    starts_at: datetime | None
    announced_at: datetime | None
    broadcast_url: str | None
    items: tuple[OrderItem, ...]
    citation: str  # «п. 1.2 Порядку …»

    @property
    def starts_text(self) -> str:
        at = self.starts_at
        return (
            "—"
            if at is None
            else f"{day_uk(at.astimezone(KYIV).date())} року о {at.astimezone(KYIV):%H:%M}"
        )

    @property
    def date_text(self) -> str:
        at = self.announced_at
        return "—" if at is None else f"{day_uk(at.astimezone(KYIV).date())} року"


_ISSUER_GENITIVE = {
    "mayor": "міського голови",
    "first_deputy_mayor": "першого заступника міського голови",
    "deputy_mayor": "заступника міського голови з питань діяльності виконавчих органів",
}


def _time(value: str | None) -> datetime | None:
    try:
        return parse_time(value) if value else None
    except ValueError:
        return None


def build(events: Iterable[Event]) -> CallingOrder:
    """The order of a convened executive-committee meeting; ``NotFound`` for a council's
    session (its sessions are called by the council's own procedure, R5)."""
    convened: ev.SessionConvened | None = None
    announced: ev.SessionAnnounced | None = None
    session_id = ""
    for e in events:
        if e.type == ev.SESSION_CONVENED:
            convened = ev.SessionConvened.from_payload(e.payload)
            session_id = str(e.session_id)
        elif e.type == ev.SESSION_ANNOUNCED:
            announced = ev.SessionAnnounced.from_payload(e.payload)
    rules: RuleSet = rule_set(
        None if convened is None or convened.body is None else convened.body.kind
    )
    if convened is None or rules.citations is None:
        raise NotFound(
            "only an executive committee's meeting is called by such an order (E1)",
            code="no_calling_order",
        )
    council = convened.council or ev.Council()
    chair = next(
        (p for p in convened.participants if p.participant_id == convened.chair_participant_id),
        None,
    )
    kind = chair.kind if chair is not None and chair.kind else "mayor"
    issuer = KIND_UK.get(kind, kind)
    return CallingOrder(
        session_id=session_id,
        council_name=council.name,
        body_name=body_title(rules, council.name),
        oblast=council.oblast,
        place=council.place,
        number="" if convened.number is None else convened.number,
        title=convened.title,
        issuer_title=issuer[:1].upper() + issuer[1:],
        issuer_name=""
        if chair is None
        else " ".join(x for x in (chair.given_name, chair.surname.upper()) if x),
        issuer_genitive=_ISSUER_GENITIVE.get(kind, issuer),
        reason=convened.chair_reason if kind != "mayor" else None,
        starts_at=_time(announced.starts_at if announced else None) or _time(convened.starts_at),
        announced_at=_time(announced.announced_at) if announced else None,
        broadcast_url=convened.broadcast_url,
        items=tuple(
            OrderItem(i + 1, a.title, category_uk(a.category))
            for i, a in enumerate(convened.agenda)
        ),
        citation=rules.citations.get("R5", ""),
    )


@functools.cache
def _environment() -> jinja2.Environment:
    return make_environment({"council_genitive": council_genitive}, {})


def to_html(order: CallingOrder) -> str:
    """The order as a standalone HTML document (``templates/calling_order.html``)."""
    return _environment().get_template("calling_order.html").render(o=order, lines=lines(order))


def lines(order: CallingOrder) -> list[tuple[str, str]]:
    """The order's text as (style, text) lines, in reading order: what the PDF prints."""
    out: list[tuple[str, str]] = [("center", "УКРАЇНА"), ("center", order.council_name.upper())]
    if order.oblast:
        out.append(("center", order.oblast.upper()))
    out += [
        ("title", "РОЗПОРЯДЖЕННЯ"),
        ("center", order.issuer_genitive),
        ("row", f"{order.date_text}\t{order.place or ''}\t№ ____"),
        ("bold", "Про проведення дистанційного засідання виконавчого комітету"),
        ("para", preamble(order)),
        (
            "para",
            f"1. Провести {order.starts_text} дистанційне засідання виконавчого комітету "
            f"{council_genitive(order.council_name)} в режимі відеоконференції "
            f"(засідання № {order.number}{f' «{order.title}»' if order.title else ''}).",
        ),
        ("para", "2. Затвердити порядок денний засідання:"),
    ]
    out += [("item", f"{i.number}. {i.title} ({i.category_uk.lower()})") for i in order.items]
    out += [
        (
            "para",
            "3. Загальному відділу оприлюднити це розпорядження та порядок денний на "
            "офіційному вебсайті ради, надіслати порядок денний і проєкти рішень членам "
            "виконавчого комітету на адреси електронної пошти, які вони надали особисто, "
            "не пізніше ніж за 24 години до початку засідання.",
        ),
        (
            "para",
            "4. Ідентифікацію та голосування членів виконавчого комітету здійснювати за "
            "особистими номерами телефонів, наданими ними особисто; відкриту трансляцію "
            f"засідання для громади вести за адресою {order.broadcast_url or '—'}.",
        ),
        ("para", "5. Контроль за виконанням цього розпорядження залишаю за собою."),
        ("sign", f"{order.issuer_title}\t_______________\t{order.issuer_name}"),
    ]
    return out


def preamble(order: CallingOrder) -> str:
    text = "Відповідно до Закону України «Про місцеве самоврядування в Україні»"
    if order.citation:
        text += f" та {order.citation}"
    if order.reason:
        text += (
            f", у зв'язку з тим, що міський голова не може здійснювати цю функцію ({order.reason})"
        )
    return text + ":"


def to_pdf(order: CallingOrder) -> bytes:
    """The order as an A4 PDF with the protocol's embedded Cyrillic font."""
    from fpdf import FPDF

    regular, bold = font_files()
    pdf = FPDF(format="A4")
    pdf.set_title(f"Розпорядження про проведення засідання № {order.number}")
    pdf.set_lang("uk")
    pdf.set_creator("rada")
    pdf.add_font("SSP", "", str(regular))
    pdf.add_font("SSP", "B", str(bold))
    pdf.set_margins(25, 15, 15)
    pdf.add_page()
    width = pdf.epw
    for style, text in lines(order):
        if style in ("center", "title"):
            pdf.set_font("SSP", "B", 16 if style == "title" else 11)
            pdf.multi_cell(width, 7, text, align="C", new_x="LMARGIN", new_y="NEXT")
        elif style in ("row", "sign"):
            pdf.ln(4)
            pdf.set_font("SSP", "B" if style == "sign" else "", 11)
            cells = text.split("\t")
            for k, cell in enumerate(cells):
                last = k == len(cells) - 1
                pdf.cell(
                    width / len(cells),
                    7,
                    cell,
                    align="R" if last else "L",
                    new_x="LMARGIN" if last else "RIGHT",
                    new_y="NEXT" if last else "TOP",
                )
        else:
            pdf.ln(2)
            pdf.set_font("SSP", "B" if style == "bold" else "", 11)
            indent = 8 if style == "item" else 0
            pdf.set_x(pdf.l_margin + indent)
            pdf.multi_cell(width - indent, 6, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def as_json(order: CallingOrder) -> dict[str, Any]:
    """What the order says, for the API."""
    return {
        "body_name": order.body_name,
        "issuer": {"title": order.issuer_title, "name": order.issuer_name},
        "reason": order.reason,
        "starts_at": None if order.starts_at is None else order.starts_at.isoformat(),
        "agenda": [
            {"number": i.number, "title": i.title, "category_uk": i.category_uk}
            for i in order.items
        ],
        "broadcast_url": order.broadcast_url,
        "text": [text for _style, text in lines(order)],
    }
