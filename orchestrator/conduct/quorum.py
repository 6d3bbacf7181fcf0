"""Quorum (R7): more than half of the council's total composition take part.

Total composition is the council's legal number of deputies, not the number on the roster or in
the call. Only deputies count, and only those present *and* identified by the chair (R7, R11):
the mayor is not a deputy and never counts; the council secretary is a deputy and does.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.convening.roster import DEPUTY_KINDS
from orchestrator.kernel.errors import Invalid


@dataclass(frozen=True, slots=True)
class Quorum:
    present_deputies: int
    total_composition: int
    required: int
    holds: bool

    def to_public(self) -> dict[str, int | bool]:
        return {
            "present_deputies": self.present_deputies,
            "total_composition": self.total_composition,
            "required": self.required,
            "holds": self.holds,
        }


def required_for_quorum(total_composition: int) -> int:
    """The fewest deputies that are *more than half* of the total composition."""
    if total_composition < 1:
        raise Invalid("total composition must be at least 1", field="total_composition")
    return total_composition // 2 + 1


def counts_for_quorum(kind: str, present: bool, identified: bool) -> bool:
    """Whether one participant counts towards quorum (R7: identified deputies who are present)."""
    return kind in DEPUTY_KINDS and present and identified


def assess(total_composition: int, present_deputies: int) -> Quorum:
    """Whether ``present_deputies`` identified deputies make a quorum (R7)."""
    required = required_for_quorum(total_composition)
    if present_deputies < 0:
        raise Invalid("present deputies cannot be negative", field="present_deputies")
    if present_deputies > total_composition:
        raise Invalid(
            f"{present_deputies} deputies present exceed the total composition "
            f"of {total_composition}",
            field="present_deputies",
        )
    return Quorum(present_deputies, total_composition, required, present_deputies >= required)
