"""Convening over HTTP (R1–R6): each rule accepted and refused, the database unchanged on refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from orchestrator.app import create_app
from tests.conftest import ADMIN, agenda, future, make_council, make_session, make_settings

Client = TestClient[Any, Any]


async def counts(pool: asyncpg.Pool) -> tuple[int, int, int]:
    return (
        await pool.fetchval("SELECT count(*) FROM sessions"),
        await pool.fetchval("SELECT count(*) FROM journal"),
        await pool.fetchval("SELECT count(*) FROM participants"),
    )


async def test_convening_freezes_the_participant_list(client: Client) -> None:
    """R5, R6: the list is the roster plus guests, the mayor presides, contacts stay private."""
    council = await make_council(client)
    guest = {
        "surname": "Прокопенко",
        "given_name": "Ігор",
        "email": "prok@gp.gov.ua",
        "phone": "+380441234567",
        "organisation": "Окружна прокуратура",
    }
    s = await make_session(client, council, guests=[guest])
    roles = {p["surname"]: p["role"] for p in s["participants"]}
    assert roles["Коваленко"] == "chair"
    assert roles["Єрмоленко"] == "secretary"
    assert roles["Прокопенко"] == "guest"
    assert len(s["participants"]) == 8
    public = await (await client.get(f"/api/v1/sessions/{s['id']}")).text()
    assert "@" not in public and "+380" not in public
    contacts = await (
        await client.get(f"/api/v1/sessions/{s['id']}/contacts", headers=ADMIN)
    ).json()
    assert {c["email"] for c in contacts} >= {"mayor@rada.test", "prok@gp.gov.ua"}
    assert all(c["phone"].startswith("+380") for c in contacts)


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        (
            {"agenda": [{"title": "Земля", "category": "land"}]},
            "category_not_permitted",
            "agenda[0].category",
        ),
        ({"agenda": [{"title": "Без категорії"}]}, "category_required", "agenda[0].category"),
        (
            {"agenda": [{"title": "Обрання", "category": "procedural", "secret_ballot": True}]},
            "secret_ballot_refused",
            "agenda[0].secret_ballot",
        ),
        ({"starts_at": "LATER"}, "invalid_input", "starts_at"),
        ({"starts_at": "2026-12-01T10:00:00"}, "invalid_input", "starts_at"),
        ({"number": "1"}, "invalid_input", "number"),
        ({"agenda": []}, "invalid_input", "agenda"),
    ],
)
async def test_refused_convening_changes_nothing(
    client: Client, pool: asyncpg.Pool, change: dict[str, Any], code: str, field: str
) -> None:
    """R1, R2 and malformed input: 422 problem+json naming the field; no row, no event."""
    council = await make_council(client)
    before = await counts(pool)
    body = {"title": "Сесія", "number": 1, "starts_at": future(), "agenda": agenda(), **change}
    r = await client.post(f"/api/v1/councils/{council}/sessions", headers=ADMIN, json=body)
    problem = await r.json()
    assert r.status == 422, problem
    assert r.content_type == "application/problem+json"
    assert (problem["code"], problem["field"]) == (code, field)
    assert await counts(pool) == before


@pytest.mark.parametrize(("hours", "status"), [(23.9, 422), (-1, 422), (24.1, 201)])
async def test_r3_start_time_at_convening(client: Client, hours: float, status: int) -> None:
    """R3: a start under 24 h away (or past) cannot be announced in time, so it is refused."""
    council = await make_council(client)
    r = await client.post(
        f"/api/v1/councils/{council}/sessions",
        headers=ADMIN,
        json={"title": "С", "number": 1, "starts_at": future(hours), "agenda": agenda()},
    )
    assert r.status == status, await r.text()


async def test_r3_announcement_too_late_is_refused(database_url: str, tmp_path: Path) -> None:
    """R3: a session convened in time but announced under 24 h before its start is refused."""
    now = [datetime.now(UTC)]
    settings = make_settings(database_url, tmp_path)
    app = create_app(settings, clock=lambda: now[0])
    async with TestClient(TestServer(app)) as c:
        council = await make_council(c)
        s = await make_session(c, council, starts_at=(now[0] + timedelta(hours=30)).isoformat())
        now[0] += timedelta(hours=7)  # 23 hours before the start
        r = await c.post(f"/api/v1/sessions/{s['id']}/announce", headers=ADMIN)
        assert (r.status, (await r.json())["code"]) == (422, "notice_too_short")
        now[0] -= timedelta(hours=2)  # 25 hours before
        r = await c.post(f"/api/v1/sessions/{s['id']}/announce", headers=ADMIN)
        assert r.status == 200, await r.text()


async def test_r3_r4_announcement_queues_one_notice_per_participant(
    client: Client, pool: asyncpg.Pool
) -> None:
    """R3, R4: the announcement has the agenda and the broadcast link; each participant's
    notice is queued once, even if announce is called twice."""
    council = await make_council(client)
    s = await make_session(client, council)
    r = await client.post(f"/api/v1/sessions/{s['id']}/announce", headers=ADMIN)
    ann = await r.json()
    assert r.status == 200
    assert "Питання 1" in ann["text_uk"] and ann["broadcast_url"] in ann["text_uk"]
    assert "Невідкладні зміни до місцевого бюджету" in ann["text_uk"]
    again = await client.post(f"/api/v1/sessions/{s['id']}/announce", headers=ADMIN)
    assert (again.status, (await again.json())["code"]) == (409, "wrong_state")
    notices = await (await client.get(f"/api/v1/sessions/{s['id']}/notices", headers=ADMIN)).json()
    assert len(notices) == len(s["participants"]) == 7
    assert {n["status"] for n in notices} == {"queued"}


async def test_r5_stand_in_chair_via_api(client: Client) -> None:
    """R5: a deputy may preside with a recorded reason; without one the request is refused."""
    council = await make_council(client)
    roster = await (await client.get(f"/api/v1/councils/{council}/roster", headers=ADMIN)).json()
    deputy = next(m for m in roster if m["surname"] == "Ґудзь")
    r = await client.post(
        f"/api/v1/councils/{council}/sessions",
        headers=ADMIN,
        json={
            "title": "С",
            "number": 1,
            "starts_at": future(),
            "agenda": agenda(),
            "chair_member_id": deputy["id"],
        },
    )
    assert (r.status, (await r.json())["code"]) == (422, "chair_reason_required")
    s = await make_session(
        client, council, chair_member_id=deputy["id"], chair_reason="Міський голова на лікарняному"
    )
    chair = next(p for p in s["participants"] if p["role"] == "chair")
    assert chair["surname"] == "Ґудзь"
    journal = await (await client.get(f"/api/v1/sessions/{s['id']}/journal", headers=ADMIN)).json()
    assert journal[0]["payload"]["chair_reason"] == "Міський голова на лікарняному"


async def test_r6_list_amendments_are_journaled(client: Client) -> None:
    """R6: adding or removing a participant after convening leaves a journal entry with a reason."""
    council = await make_council(client)
    s = await make_session(client, council)
    r = await client.post(
        f"/api/v1/sessions/{s['id']}/participants",
        headers=ADMIN,
        json={
            "person": {
                "surname": "Журналістка",
                "given_name": "Ольга",
                "email": "o@media.ua",
                "phone": "+380671112233",
            },
            "reason": "Акредитація преси",
        },
    )
    assert r.status == 201, await r.text()
    added = await r.json()
    r = await client.delete(
        f"/api/v1/sessions/{s['id']}/participants/{added['participant_id']}",
        headers=ADMIN,
        json={"reason": "Відкликала акредитацію"},
    )
    assert r.status == 204
    types = [
        e["type"]
        for e in await (
            await client.get(f"/api/v1/sessions/{s['id']}/journal", headers=ADMIN)
        ).json()
    ]
    assert types == ["session_convened", "participant_added", "participant_removed"]
    chair = next(p for p in s["participants"] if p["role"] == "chair")
    r = await client.delete(
        f"/api/v1/sessions/{s['id']}/participants/{chair['participant_id']}",
        headers=ADMIN,
        json={"reason": "x"},
    )
    assert r.status == 409


async def test_documents_are_stored_with_their_hash(client: Client) -> None:
    """R4: draft documents are stored per item with their sha256 and served back byte for byte."""
    import hashlib

    council = await make_council(client)
    s = await make_session(client, council)
    content = "Проєкт рішення про зміни до бюджету".encode() * 100
    r = await client.post(
        f"/api/v1/sessions/{s['id']}/items/0/documents?filename=проєкт.txt",
        data=content,
        headers={**ADMIN, "Content-Type": "text/plain"},
    )
    doc = await r.json()
    assert r.status == 201 and doc["sha256"] == hashlib.sha256(content).hexdigest()
    got = await client.get(f"/api/v1/documents/{doc['id']}", headers=ADMIN)
    assert await got.read() == content
    # R3: before the announcement the drafts are the administrator's alone
    assert (await client.get(f"/api/v1/documents/{doc['id']}")).status == 404
    r = await client.post(
        f"/api/v1/sessions/{s['id']}/items/9/documents?filename=a.txt", data=b"x", headers=ADMIN
    )
    assert r.status == 404
    r = await client.post(
        f"/api/v1/sessions/{s['id']}/items/0/documents?filename=../a", data=b"x", headers=ADMIN
    )
    assert r.status == 422


async def test_session_number_is_unique_per_council(client: Client) -> None:
    """Two sessions with one number in one council: 409 naming the field."""
    council = await make_council(client)
    await make_session(client, council)
    r = await client.post(
        f"/api/v1/councils/{council}/sessions",
        headers=ADMIN,
        json={"title": "С", "number": 1, "starts_at": future(), "agenda": agenda()},
    )
    assert (r.status, (await r.json())["field"]) == (409, "number")
