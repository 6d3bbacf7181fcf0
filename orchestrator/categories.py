"""The agenda categories a remote session may consider (R1), with their Ukrainian names.

One place for the mapping: convening validates against :class:`Category`, the protocol, the
live state and the public pages print :data:`UKRAINIAN`. Wording follows the Korostyshiv rules,
art. 86.3 (``shared/regulations/003``).
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """R1: the only kinds of question a remote plenary session may consider."""

    URGENT_BUDGET = "urgent_budget"
    EMERGENCY_WORKS = "emergency_works"
    SEVERE_EMERGENCY = "severe_emergency"
    RELATED_POWERS = "related_powers"
    PROCEDURAL = "procedural"


UKRAINIAN: dict[Category, str] = {
    Category.URGENT_BUDGET: "Невідкладне внесення змін до місцевого бюджету",
    Category.EMERGENCY_WORKS: "Невідкладні роботи з ліквідації наслідків надзвичайних ситуацій",
    Category.SEVERE_EMERGENCY: (
        "Ліквідація особливо тяжких надзвичайних ситуацій, "
        "спричинених спалахами епідемій та пандемій"
    ),
    Category.RELATED_POWERS: "Реалізація повноважень, пов'язаних з такими обставинами",
    Category.PROCEDURAL: "Процедурні питання, пов'язані з такими обставинами",
}


def is_permitted(value: str) -> bool:
    """Whether ``value`` names one of the R1 categories."""
    return value in Category._value2member_map_


def ukrainian(value: str) -> str:
    """The Ukrainian name of a category; an unknown value is returned as is (never hidden)."""
    if is_permitted(value):
        return UKRAINIAN[Category(value)]
    return value
