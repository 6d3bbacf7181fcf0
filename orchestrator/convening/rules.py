"""Convening a remote session (R1–R6, R17): pure checks over plain data, the clock passed in."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from orchestrator.convening.bodies import COUNCIL, RuleSet
from orchestrator.convening.categories import Category
from orchestrator.convening.names import check_one_script
from orchestrator.kernel.errors import Invalid, RuleViolation
from orchestrator.kernel.web import validation as v

MIN_NOTICE = timedelta(hours=24)  # R3: announced at least 24 hours before the start
MAX_AGENDA = 200
MAX_GUESTS = 200
MAX_DURATION = timedelta(hours=24)
DEFAULT_DURATION = timedelta(hours=4)


@dataclass(frozen=True, slots=True)
class AgendaItem:
    title: str
    category: Category
    description: str = ""

    def to_payload(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "category": self.category.value,
            "description": self.description,
            "secret_ballot": False,
            "documents": [],
        }


@dataclass(frozen=True, slots=True)
class Person:
    """A roster member or an invited guest, with the contact data R6 requires."""

    surname: str
    given_name: str
    patronymic: str
    kind: str  # mayor | deputy | secretary | guest
    email: str
    phone: str
    member_id: UUID | None = None
    organisation: str = ""


@dataclass(frozen=True, slots=True)
class Participant:
    participant_id: UUID
    person: Person
    role: str  # chair | secretary | deputy | guest

    def public(self) -> dict[str, Any]:
        """The journal's view: names and roles, never contact data (R12)."""
        p = self.person
        return {
            "participant_id": str(self.participant_id),
            "member_id": str(p.member_id) if p.member_id else None,
            "surname": p.surname,
            "given_name": p.given_name,
            "patronymic": p.patronymic,
            "kind": p.kind,
            "role": self.role,
            "organisation": p.organisation,
        }


LINE_BREAKS = frozenset("\n\r\t\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def one_line(body: Mapping[str, Any], field: str, *, max_len: int, prefix: str = "") -> str:
    """A required one-line text: a title or a name that goes into mail headers (R4), the
    calendar invite, the protocol and the chapters. No control characters at all (``v.text``
    already refuses all but tab and line feed) and no line or paragraph separators."""
    value = v.text(body, field, max_len=max_len, prefix=prefix)
    if any(ch in LINE_BREAKS for ch in value):
        raise Invalid(f"{prefix + field} must be one line of text", field=prefix + field)
    return value


def parse_agenda(raw: Sequence[Any]) -> list[AgendaItem]:
    """R1 (permitted categories only) and R2 (no secret ballot); errors name ``agenda[i].field``."""
    if not raw:
        raise Invalid("the agenda must have at least one item", field="agenda")
    if len(raw) > MAX_AGENDA:
        raise Invalid(f"the agenda has more than {MAX_AGENDA} items", field="agenda")
    items = []
    for i, entry in enumerate(raw):
        prefix = f"agenda[{i}]."
        body = v.obj(entry, f"agenda[{i}]")
        title = one_line(body, "title", max_len=500, prefix=prefix)
        description = v.text(body, "description", max_len=5000, required=False, prefix=prefix)
        if v.boolean(body, "secret_ballot", default=False, prefix=prefix):
            raise RuleViolation(
                "R2: a question that needs a secret ballot cannot be considered remotely",
                code="secret_ballot_refused",
                field=prefix + "secret_ballot",
            )
        code = body.get("category")
        if code is None:
            raise RuleViolation(
                "R1: every agenda item needs one of the permitted categories",
                code="category_required",
                field=prefix + "category",
                allowed=[c.value for c in Category],
            )
        if not isinstance(code, str) or code not in {c.value for c in Category}:
            raise RuleViolation(
                f"R1: {code!r} is not a category a remote session may consider",
                code="category_not_permitted",
                field=prefix + "category",
                allowed=[c.value for c in Category],
            )
        items.append(AgendaItem(title, Category(code), description))
    return items


def check_window(starts_at: datetime, planned_end: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise Invalid("starts_at is in the past", field="starts_at")
    if planned_end <= starts_at:
        raise Invalid("planned_end must be after starts_at", field="planned_end")
    if planned_end - starts_at > MAX_DURATION:
        raise Invalid("a session may be planned for at most 24 hours", field="planned_end")


def check_notice(starts_at: datetime, announced_at: datetime) -> None:
    """R3: the announcement comes at least 24 hours before the start."""
    if starts_at - announced_at < MIN_NOTICE:
        raise RuleViolation(
            "R3: the session must be announced at least 24 hours before it starts "
            f"(starts {starts_at.isoformat()}, announced {announced_at.isoformat()})",
            code="notice_too_short",
            field="starts_at",
        )


def parse_guest(body: Mapping[str, Any], prefix: str) -> Person:
    person = _parse_guest(body, prefix)
    check_names(person, prefix)
    return person


def check_names(person: Person, prefix: str) -> None:
    """R15: each of a person's names in one alphabet (``Invalid`` naming the field and letter)."""
    for field in ("surname", "given_name", "patronymic"):
        check_one_script(getattr(person, field), prefix + field)


def _parse_guest(body: Mapping[str, Any], prefix: str) -> Person:
    return Person(
        surname=v.person_name(
            v.text(body, "surname", max_len=100, prefix=prefix), prefix + "surname"
        ),
        given_name=v.person_name(
            v.text(body, "given_name", max_len=100, prefix=prefix), prefix + "given_name"
        ),
        patronymic=v.person_name(
            v.text(body, "patronymic", max_len=100, required=False, prefix=prefix),
            prefix + "patronymic",
            required=False,
        ),
        kind="guest",
        email=v.email(v.text(body, "email", max_len=254, prefix=prefix), prefix + "email"),
        phone=v.phone(v.text(body, "phone", max_len=40, prefix=prefix), prefix + "phone"),
        organisation=v.text(body, "organisation", max_len=300, required=False, prefix=prefix),
    )


def form_participants(
    members: Sequence[Person],
    guests: Sequence[Person],
    *,
    chair_member_id: UUID | None,
    chair_reason: str,
    new_id: Callable[[], UUID],
    rules: RuleSet = COUNCIL,
) -> tuple[list[Participant], UUID, UUID]:
    """R5 (who presides), R6 (the participant list with contacts), R17 (the secretary).

    For the executive committee: E1 (the mayor presides, else the first deputy mayor, else the
    deputy mayor for executive bodies, with the reason), E7 (the general department keeps the
    protocol in the session's ``secretary`` role; the council secretary is a voting member).

    Returns the participants, the chair's and the secretary's participant ids.
    """
    for person in members:  # a roster imported before names were checked (R15)
        check_names(person, f"roster[{person.member_id}].")
    mayor = next((m for m in members if m.kind == "mayor"), None)
    secretary = next((m for m in members if m.kind == rules.protocol_keeper_kind), None)
    if chair_member_id is None:
        if mayor is None:
            raise RuleViolation(
                "R5: the roster has no mayor; name the member who presides (chair_member_id) "
                "and why (chair_reason)",
                code="no_chair",
                field="chair_member_id",
            )
        chair = mayor
    else:
        found = next((m for m in members if m.member_id == chair_member_id), None)
        if found is None:
            raise Invalid(
                "chair_member_id is not an active member of this council", field="chair_member_id"
            )
        chair = found
        if not rules.any_member_stands_in and chair.kind not in rules.stand_in_chain:
            raise RuleViolation(
                "E1: the meeting is called and presided by the mayor, else the first deputy "
                "mayor, else the deputy mayor for the activity of executive bodies",
                code="chair_not_in_stand_in_chain",
                field="chair_member_id",
            )
        if chair is not mayor and not chair_reason:
            raise RuleViolation(
                "R5: a stand-in presides only when the mayor cannot; give chair_reason",
                code="chair_reason_required",
                field="chair_reason",
            )
    if secretary is None:
        raise RuleViolation(
            f"{'R17' if rules.keeper_votes else 'E7'}: the roster has no "
            f"{rules.protocol_keeper_kind} to keep the protocol",
            code="no_secretary",
            field="roster",
        )
    if secretary is chair:
        raise RuleViolation(
            "R17: the secretary keeps the protocol beside the chair and cannot preside",
            code="chair_is_secretary",
            field="chair_member_id",
        )
    participants: list[Participant] = []
    for person in members:
        if person is chair:
            role = "chair"
        elif person is secretary:
            role = "secretary"
        else:
            role = "deputy"  # a voting member's permissions (R16, E7)
        participants.append(Participant(new_id(), person, role))
    emails = {p.email.lower() for p in members}
    for i, guest in enumerate(guests):
        if guest.email.lower() in emails:
            raise Invalid(
                f"guests[{i}].email is already on the participant list", field=f"guests[{i}].email"
            )
        emails.add(guest.email.lower())
        participants.append(Participant(new_id(), guest, "guest"))
    chair_pid = next(p.participant_id for p in participants if p.person is chair)
    secretary_pid = next(p.participant_id for p in participants if p.person is secretary)
    return participants, chair_pid, secretary_pid
