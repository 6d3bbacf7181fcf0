"""Conducting a session over HTTP against real PostgreSQL (R7, R9–R17)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from orchestrator.conduct.api import CONDUCT, LIVE
from orchestrator.conduct.live import RESYNC, Follower, LiveHub
from orchestrator.conduct.service import ConductService
from orchestrator.conduct.state import SessionState, snapshot
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.store import append_event
from orchestrator.kernel.web.auth import Principal
from tests.integration.conduct.world import ORDER, World, make_world


async def voting(world: World) -> str:
    await world.act("/items/0/open", "Коваленко")
    body = await world.act("/votes", "Коваленко", {"amendment": None})
    vote_id: str = body["state"]["current_vote"]["vote_id"]
    return vote_id


async def answer(
    world: World, vote_id: str, surname: str, value: str = "for", by: str | None = None
) -> Any:
    return await world.post(
        f"/votes/{vote_id}/ballots",
        by or surname,
        {"participant_id": world.pids[surname], "answer": value},
    )


async def test_whole_session_over_http(world: World) -> None:
    """Open, amendment first, roll call in Ukrainian order, count, close: all journaled."""
    await world.act("/items/0/open", "Коваленко")
    await world.act("/discussion", "Коваленко", {"scope": "item", "seconds": 300})
    await world.act(
        "/amendments",
        "Єрмоленко",
        {"text": "Збільшити на 10 тис. грн", "by_participant_id": world.pids["Ґудзь"]},
    )
    opened = await world.act("/votes", "Коваленко", {"amendment": 0})
    vote = opened["state"]["current_vote"]
    assert vote["vote_id"] == "0.a0"
    assert vote["order"] == [world.pids[s] for s in ORDER]
    for s in ORDER:
        r = await answer(world, "0.a0", s, "against")
        assert r.status == 201, await r.text()
    await world.act("/votes/0.a0/close", "Коваленко")
    await world.act("/votes", "Коваленко", {"amendment": None})
    for i, s in enumerate(ORDER):
        if s == "Їжакевич":
            await world.act("/votes/0/skip", "Коваленко")
            continue
        by = "Єрмоленко" if i % 2 else None  # the secretary enters some spoken answers
        r = await answer(world, "0", s, "for" if i < 5 else "abstain", by=by)
        assert r.status == 201, await r.text()
    closed = await world.act("/votes/0/close", "Коваленко")
    result = closed["events"][-1]["payload"]
    assert result == {
        "vote_id": "0",
        "for": 4,
        "against": 0,
        "abstain": 2,
        "not_voted": 1,
        "absent": 0,
        "required": 5,
        "adopted": False,
    }  # (7 + mayor) // 2 + 1
    await world.act("/items/0/close", "Коваленко")
    await world.act("/close", "Коваленко")
    types = await world.journal_types()
    assert types.count(ev.BALLOT_RECORDED) == 13
    assert types.count(ev.DEPUTY_CALLED) == 14
    assert types[-1] == ev.SESSION_CLOSED
    session = await (await world.client.get(f"/api/v1/sessions/{world.session_id}")).json()
    assert session["status"] == "closed"


@pytest.mark.parametrize(
    ("case", "surname", "by", "status", "code"),
    [
        ("out of turn", "Д'яченко", None, 409, "not_your_turn"),
        ("for someone else", "Ґудзь", "Д'яченко", 403, "not_your_ballot"),
        ("the public", "Ґудзь", "nobody", 401, "unauthorized"),
    ],
)
async def test_bad_ballots_leave_journal_unchanged(
    world: World, case: str, surname: str, by: str | None, status: int, code: str
) -> None:
    """Refused answers are problem+json and append nothing."""
    vote_id = await voting(world)
    before = (await world.live())["seq"]
    if by == "nobody":
        r = await world.client.post(
            f"/api/v1/sessions/{world.session_id}/votes/{vote_id}/ballots",
            json={"participant_id": world.pids[surname], "answer": "for"},
        )
    else:
        r = await answer(world, vote_id, surname, by=by)
    assert r.status == status, case
    assert r.content_type == "application/problem+json"
    assert (await r.json())["code"] == code
    assert (await world.live())["seq"] == before


async def test_answer_twice_after_close_and_unidentified(world: World) -> None:
    """Twice, from an unidentified deputy, after the vote closed: all refused."""
    vote_id = await voting(world)
    assert (await answer(world, vote_id, "Ґудзь")).status == 201
    r = await answer(world, vote_id, "Ґудзь")
    assert (r.status, (await r.json())["code"]) == (409, "already_answered")
    await world.journal(
        ev.PRESENCE_LEFT, {"participant_id": world.pids["Д'яченко"], "occupant_id": "occ-Д'яченко"}
    )
    await world.journal(
        ev.PRESENCE_JOINED,
        {"participant_id": world.pids["Д'яченко"], "occupant_id": "occ-2", "name": "x"},
    )
    r = await answer(world, vote_id, "Д'яченко")
    assert (r.status, (await r.json())["code"]) == (409, "not_identified")
    await world.act(f"/votes/{vote_id}/skip", "Коваленко")
    for s in ORDER[2:]:
        assert (await answer(world, vote_id, s)).status == 201
    await world.act(f"/votes/{vote_id}/close", "Коваленко")
    r = await answer(world, vote_id, "Д'яченко")
    assert (r.status, (await r.json())["code"]) == (409, "vote_closed")


async def test_ten_clients_same_turn_exactly_one_recorded(world: World) -> None:
    """Ten simultaneous answers for the called deputy: one 201, nine refusals, one ballot."""
    vote_id = await voting(world)
    answers = ["for", "against", "abstain"] * 4
    results = await asyncio.gather(
        *[
            answer(world, vote_id, "Ґудзь", answers[i], by="Єрмоленко" if i % 2 else None)
            for i in range(10)
        ]
    )
    statuses = sorted(r.status for r in results)
    assert statuses == [201] + [409] * 9
    types = await world.journal_types()
    assert types.count(ev.BALLOT_RECORDED) == 1
    live = (await world.live())["state"]
    assert live["current_vote"]["called_participant_id"] == world.pids["Д'яченко"]


async def test_recording_lost_declares_break_and_resume(world: World) -> None:
    """The recorder's recording_lost puts the session in a technical break at once (R9, R10);
    the roll call resumes from the first voter not answered; answers given stand."""
    vote_id = await voting(world)
    assert (await answer(world, vote_id, "Ґудзь")).status == 201
    await world.journal(
        ev.RECORDING_LOST, {"part": 1, "cause": "stall", "last_media_at": "2026-11-23T10:05:00Z"}
    )
    body = await world.live_until(lambda s: s["phase"] == "break")
    assert body["state"]["break"]["cause"] == "recording_lost"
    r = await answer(world, vote_id, "Д'яченко")
    assert (r.status, (await r.json())["code"]) == (409, "break_in_progress")
    r = await world.post("/breaks/end", "Коваленко")
    assert (r.status, (await r.json())["code"]) == (409, "recording_not_receiving")
    await world.journal(ev.RECORDING_RESUMED, {"part": 2, "started_at": "2026-11-23T10:07:00Z"})
    resumed = await world.act("/breaks/end", "Коваленко")
    vote = resumed["state"]["current_vote"]
    assert vote["called_participant_id"] == world.pids["Д'яченко"]
    assert vote["answers"] == {world.pids["Ґудзь"]: "for"}
    types = await world.journal_types()
    assert types.count(ev.BREAK_DECLARED) == 1


async def test_quorum_loss_during_vote_breaks(world: World) -> None:
    """Presence dropping below quorum during a vote declares a break (R7)."""
    vote_id = await voting(world)
    for s in ["Іваненко", "Їжакевич", "Д'яченко"]:  # 6 deputies → 3: quorum is 4
        await world.journal(
            ev.PRESENCE_LEFT, {"participant_id": world.pids[s], "occupant_id": f"occ-{s}"}
        )
    body = await world.live_until(lambda s: s["phase"] == "break")
    assert body["state"]["break"]["cause"] == "quorum_lost"
    assert body["state"]["quorum"]["holds"] is False
    r = await answer(world, vote_id, "Ґудзь")
    assert r.status == 409


async def test_an_announced_append_is_told_and_reacted_to_after_a_read_folded_it(
    world: World,
) -> None:
    """A read (``GET /live``) that folds announced events before their notification arrives
    does not swallow them: the listeners still hear the new state and rada still reacts to it
    (here the quorum lost during a vote, R7), however the two race."""
    vote_id = await voting(world)
    app_service = world.client.app[CONDUCT]
    service = ConductService(world.pool, clock=app_service.clock, policy=app_service.policy)
    heard: list[int] = []

    async def listener(state: SessionState) -> None:
        heard.append(state.last_seq)

    service.listeners.append(listener)
    await service.state(world.sid)  # the service follows the session
    seq = 0
    for s in ["Іваненко", "Їжакевич", "Д'яченко"]:  # 6 deputies → 3: quorum is 4
        seq = await world.journal(
            ev.PRESENCE_LEFT, {"participant_id": world.pids[s], "occupant_id": f"occ-{s}"}
        )
    read = await service.state(world.sid)  # a read wins the race against the notification
    assert read.last_seq >= seq  # the app's own service may have reacted already (its break)
    after = await service.refresh(world.sid, seq)
    # the app's own service may react first (the appends are this process's): then the
    # listeners hear the state after its break, which holds the announced events too
    assert after is not None and heard and max(heard) >= seq
    assert after.phase == "break" and vote_id


async def test_the_cache_keeps_the_recent_sessions_and_folds_an_evicted_one_again(
    world: World, client: TestClient[Any, Any], pool: asyncpg.Pool, people: dict[str, Principal]
) -> None:
    """A process that has followed more sessions than ``max_cached`` forgets the least recently
    offered one's state (a long-running server follows every sitting it ever served); the
    next read folds it again from the journal, equal to what was cached."""
    other = await make_world(client, pool, people)
    app_service = world.client.app[CONDUCT]
    service = ConductService(world.pool, clock=app_service.clock, policy=app_service.policy)
    service.max_cached = 1
    first = await service.state(world.sid)
    assert service.cached(world.sid) is first
    await service.state(other.sid)  # the second session pushes the first out
    assert service.cached(world.sid) is None and service.cached(other.sid) is not None
    again = await service.state(world.sid)
    assert again is not first and snapshot(again) == snapshot(first)
    assert service.cached(other.sid) is None


async def test_websocket_sees_every_commit(world: World) -> None:
    """The WebSocket sends the snapshot on connect, then after each append a patch onto it
    (the client's state at the patch's ``base``) that gives the committed state."""
    vote_id = await voting(world)
    async with world.client.ws_connect(f"/api/v1/sessions/{world.session_id}/ws") as ws:
        follower = Follower()
        first = await ws.receive_json()
        assert first["type"] == "snapshot"
        assert first["state"]["current_vote"]["vote_id"] == vote_id
        assert follower.take(first) == "taken"
        r = await answer(world, vote_id, "Ґудзь")
        assert r.status == 201
        seq = (await r.json())["seq"]
        while follower.seq < seq:
            msg = await ws.receive_json()
            assert msg["type"] == "patch" and len(json.dumps(msg)) < 1000
            assert follower.take(msg) == "taken"
        assert follower.state is not None
        assert follower.state["current_vote"]["answers"] == {world.pids["Ґудзь"]: "for"}
        assert follower.state == (await world.live())["state"]


async def test_a_client_that_asks_is_sent_the_snapshot(world: World) -> None:
    """A console that missed a patch sends {"type": "resync"} and gets the whole state."""
    vote_id = await voting(world)
    async with world.client.ws_connect(f"/api/v1/sessions/{world.session_id}/ws") as ws:
        first = await ws.receive_json()
        r = await answer(world, vote_id, "Ґудзь")
        seq = (await r.json())["seq"]
        while (msg := await ws.receive_json())["seq"] < seq:
            pass
        assert msg["type"] == "patch"
        await ws.send_json(RESYNC)
        again = await ws.receive_json()
        assert again["type"] == "snapshot" and again["seq"] == seq > first["seq"]
        assert again["state"] == (await world.live())["state"]


async def test_a_process_ignores_sessions_it_has_no_clients_for(
    world: World, database_url: str
) -> None:
    """Another process's append to a session this one has no console for is not folded here;
    once a console attaches, the next append is (interest per process)."""
    service = world.client.app[CONDUCT]
    hub = world.client.app[LIVE]
    vote_id = await voting(world)
    conn = await asyncpg.connect(database_url)  # not this process's pool: "another process"
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    try:
        cached = service.cached(world.sid)
        assert cached is not None
        ignored = hub.ignored
        async with conn.transaction():
            seq = (
                await append_event(
                    conn, world.sid, ev.PRESENCE_JOINED,
                    {"participant_id": world.pids["Ґудзь"], "occupant_id": "x2", "name": "x"},
                    actor="system", at=datetime.now(UTC),
                )
            ).seq  # fmt: skip
        for _ in range(100):
            if hub.ignored > ignored:
                break
            await asyncio.sleep(0.02)
        assert hub.ignored == ignored + 1
        assert cached is service.cached(world.sid) and cached.last_seq < seq
        async with world.client.ws_connect(f"/api/v1/sessions/{world.session_id}/ws") as ws:
            first = await ws.receive_json()
            assert first["seq"] == seq
            async with conn.transaction():
                later = (
                    await append_event(
                        conn, world.sid, ev.PRESENCE_LEFT,
                        {"participant_id": world.pids["Ґудзь"], "occupant_id": "x2"},
                        actor="system", at=datetime.now(UTC),
                    )
                ).seq  # fmt: skip
            patch = await ws.receive_json()
            assert (patch["type"], patch["base"], patch["seq"]) == ("patch", seq, later)
            assert hub.ignored == ignored + 1
    finally:
        await conn.close()
    assert vote_id


async def test_conflict_names_phase(world: World) -> None:
    """A wrong-state act is a 409 whose detail names the current phase."""
    r = await world.post("/votes", "Коваленко", {"amendment": None})
    problem = await r.json()
    assert r.status == 409
    assert "'opened'" in problem["detail"]
    assert problem["phase"] == "opened"


async def test_consoles_render_in_ukrainian(world: World) -> None:
    """The chair's and secretary's consoles need their role; the public view is open."""
    base = f"/sessions/{world.session_id}"
    r = await world.client.get(base + "/chair", headers=world.as_("Коваленко"))
    assert r.status == 200
    assert "Пульт головуючого" in await r.text()
    r = await world.client.get(base + "/chair", headers=world.as_("Ґудзь"))
    assert r.status == 403
    r = await world.client.get(base + "/secretary", headers=world.as_("Єрмоленко"))
    assert "Пульт секретаря" in await r.text()
    r = await world.client.get(base + "/watch")
    assert r.status == 200
    assert "Пряма трансляція" in await r.text()


async def test_the_hub_reacts_to_an_append_a_read_folded_before_its_notice(
    world: World, database_url: str
) -> None:
    """R7: a process whose cache already holds an announced append (a ``GET /live`` read folded
    it before the notice came) still tells its listeners and runs rada's reactions when the
    notice comes: here the quorum lost during a vote declares a break. Before, the hub saw the
    cache current and only published it (a recording-lost test failed 1 run in 24 under load)."""
    vote_id = await voting(world)
    app_service = world.client.app[CONDUCT]
    service = ConductService(world.pool, clock=app_service.clock, policy=app_service.policy)
    hub = LiveHub(service)  # another process's hub, told only what this test tells it
    await service.state(world.sid)
    # identity's appends, from a connection of no rada pool here (so the app does not react)
    conn = await asyncpg.connect(database_url)
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    try:
        for s in ["Іваненко", "Їжакевич", "Д'яченко"]:  # 6 deputies → 3: quorum is 4
            async with conn.transaction():
                left = await append_event(
                    conn,
                    world.sid,
                    ev.PRESENCE_LEFT,
                    {"participant_id": world.pids[s], "occupant_id": f"occ-{s}"},
                    actor="system",
                    at=datetime.now(UTC),
                )
    finally:
        await conn.close()
    seq = left.seq
    assert (await service.state(world.sid)).last_seq == seq  # the read comes first
    hub.want(world.sid, seq)  # then the notice
    await asyncio.wait_for(asyncio.shield(hub._workers[world.sid]), 10)
    types = await world.journal_types()
    assert types[-1] == ev.BREAK_DECLARED and vote_id
    assert service.told(world.sid) == len(types)
