"""Quorum (R7, E4): more than half of the body's total composition take part.

Total composition is the body's legal number of members, not the number on the roster or in
the call. Who counts is the body's rule set (``orchestrator.convening.bodies``), and only those
present *and* identified by the chair (R7, R11). For the council (the default) only deputies
count: the mayor is not a deputy and never counts; the council secretary is a deputy and does.
For the executive committee every member counts, the mayor included (E4).
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.convening.bodies import COUNCIL, RuleSet
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


def required_for_quorum(total_composition: int, rules: RuleSet = COUNCIL) -> int:
    """The fewest members that are *more than half* of the total composition (R7, E4)."""
    return rules.required_for_quorum(total_composition)


def counts_for_quorum(kind: str, present: bool, identified: bool, rules: RuleSet = COUNCIL) -> bool:
    """Whether one participant counts towards quorum (R7: identified deputies who are present;
    E4: identified committee members who are present)."""
    return rules.counts_for_quorum(kind, present, identified)


def assess(total_composition: int, present_deputies: int, rules: RuleSet = COUNCIL) -> Quorum:
    """Whether ``present_deputies`` identified members counted by ``rules`` make a quorum."""
    required = rules.required_for_quorum(total_composition)
    if present_deputies < 0:
        raise Invalid("present deputies cannot be negative", field="present_deputies")
    if present_deputies > total_composition:
        raise Invalid(
            f"{present_deputies} deputies present exceed the total composition "
            f"of {total_composition}",
            field="present_deputies",
        )
    return Quorum(present_deputies, total_composition, required, present_deputies >= required)
