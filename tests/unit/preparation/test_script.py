"""The presiding script (P1): every item and roll call, R15 order, the council's citations."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from orchestrator.kernel.journal import events as ev
from orchestrator.preparation import script

CONVENED = ev.SessionConvened.from_payload(
    {
        "council": {"name": "Коростишівська міська рада", "convocation": 8, "total_composition": 26},
        "number": 83,
        "agenda": [
            {"title": "Про бюджет", "category": "urgent_budget"},
            {"title": "Про водогін", "category": "emergency_works"},
        ],
        "participants": [
            {"participant_id": "m", "surname": "Яковенко", "given_name": "Олег", "kind": "mayor", "role": "chair"},
            {"participant_id": "a", "surname": "Єрмоленко", "given_name": "Іра", "kind": "secretary", "role": "secretary"},
            {"participant_id": "b", "surname": "Ґудзь", "given_name": "Богдан", "kind": "deputy", "role": "deputy"},
            {"participant_id": "c", "surname": "Гнатюк", "given_name": "Ліна", "kind": "deputy", "role": "deputy"},
            {"participant_id": "g", "surname": "Гість", "given_name": "Гліб", "kind": "guest", "role": "guest"},
        ],
        "chair_participant_id": "m",
        "secretary_participant_id": "a",
    }
)  # fmt: skip


def test_script_covers_opening_each_item_and_closing_in_order() -> None:
    """Opening, identification, quorum, agenda, each item with its roll call, break, closing."""
    steps = script.steps(CONVENED, datetime(2026, 5, 22, 7, 0, tzinfo=UTC))
    headings = [s.heading for s in steps]
    assert headings[:4] == ["Відкриття", "Ідентифікація учасників", "Кворум", "Порядок денний"]
    assert headings[4:8] == [
        "Питання 1: Про бюджет",
        "Поіменне голосування з питання 1",
        "Питання 2: Про водогін",
        "Поіменне голосування з питання 2",
    ]
    assert headings[-1] == "Закриття"
    assert "LXXXIII сесію Коростишівської міської ради" in steps[0].words
    assert "о 10:00" in steps[0].words  # Kyiv time (summer: UTC+3)
    assert "щонайменше 14" in steps[2].words


def test_roll_call_in_ukrainian_order_and_no_internal_rule_numbers() -> None:
    """The call order is R15's (Г before Ґ before Є before Я; the guest is not called); the
    words cite the Регламент, never rada's own R-numbers."""
    steps = script.steps(CONVENED, datetime(2026, 5, 22, 7, 0, tzinfo=UTC))
    call = steps[5].note
    assert call == "Порядок виклику: Гнатюк Ліна; Ґудзь Богдан; Єрмоленко Іра; Яковенко Олег."
    text = script.to_text("Порядок ведення", steps)
    assert "Регламенту" in text
    assert not re.search(r"\bR\d{1,2}\b", text)
