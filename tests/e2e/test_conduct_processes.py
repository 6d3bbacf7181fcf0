"""Two real rada processes on one database, and a kill -9 in the middle of a roll call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from orchestrator import events as ev
from orchestrator.auth import Principal
from tests.e2e.processes import Server
from tests.integration.conduct.world import ORDER, VOTERS, World, make_world

pytestmark = pytest.mark.slow


@pytest.fixture
async def servers(database_url: str, tmp_path: Path) -> AsyncIterator[list[Server]]:
    started = [Server(database_url, tmp_path), Server(database_url, tmp_path)]
    try:
        for s in started:
            await s.start()
        yield started
    finally:
        for s in started:
            s.stop()


async def world_on(server: Server, http: aiohttp.ClientSession, pool: asyncpg.Pool) -> World:
    people: dict[str, Principal] = {}  # the server resolves X-Test-As itself
    w = await make_world(http, pool, people)  # type: ignore[arg-type]
    await w.act("/open", "Коваленко")
    await w.journal(ev.RECORDING_STARTED, {"part": 1, "started_at": "2026-11-23T10:00:00Z"})
    await w.join_and_identify(*VOTERS)
    await w.act("/items/0/open", "Коваленко")
    await w.act("/votes", "Коваленко", {"amendment": None})
    return w


def on(world: World, http: aiohttp.ClientSession) -> World:
    """The same session, driven through another process."""
    return World(http, world.pool, world.session_id, world.pids, world.roles)  # type: ignore[arg-type]


async def answer(world: World, surname: str, value: str = "for") -> Any:
    return await world.post(
        "/votes/0/ballots", surname, {"participant_id": world.pids[surname], "answer": value}
    )


async def next_snapshot(ws: aiohttp.ClientWebSocketResponse, seq: int) -> dict[str, Any]:
    while True:
        msg: dict[str, Any] = await ws.receive_json(timeout=30)
        if msg["seq"] >= seq:
            return msg


async def test_two_processes_show_the_same_live_state(
    servers: list[Server], pool: asyncpg.Pool
) -> None:
    """An answer on process A reaches a WebSocket on process B (LISTEN/NOTIFY), and back."""
    a, b = servers
    async with aiohttp.ClientSession(a.url) as http_a, aiohttp.ClientSession(b.url) as http_b:
        world_a = await world_on(a, http_a, pool)
        world_b = on(world_a, http_b)
        path = f"/api/v1/sessions/{world_a.session_id}/ws"
        async with http_b.ws_connect(path) as ws_b, http_a.ws_connect(path) as ws_a:
            await ws_b.receive_json(timeout=30)
            await ws_a.receive_json(timeout=30)
            r = await answer(world_a, ORDER[0])
            assert r.status == 201, await r.text()
            seq = (await r.json())["seq"]
            seen = await next_snapshot(ws_b, seq)
            assert seen["state"]["current_vote"]["answers"] == {world_a.pids[ORDER[0]]: "for"}
            r = await answer(world_b, ORDER[1], "against")
            assert r.status == 201, await r.text()
            seen = await next_snapshot(ws_a, (await r.json())["seq"])
            vote = seen["state"]["current_vote"]
            assert vote["answers"][world_a.pids[ORDER[1]]] == "against"
            assert vote["called_participant_id"] == world_a.pids[ORDER[2]]
        assert (await world_a.live())["state"] == (await world_b.live())["state"]


async def test_kill_9_mid_roll_call_loses_and_doubles_nothing(
    servers: list[Server], pool: asyncpg.Pool
) -> None:
    """kill -9 while answers arrive; after restart: same state, same next voter, each voter
    answered at most once, the chain intact."""
    a, _ = servers
    async with aiohttp.ClientSession(a.url) as http:
        world = await world_on(a, http, pool)
        for s in ORDER[:3]:
            assert (await answer(world, s)).status == 201
        before = (await world.live())["state"]
        # an answer in flight when the process dies: it either committed or it did not
        in_flight = asyncio.create_task(answer(world, ORDER[3]))
        await asyncio.sleep(0.005)
        a.kill()
        try:
            acknowledged = (await in_flight).status == 201
        except aiohttp.ClientError:
            acknowledged = False
    await a.start()
    async with aiohttp.ClientSession(a.url) as http:
        world = on(world, http)
        after = (await world.live())["state"]
        answered = after["current_vote"]["answers"]
        if acknowledged:
            assert world.pids[ORDER[3]] in answered  # acknowledged means committed
        expected_next = ORDER[4] if world.pids[ORDER[3]] in answered else ORDER[3]
        assert after["current_vote"]["called_participant_id"] == world.pids[expected_next]
        for s in ORDER[:3]:
            assert answered[world.pids[s]] == before["current_vote"]["answers"][world.pids[s]]
        # the client retries the answer it is unsure of: it never doubles
        retry = await answer(world, ORDER[3])
        assert retry.status in (201, 409)
        for s in ORDER[4:]:
            r = await answer(world, s)
            assert r.status == 201, await r.text()
        closed = await world.act("/votes/0/close", "Коваленко")
        assert closed["events"][-1]["payload"]["for"] == len(ORDER)
        r = await http.get(f"/api/v1/sessions/{world.session_id}/journal/verify")
        assert r.status == 200, await r.text()
        assert (await r.json())["ok"] is True
    types = await world.journal_types()
    assert types.count(ev.BALLOT_RECORDED) == len(ORDER)
