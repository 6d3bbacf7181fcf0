"""Roll-call order (R15): deputies, and the mayor when taking part, by Ukrainian alphabet.

The order of names is :func:`orchestrator.convening.names.name_key` (the CLDR Ukrainian
collation that surnames need); this module adds the voter and the stable tie-break.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from orchestrator.convening.names import VoterKey, name_key


@dataclass(frozen=True, slots=True)
class Voter:
    """Someone who is called in the roll call: a deputy (the secretary included) or the mayor."""

    participant_id: str
    surname: str
    given_name: str
    patronymic: str = ""


def voter_key(voter: Voter) -> tuple[VoterKey, str]:
    """Surname, given name, patronymic compared level by level, then the stable id."""
    return name_key(voter.surname, voter.given_name, voter.patronymic), voter.participant_id


def roll_call_order(voters: Iterable[Voter]) -> list[str]:
    """Participant ids in the order they are called (R15)."""
    return [v.participant_id for v in sorted(voters, key=voter_key)]
