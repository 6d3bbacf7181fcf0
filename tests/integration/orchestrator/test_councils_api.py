"""Councils and rosters over HTTP against a real PostgreSQL."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from tests.conftest import ADMIN, ROSTER_CSV, make_council

Client = TestClient[Any, Any]


async def test_roster_import_and_csv_export_round_trip(client: Client) -> None:
    """A UTF-8 CSV roster imports and exports back with the same Ukrainian rows."""
    council = await make_council(client)
    r = await client.get(
        f"/api/v1/councils/{council}/roster", headers={**ADMIN, "Accept": "text/csv"}
    )
    assert r.status == 200
    exported = (await r.read()).decode()
    assert exported.replace("\r\n", "\n").splitlines()[0] == ROSTER_CSV.splitlines()[0]
    assert sorted(exported.replace("\r\n", "\n").splitlines()[1:]) == sorted(
        ROSTER_CSV.splitlines()[1:]
    )


async def test_bad_roster_imports_nothing(client: Client, pool: asyncpg.Pool) -> None:
    """A file with one bad row is refused with a per-row report, and the roster is unchanged."""
    council = await make_council(client)
    before = await pool.fetch("SELECT * FROM members ORDER BY id")
    bad = ROSTER_CSV + "Новий,Депутат,,deputy,ivanenko@rada.test,+380501119999\n"
    r = await client.put(
        f"/api/v1/councils/{council}/roster",
        data=bad.encode(),
        headers={**ADMIN, "Content-Type": "text/csv"},
    )
    assert r.status == 422
    assert r.content_type == "application/problem+json"
    body = await r.json()
    assert body["errors"] == [{"row": 9, "field": "email", "detail": "e-mail repeats row 5"}]
    assert await pool.fetch("SELECT * FROM members ORDER BY id") == before


async def test_wrong_encoding_is_refused(client: Client) -> None:
    """A cp1251 roster gets a 422 naming the file and the fix."""
    council = await make_council(client)
    r = await client.put(
        f"/api/v1/councils/{council}/roster",
        data=ROSTER_CSV.encode("cp1251"),
        headers={**ADMIN, "Content-Type": "text/csv"},
    )
    body = await r.json()
    assert (r.status, body["field"]) == (422, "file")
    assert "UTF-8" in body["detail"]


async def test_reimport_retires_members_not_in_the_file(client: Client) -> None:
    """The file is the roster: members missing from it are retired, others updated in place."""
    council = await make_council(client)
    first = await (await client.get(f"/api/v1/councils/{council}/roster", headers=ADMIN)).json()
    shorter = "\n".join(ROSTER_CSV.splitlines()[:-1]) + "\n"
    r = await client.put(
        f"/api/v1/councils/{council}/roster",
        data=shorter.encode(),
        headers={**ADMIN, "Content-Type": "text/csv"},
    )
    assert await r.json() == {"added": 0, "updated": 6, "retired": 1}
    second = await (await client.get(f"/api/v1/councils/{council}/roster", headers=ADMIN)).json()
    assert {m["id"] for m in second} < {m["id"] for m in first}


async def test_json_roster_is_validated_like_csv(client: Client) -> None:
    """The JSON form of the roster goes through the same checks."""
    council = await make_council(client)
    r = await client.put(
        f"/api/v1/councils/{council}/roster",
        headers=ADMIN,
        json=[
            {
                "surname": "А1",
                "given_name": "Б",
                "role": "deputy",
                "email": "a@b.ua",
                "phone": "+380501112233",
            }
        ],
    )
    body = await r.json()
    assert r.status == 422
    assert body["errors"][0]["field"] == "surname"


async def test_council_needs_admin(client: Client) -> None:
    """Write endpoints are never open: no key is 401, a wrong key is 401."""
    body = {"name": "Рада", "convocation": 8, "total_composition": 26}
    assert (await client.post("/api/v1/councils", json=body)).status == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await client.post("/api/v1/councils", json=body, headers=wrong)).status == 401


async def test_unknown_council_is_404_problem(client: Client) -> None:
    """A well-formed but unknown id is a 404 problem+json with a stable code."""
    r = await client.get("/api/v1/councils/00000000-0000-0000-0000-000000000000")
    assert (r.status, (await r.json())["code"]) == (404, "council_not_found")
