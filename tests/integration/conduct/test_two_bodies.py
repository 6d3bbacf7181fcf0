"""A council session and an executive-committee meeting of the same city on one rada at the
same time, each by its own rules: the council's roll call and majority (R7, R13, R15), the
committee's simultaneous vote and majority of its total composition (E1, E4, E6, E7)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from identity import api as identity_api
from orchestrator.app import create_app
from orchestrator.conduct import api as conduct_api
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.settings import Settings
from orchestrator.kernel.web.auth import Principal, Role
from orchestrator.protocol import api as publication_api
from tests.conftest import ADMIN, future
from tests.integration.conduct.world import ORDER, VOTERS, World, install_test_auth, make_world


@pytest.fixture
def app(settings: Settings, people: dict[str, Principal]) -> web.Application:
    """Conduct with identity too: its identification list and call-back identification (E6)."""
    app = create_app(
        settings, extensions=[identity_api.setup, conduct_api.setup, publication_api.setup]
    )
    install_test_auth(app, people)
    return app


# The committee (E4: 5 members, the mayor one of them) and the general department (E7). The
# mayor and the council secretary are on both rosters, with the personal contacts they gave.
COMMITTEE_CSV = """surname,given_name,patronymic,role,email,phone
Коваленко,Олена,Петрівна,mayor,mayor@rada.test,+380501112233
Бойко,Сергій,Іванович,first_deputy_mayor,boiko@personal.test,+380671110001
Гончар,Ніна,Павлівна,deputy_mayor,honchar@personal.test,+380671110002
Єрмоленко,Ірина,Олегівна,secretary,secretary@rada.test,+380501112235
Лисенко,Петро,Андрійович,member,lysenko@personal.test,+380671110003
Савчук,Алла,Романівна,general_department,zv@rada.test,+380671110009
"""
PRESENT = ["Бойко", "Гончар", "Єрмоленко", "Лисенко", "Савчук"]  # the mayor is on leave


async def committee_meeting(
    client: TestClient[Any, Any], pool: asyncpg.Pool, people: dict[str, Principal], council: str
) -> World:
    r = await client.put(
        f"/api/v1/councils/{council}/bodies/executive_committee",
        json={"total_composition": 5},
        headers=ADMIN,
    )
    assert r.status == 200, await r.text()
    r = await client.put(
        f"/api/v1/councils/{council}/bodies/executive_committee/roster",
        data=COMMITTEE_CSV.encode(),
        headers={**ADMIN, "Content-Type": "text/csv"},
    )
    assert r.status == 200, await r.text()
    roster = await (
        await client.get(
            f"/api/v1/councils/{council}/bodies/executive_committee/roster", headers=ADMIN
        )
    ).json()
    first_deputy = next(m["id"] for m in roster if m["role"] == "first_deputy_mayor")
    body = {
        "body": "executive_committee",
        "title": "Позачергове засідання виконавчого комітету",
        "number": 1,  # numbered apart from the council's session 1
        "starts_at": future(),
        "agenda": [{"title": "Про виділення коштів", "category": "emergency_works"}],
        "chair_member_id": first_deputy,
        "chair_reason": "міський голова у щорічній відпустці",
    }
    r = await client.post(f"/api/v1/councils/{council}/sessions", headers=ADMIN, json=body)
    assert r.status == 201, await r.text()
    view = await r.json()
    assert view["body"] == "executive_committee"
    sid = view["id"]
    r = await client.post(f"/api/v1/sessions/{sid}/announce", headers=ADMIN)
    assert r.status == 200, await r.text()
    pids = {p["surname"]: p["participant_id"] for p in view["participants"]}
    roles = {p["surname"]: p["role"] for p in view["participants"]}
    assert roles["Бойко"] == "chair" and roles["Савчук"] == "secretary"
    assert roles["Єрмоленко"] == "deputy"  # the council secretary votes as a member here
    world = World(client, pool, sid, pids, roles, people)
    for surname, pid in pids.items():
        people[pid] = Principal("participant", UUID(sid), UUID(pid), Role(roles[surname]))
    return world


async def test_council_and_committee_sit_at_once(
    client: TestClient[Any, Any], pool: asyncpg.Pool, people: dict[str, Principal]
) -> None:
    """Both sit at once: the council calls the roll and needs (7 + mayor) // 2 + 1; the
    committee answers all at once (one answer by phone) and needs more than half of 5."""
    council = await make_world(client, pool, people)
    council_id = (await (await client.get(f"/api/v1/sessions/{council.session_id}")).json())[
        "council"
    ]["id"]
    committee = await committee_meeting(client, pool, people, council_id)
    # E1: the order calling the meeting is public once announced; a council session has none
    r = await client.get(f"/api/v1/sessions/{committee.session_id}/order.html")
    assert r.status == 200 and r.content_type == "text/html"
    assert "першого заступника міського голови" in await r.text()
    r = await client.get(f"/api/v1/sessions/{committee.session_id}/order.pdf")
    assert r.status == 200 and (await r.read()).startswith(b"%PDF")
    r = await client.get(f"/api/v1/sessions/{council.session_id}/order")
    assert (r.status, (await r.json())["code"]) == (404, "no_calling_order")
    page = await (await client.get(f"/archive/sessions/{committee.session_id}")).text()
    assert "Виконавчий комітет Коростишівської міської ради: засідання № 1" in page
    assert f"/api/v1/sessions/{committee.session_id}/order.pdf" in page
    r = await client.get(f"/api/v1/sessions/{committee.session_id}/announcement")
    text = (await r.json())["text_uk"]
    assert text.startswith("Виконавчий комітет Коростишівської міської ради\n")
    assert "Дистанційне засідання виконавчого комітету № 1" in text
    feed = await (await client.get("/archive/feed.atom")).text()  # E2: the community too
    assert "Виконавчий комітет Коростишівської міської ради: засідання № 1" in feed
    assert "Дистанційне засідання виконавчого комітету, початок" in feed
    assert "Коростишівська міська рада: засідання № 1" in feed  # the council's own session
    started = {"part": 1, "started_at": "2026-11-23T10:00:00Z"}
    await council.act("/open", "Коваленко")
    await committee.act("/open", "Бойко")
    await council.journal(ev.RECORDING_STARTED, started)
    await committee.journal(ev.RECORDING_STARTED, started)
    await council.join_and_identify(*VOTERS)
    for s in PRESENT:
        await committee.journal(
            ev.PRESENCE_JOINED,
            {"participant_id": committee.pids[s], "occupant_id": f"e-{s}", "name": s},
        )
    # E6: the identification list shows each member's personal phone (the council's shows none)
    roll = await client.get(
        f"/api/v1/sessions/{committee.session_id}/presence", headers=committee.as_("Савчук")
    )
    assert roll.status == 200, await roll.text()
    phones = {p["name"].split()[0]: p.get("phone") for p in (await roll.json())["participants"]}
    assert phones["Лисенко"] == "+380671110003"
    roll = await client.get(
        f"/api/v1/sessions/{council.session_id}/presence", headers=council.as_("Коваленко")
    )
    assert all("phone" not in p for p in (await roll.json())["participants"])
    # the general department confirms each member by calling back that phone (E6)
    for s in PRESENT:
        by = "Бойко" if s == "Савчук" else "Савчук"
        await committee.act(f"/participants/{committee.pids[s]}/identify-by-phone", by)
    r = await council.post(f"/participants/{council.pids['Ґудзь']}/identify-by-phone", "Коваленко")
    assert (r.status, (await r.json())["code"]) == (422, "phone_identification_not_used")  # R11
    async with pool.acquire() as conn:
        methods = await conn.fetch(
            """SELECT payload->>'method' AS method FROM journal
               WHERE session_id = $1 AND type = 'participant_identified'""",
            committee.sid,
        )
    assert {m["method"] for m in methods} == {"phone_callback"}

    # quorum by each body's rules: R7 counts deputies only; E4 counts every member, not staff
    council_quorum = (await council.live())["state"]["quorum"]
    committee_state = (await committee.live())["state"]
    assert (council_quorum["present_deputies"], council_quorum["required"]) == (6, 4)
    assert committee_state["body"] == "executive_committee"
    assert committee_state["quorum"] == {
        "present_deputies": 4,
        "total_composition": 5,
        "required": 3,
        "holds": True,
    }

    await council.act("/items/0/open", "Коваленко")
    await committee.act("/items/0/open", "Бойко")
    opened = await council.act("/votes", "Коваленко", {"amendment": None})
    assert [e["type"] for e in opened["events"]] == [ev.VOTE_OPENED, ev.DEPUTY_CALLED]
    opened = await committee.act("/votes", "Бойко", {"amendment": None})
    assert [e["type"] for e in opened["events"]] == [ev.VOTE_OPENED]  # E7: nobody is called
    vote = opened["state"]["current_vote"]
    assert vote["mode"] == "simultaneous" and vote["required"] == 3

    # the committee answers out of alphabetical order while the council's roll call goes on
    async def member(surname: str, answer: str, by: str | None = None) -> None:
        body = {"participant_id": committee.pids[surname], "answer": answer}
        await committee.act("/votes/0/ballots", by or surname, body)

    async def deputy(surname: str) -> None:
        body = {"participant_id": council.pids[surname], "answer": "for"}
        await council.act("/votes/0/ballots", surname, body)

    await member("Лисенко", "for")
    await deputy(ORDER[0])
    await member("Бойко", "for")
    r = await council.post(
        "/votes/0/ballots",
        ORDER[2],
        {"participant_id": council.pids[ORDER[2]], "answer": "for"},
    )
    assert (r.status, (await r.json())["code"]) == (409, "not_your_turn")  # R15 still holds
    await member("Гончар", "against", by="Савчук")  # E6, E7: by phone, entered by the department
    await member("Єрмоленко", "abstain")
    for s in ORDER[1:]:
        await deputy(s)
    closed = await committee.act("/votes/0/close", "Савчук")  # E7: the department closes
    result = closed["events"][-1]["payload"]
    assert (result["for"], result["against"], result["abstain"], result["absent"]) == (2, 1, 1, 1)
    assert (result["required"], result["adopted"]) == (3, False)  # 2 of 5 is not more than half
    closed = await council.act("/votes/0/close", "Коваленко")
    result = closed["events"][-1]["payload"]
    assert (result["for"], result["required"], result["adopted"]) == (7, 5, True)

    async with pool.acquire() as conn:
        sources = await conn.fetch(
            """SELECT payload->>'source' AS source FROM journal
               WHERE session_id = $1 AND type = 'ballot_recorded' ORDER BY seq""",
            committee.sid,
        )
    assert [r["source"] for r in sources] == ["member", "member", "phone", "member"]
