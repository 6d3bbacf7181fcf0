"""Convening rules R1, R2, R3, R5, R6, R17 as pure functions: accepted and refused cases."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from orchestrator.convening import rules as convening
from orchestrator.convening.categories import Category
from orchestrator.kernel.errors import Invalid, RuleViolation

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def person(surname: str, kind: str, n: int) -> convening.Person:
    return convening.Person(
        surname,
        "Ім'я",
        "",
        kind,
        f"p{n}@rada.test",
        f"+38050111{n:04d}",
        member_id=uuid.UUID(int=n),
    )


MAYOR = person("Коваленко", "mayor", 1)
SECRETARY = person("Єрмоленко", "secretary", 2)
DEPUTY = person("Ґудзь", "deputy", 3)
MEMBERS = [MAYOR, SECRETARY, DEPUTY]


def ids() -> uuid.UUID:
    return uuid.uuid4()


@pytest.mark.parametrize("category", [c.value for c in Category])
def test_r1_every_permitted_category_is_accepted(category: str) -> None:
    """R1: each of the five permitted categories is accepted."""
    items = convening.parse_agenda([{"title": "Питання", "category": category}])
    assert items[0].category == category


@pytest.mark.parametrize("category", ["land_allocation", "", 3, None, "URGENT_BUDGET"])
def test_r1_other_categories_are_refused(category: object) -> None:
    """R1: anything else, or no category, is refused naming the item's field."""
    raw = {"title": "Питання", "category": category}
    if category is None:
        del raw["category"]
    with pytest.raises(RuleViolation) as info:
        convening.parse_agenda([{"title": "Перше", "category": "procedural"}, raw])
    assert info.value.field == "agenda[1].category"


def test_r2_secret_ballot_is_refused() -> None:
    """R2: an item that needs a secret ballot cannot be considered remotely."""
    with pytest.raises(RuleViolation) as info:
        convening.parse_agenda(
            [{"title": "Обрання секретаря", "category": "procedural", "secret_ballot": True}]
        )
    assert info.value.code == "secret_ballot_refused"


def test_r2_open_ballot_is_accepted() -> None:
    """R2: secret_ballot false is fine."""
    assert convening.parse_agenda(
        [{"title": "П", "category": "procedural", "secret_ballot": False}]
    )


@pytest.mark.parametrize(
    ("ahead", "accepted"),
    [
        (timedelta(hours=24), True),
        (timedelta(hours=72), True),
        (timedelta(hours=24) - timedelta(seconds=1), False),
        (timedelta(hours=1), False),
    ],
)
def test_r3_notice_of_24_hours(ahead: timedelta, accepted: bool) -> None:
    """R3: announced at least 24 hours before the start, to the second."""
    if accepted:
        convening.check_notice(NOW + ahead, NOW)
    else:
        with pytest.raises(RuleViolation, match="R3"):
            convening.check_notice(NOW + ahead, NOW)


def test_start_in_the_past_is_refused() -> None:
    """A start before now is bad input, not a rule question."""
    with pytest.raises(Invalid):
        convening.check_window(NOW - timedelta(minutes=1), NOW + timedelta(hours=1), NOW)


def test_r5_mayor_presides_by_default() -> None:
    """R5: with no stand-in named, the mayor is the chair; R17: the secretary keeps the protocol."""
    people, chair, secretary = convening.form_participants(
        MEMBERS, [], chair_member_id=None, chair_reason="", new_id=ids
    )
    roles = {p.person.surname: p.role for p in people}
    assert roles == {"Коваленко": "chair", "Єрмоленко": "secretary", "Ґудзь": "deputy"}
    assert chair != secretary


def test_r5_stand_in_needs_a_reason() -> None:
    """R5: a deputy presides only when the mayor cannot, and the reason is recorded."""
    with pytest.raises(RuleViolation, match="R5"):
        convening.form_participants(
            MEMBERS, [], chair_member_id=DEPUTY.member_id, chair_reason="", new_id=ids
        )
    people, chair, _ = convening.form_participants(
        MEMBERS,
        [],
        chair_member_id=DEPUTY.member_id,
        chair_reason="Міський голова у відрядженні",
        new_id=ids,
    )
    by_id = {p.participant_id: p for p in people}
    assert by_id[chair].person is DEPUTY
    assert next(p for p in people if p.person is MAYOR).role == "deputy"


def test_r5_no_mayor_and_no_stand_in_is_refused() -> None:
    """R5: someone must preside."""
    with pytest.raises(RuleViolation, match="no mayor"):
        convening.form_participants(
            [SECRETARY, DEPUTY], [], chair_member_id=None, chair_reason="", new_id=ids
        )


def test_r17_no_secretary_is_refused() -> None:
    """R17: the council secretary keeps the protocol; without one the session cannot be held."""
    with pytest.raises(RuleViolation, match="R17"):
        convening.form_participants(
            [MAYOR, DEPUTY], [], chair_member_id=None, chair_reason="", new_id=ids
        )


def test_r6_guests_join_the_list_with_contacts() -> None:
    """R6: invited guests are on the list with their phone and e-mail, without a vote."""
    guest = convening.Person(
        "Прокурор",
        "Іван",
        "",
        "guest",
        "g@pr.gov.ua",
        "+380441112233",
        organisation="Окружна прокуратура",
    )
    people, _, _ = convening.form_participants(
        MEMBERS, [guest], chair_member_id=None, chair_reason="", new_id=ids
    )
    g = people[-1]
    assert (g.role, g.person.email, g.person.phone) == ("guest", "g@pr.gov.ua", "+380441112233")
    assert "email" not in g.public() and "phone" not in g.public()


def test_r6_guest_with_a_members_email_is_refused() -> None:
    """R12: contact data identifies a person, so two participants cannot share an e-mail."""
    twin = convening.Person("Двійник", "Іван", "", "guest", MAYOR.email.upper(), "+380441112233")
    with pytest.raises(Invalid):
        convening.form_participants(
            MEMBERS, [twin], chair_member_id=None, chair_reason="", new_id=ids
        )


def test_participant_ids_are_distinct() -> None:
    """Every participant gets their own stable id."""
    counter = itertools.count(1)
    people, _, _ = convening.form_participants(
        MEMBERS,
        [],
        chair_member_id=None,
        chair_reason="",
        new_id=lambda: uuid.UUID(int=next(counter)),
    )
    assert len({p.participant_id for p in people}) == 3
