"""R1: the only kinds of question a remote session may consider, with their Ukrainian names."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    URGENT_BUDGET = "urgent_budget"
    EMERGENCY_WORKS = "emergency_works"
    SEVERE_EMERGENCY = "severe_emergency"
    RELATED_POWERS = "related_powers"
    PROCEDURAL = "procedural"


CATEGORY_UK: dict[Category, str] = {
    Category.URGENT_BUDGET: "Невідкладні зміни до місцевого бюджету",
    Category.EMERGENCY_WORKS: "Невідкладні роботи з ліквідації наслідків надзвичайних ситуацій",
    Category.SEVERE_EMERGENCY: (
        "Ліквідація особливо тяжких надзвичайних ситуацій, спричинених епідеміями, пандеміями"
    ),
    Category.RELATED_POWERS: "Здійснення повноважень, пов'язаних із такими обставинами",
    Category.PROCEDURAL: "Процедурні питання, пов'язані з такими обставинами",
}


def category_uk(code: str) -> str:
    """The Ukrainian name of a category code (the code itself if unknown)."""
    try:
        return CATEGORY_UK[Category(code)]
    except ValueError:
        return code
