"""What documents and public pages cite for each rule: the council's Регламент or the law.

The rule numbers R1–R20 are the project's own index (code, tests and logs cite them); a citizen
cannot look them up, so the protocol and the public pages print the article of the council's
Регламент or of the law instead. Each council may set its own article numbers
(``councils.citations``); the defaults follow the Korostyshiv Регламент, section XVIII
(arts. 86–89), and the Закон України «Про місцеве самоврядування в Україні». Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from orchestrator.kernel.errors import Invalid

LAW: Final = "Закону України «Про місцеве самоврядування в Україні»"
REGULATION: Final = "Регламенту"

DEFAULT_CITATIONS: Final[Mapping[str, str]] = {
    "R1": f"ч. 3 ст. 86 {REGULATION}",
    "R2": f"п. 1.4 ст. 86 {REGULATION}",
    "R3": f"ч. 1 ст. 87 {REGULATION}; ст. 46 {LAW}",
    "R4": f"ч. 2 ст. 87 {REGULATION}",
    "R5": f"ч. 3 ст. 87 {REGULATION}",
    "R6": f"ч. 4 ст. 87 {REGULATION}",
    "R7": f"ч. 5 ст. 87 {REGULATION}",
    "R8": f"ч. 1 ст. 88 {REGULATION}",
    "R9": f"ч. 2 ст. 88 {REGULATION}",
    "R10": f"ч. 3 ст. 88 {REGULATION}",
    "R11": f"ч. 4 ст. 88 {REGULATION}",
    "R12": f"ч. 5 ст. 88 {REGULATION}",
    "R13": f"ч. 1 ст. 89 {REGULATION}; ст. 59 {LAW}",
    "R14": f"ч. 2 ст. 89 {REGULATION}",
    "R15": f"ч. 3 ст. 89 {REGULATION}",
    "R16": f"ч. 4 ст. 89 {REGULATION}",
    "R17": f"ч. 5 ст. 89 {REGULATION}",
    "R18": f"ч. 6 ст. 89 {REGULATION}",
    "R19": "",  # the council's own order of signing the protocol, where it has one
    "R20": "",
}
RULES: Final = tuple(DEFAULT_CITATIONS)

EXECUTIVE_ORDER: Final = "Порядку проведення дистанційного засідання виконавчого комітету"
EXECUTIVE_CITATIONS: Final[Mapping[str, str]] = {
    **dict.fromkeys(DEFAULT_CITATIONS, ""),
    "R1": f"п. 1.3 {EXECUTIVE_ORDER}",  # E3
    "R3": f"п. 1.2 {EXECUTIVE_ORDER}",  # E1, E2
    "R4": f"п. 1.3 {EXECUTIVE_ORDER}",  # E3
    "R5": f"п. 1.2 {EXECUTIVE_ORDER}",  # E1
    "R7": f"п. 2.1 {EXECUTIVE_ORDER}",  # E4
    "R11": f"пп. 3.1, 3.2 {EXECUTIVE_ORDER}",  # E6
    "R13": f"п. 2.2 {EXECUTIVE_ORDER}",  # E4
    "R15": f"пп. 3.3, 3.4 {EXECUTIVE_ORDER}",  # E7
    "R16": f"п. 3.3 {EXECUTIVE_ORDER}",  # E7
    "R17": f"п. 3.4 {EXECUTIVE_ORDER}",  # E7
    "R19": f"п. 2.3 {EXECUTIVE_ORDER}",  # E5
}
"""What an executive committee's documents cite, under the same rule keys as the council's
table: the order (розпорядження) on remote meetings of the committee (seed 001, E1–E8)."""
MAX_CITATION = 300


def citations_of(stored: Mapping[str, Any] | None) -> dict[str, str]:
    """The council's table over the defaults (a rule it leaves out keeps the default)."""
    table = dict(DEFAULT_CITATIONS)
    for rule, text in (stored or {}).items():
        if rule in table and isinstance(text, str):
            table[rule] = text
    return table


def parse_citations(value: Any, field: str = "citations") -> dict[str, str]:
    """An administrator's table: ``{"R7": "ч. 5 ст. 87 Регламенту", …}``; an empty text
    means the rule is not cited."""
    if not isinstance(value, Mapping):
        raise Invalid(f"{field} must be an object of rule → citation", field=field)
    out: dict[str, str] = {}
    for rule, text in value.items():
        name = f"{field}.{rule}"
        if rule not in DEFAULT_CITATIONS:
            raise Invalid(f"{name}: no such rule (R1–R20)", field=name)
        if not isinstance(text, str) or len(text.strip()) > MAX_CITATION:
            raise Invalid(f"{name} must be text of at most {MAX_CITATION} characters", field=name)
        if any(ord(ch) < 32 for ch in text):
            raise Invalid(f"{name} contains control characters", field=name)
        out[str(rule)] = text.strip()
    return out


def cite(table: Mapping[str, str], *rules: str) -> str:
    """«(ч. 5 ст. 87 Регламенту)» for the rules given, or "" when none is cited."""
    texts: list[str] = []
    for rule in rules:
        text = table.get(rule, DEFAULT_CITATIONS.get(rule, ""))
        if text and text not in texts:
            texts.append(text)
    return f"({'; '.join(texts)})" if texts else ""
