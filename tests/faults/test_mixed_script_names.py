"""Names in one alphabet (R15): a Cyrillic name with a Latin or Greek look-alike letter would be
published as another string and called out of Ukrainian order, so it is refused, naming the
row, the field and the letter; apostrophes and hyphens stay allowed."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from orchestrator.convening.names import mixed_script
from tests.conftest import ADMIN, ROSTER_CSV, make_council, make_session


@pytest.mark.parametrize(
    ("name", "letter", "position"),
    [
        ("Кiрієнко", "i", 2),  # Latin i
        ("Kовальчук", "K", 1),  # Latin K
        ("Петренкo", "o", 8),  # Latin o at the end
        ("Οлена", "Ο", 1),  # Greek Omicron
        ("Д'яченко", None, None),
        ("Мʼясоїд", None, None),
        ("Сем’янів", None, None),
        ("Петренко-Лисенко", None, None),
        ("Smith", None, None),  # one script, even if not Cyrillic
    ],
)
def test_mixed_script_names_the_letter(name: str, letter: str | None, position: int | None) -> None:
    """The first letter outside the name's alphabet is named with its position; apostrophe
    forms and hyphens are not letters."""
    found = mixed_script(name)
    assert (found.letter, found.position) == (letter, position) if found else letter is None


async def test_roster_import_refuses_a_mixed_script_name(client: TestClient[Any, Any]) -> None:
    """A roster row whose surname hides a Latin i imports nothing: 422 naming row, field and
    letter."""
    council_id = await make_council(client)
    csv = ROSTER_CSV + "Кiрієнко,Олег,Іванович,deputy,kirienko@rada.test,+380501112240\n"
    r = await client.put(
        f"/api/v1/councils/{council_id}/roster",
        data=csv.encode(),
        headers={**ADMIN, "Content-Type": "text/csv"},
    )
    assert (r.status, r.content_type) == (422, "application/problem+json")
    errors = (await r.json())["errors"]
    assert [(e["row"], e["field"], e["letter"], e["position"]) for e in errors] == [
        (9, "surname", "i", 2)
    ]
    assert "LATIN SMALL LETTER I" in errors[0]["detail"]


@pytest.mark.parametrize("field", ["surname", "given_name", "patronymic"])
async def test_convening_refuses_a_guest_with_a_mixed_script_name(
    client: TestClient[Any, Any], field: str
) -> None:
    """A guest whose name mixes alphabets is refused at convening (422, field guests[0].…) and
    when added later (field person.…)."""
    council_id = await make_council(client)
    guest = {
        "surname": "Прокопенко",
        "given_name": "Ігор",
        "patronymic": "Олегович",
        "email": "p@gp.gov.ua",
        "phone": "+380441234567",
        "organisation": "Окружна прокуратура",
    }
    guest[field] = "Kовальчук"  # Latin K
    body = {
        "title": "Позачергова сесія",
        "number": 1,
        "agenda": [{"title": "Бюджет", "category": "urgent_budget"}],
        "guests": [guest],
    }
    r = await client.post(
        f"/api/v1/councils/{council_id}/sessions",
        headers=ADMIN,
        json={**body, "starts_at": "2099-12-01T10:00:00+02:00"},
    )
    problem = await r.json()
    assert (r.status, problem["code"], problem["field"], problem["letter"]) == (
        422,
        "mixed_script_name",
        f"guests[0].{field}",
        "K",
    )
    session = await make_session(client, council_id)
    r = await client.post(
        f"/api/v1/sessions/{session['id']}/participants",
        headers=ADMIN,
        json={"person": guest, "reason": "запрошено"},
    )
    problem = await r.json()
    assert (r.status, problem["field"]) == (422, f"person.{field}")
