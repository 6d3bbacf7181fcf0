"""PostgreSQL crashed (``pg_ctl stop -m immediate``) and restarted in the middle of a roll call
under a running rada that records: the roll call goes on, a session opened afterwards is
recorded and voted (R9), every accepted answer is journaled exactly once, ``/healthz`` says 503
while the database is down, and a second rada on the same database never records a session
this one records, before or after the restart (the recorder's claims vanish with the server)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from orchestrator.app import create_app
from orchestrator.conduct import api as conduct_api
from orchestrator.kernel import database
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.keys import POOL
from orchestrator.kernel.web.auth import Principal
from recording import api as recording_api
from recording.supervisor import RECLAIM_GRACE_SECONDS, RecordingSupervisor
from tests.conftest import make_settings
from tests.faults.conftest import OwnPostgres
from tests.integration.conduct.world import ORDER, VOTERS, World, install_test_auth, make_world
from tests.integration.recording.conftest import PORTS, own_port, simulated_settings, until

SECOND_PORTS = tuple(own_port(n) for n in range(10, 20))  # the second rada's ingest pool


def recording_app(
    url: str, data: Path, people: dict[str, Principal], name: str, **over: Any
) -> web.Application:
    """rada with conduct and a recorder fed by a simulated call through the real RTMP gate
    (1 kbit/s assumed: the test session is planned two days ahead, so the disk check passes)."""
    settings = make_settings(url, data, recording=simulated_settings(bitrate_kbps=1, **over))
    recording = recording_api.configure(poll_seconds=0.2, instance=name)
    app = create_app(settings, extensions=[conduct_api.setup, recording])
    install_test_auth(app, people)
    return app


@pytest.fixture
async def radas(
    own_postgres: OwnPostgres, tmp_path: Path
) -> AsyncIterator[tuple[Callable[[str], Awaitable[TestClient[Any, Any]]], dict[str, Principal]]]:
    """rada processes (as far as the database can tell) on the test's own PostgreSQL, started
    on demand, each with its own ingest ports."""
    url = await database.ensure_database(own_postgres.uri, "rada")
    people: dict[str, Principal] = {}
    ports = iter((PORTS, SECOND_PORTS))
    async with contextlib.AsyncExitStack() as stack:

        async def start(name: str) -> TestClient[Any, Any]:
            app = recording_app(url, tmp_path / name, people, name, ports=next(ports))
            return await stack.enter_async_context(TestClient(TestServer(app)))

        yield start, people


def supervisor(client: TestClient[Any, Any]) -> RecordingSupervisor:
    return client.app[recording_api.SUPERVISOR]


async def recorded(world: World) -> None:
    """Wait until the session's recorder journals that it receives (the simulated call)."""

    async def receiving() -> bool:
        return (await world.live())["state"]["recording"]["status"] == "receiving"

    await until(receiving, limit=30)


async def healthz(client: TestClient[Any, Any]) -> tuple[int, dict[str, Any]]:
    r = await client.get("/healthz")
    body: dict[str, Any] = await r.json()
    return r.status, body


async def test_sessions_are_recorded_and_voted_after_postgres_restarts(
    radas: tuple[Callable[[str], Awaitable[TestClient[Any, Any]]], dict[str, Principal]],
    own_postgres: OwnPostgres,
) -> None:
    """Crash mid roll call: answers meanwhile are refused (503), /healthz is 503; after the
    restart /healthz is 200 again, the roll call goes on, a NEW session is recorded and voted,
    every 201 answer is journaled exactly once, and the second rada never records a session the
    first one records (the first re-claims its sessions; R9, R10)."""
    start, people = radas
    client = await start("first")
    loop = asyncio.get_running_loop()
    pool: asyncpg.Pool = client.app[POOL]
    accepted: list[tuple[UUID, str, str]] = []  # (session, vote, participant) answered 201
    overlaps: list[str] = []

    async def watch_claims(other: TestClient[Any, Any]) -> None:
        """Sample both processes' recorders: never one session in both."""
        while True:
            both = set(supervisor(client).recorders) & set(supervisor(other).recorders)
            overlaps.extend(str(s) for s in both)
            await asyncio.sleep(0.05)

    async def answer(world: World, vote_id: str, surname: str) -> int:
        r = await world.post(
            f"/votes/{vote_id}/ballots",
            surname,
            {"participant_id": world.pids[surname], "answer": "for"},
        )
        if r.status == 201:
            accepted.append((world.sid, vote_id, world.pids[surname]))
        return r.status

    async def start_vote(world: World) -> str:
        await world.act("/open", "Коваленко")
        await recorded(world)
        await world.join_and_identify(*VOTERS)
        await world.act("/items/0/open", "Коваленко")
        body = await world.act("/votes", "Коваленко", {"amendment": None})
        vote_id: str = body["state"]["current_vote"]["vote_id"]
        return vote_id

    first = await make_world(client, pool, people)
    vote = await start_vote(first)
    assert first.sid in supervisor(client).recorders  # the first rada records it
    other = await start("second")
    watcher = asyncio.create_task(watch_claims(other))
    try:
        await asyncio.sleep(1.0)  # several polls of the second: it leaves the session alone
        assert first.sid not in supervisor(other).recorders
        for surname in ORDER[:3]:
            assert await answer(first, vote, surname) == 201
        assert (await healthz(client))[0] == 200  # the body carries the poll's age: not compared

        await asyncio.to_thread(own_postgres.crash)
        crashed_at = loop.time()
        assert await answer(first, vote, ORDER[3]) == 503

        async def unhealthy() -> bool:
            status, body = await healthz(client)
            parts = body["components"]
            return status == 503 and parts["recording_supervisor"]["status"] == "down"

        await until(unhealthy, limit=15)
        detected = loop.time() - crashed_at
        status, body = await healthz(client)
        assert body["components"]["database"]["status"] == "down"
        assert body["components"]["recording_supervisor"]["unconfirmed"] == 1
        assert first.sid in supervisor(client).recorders  # still recording locally

        await asyncio.sleep(2.0)  # an outage of a few seconds
        await asyncio.to_thread(own_postgres.restart)
        restarted_at = loop.time()

        async def healthy() -> bool:
            return (await healthz(client))[0] == 200

        await until(healthy, limit=30)
        recovered = loop.time() - restarted_at
        print(f"/healthz 503 {detected:.1f} s after the crash, 200 {recovered:.1f} s after restart")

        # the roll call goes on where it stopped (the answer refused with 503 is given again)
        for surname in ORDER[3:]:
            status = 0
            for _ in range(100):  # conduct's own reconnection (pool) may take a moment
                status = await answer(first, vote, surname)
                if status != 503:
                    break
                await asyncio.sleep(0.1)
            assert status == 201, surname
        await first.act(f"/votes/{vote}/close", "Коваленко")

        # a NEW session: recorded (by one of the two) and voted
        second = await make_world(client, pool, people)
        vote2 = await start_vote(second)
        for surname in ORDER:
            assert await answer(second, vote2, surname) == 201
        closed = await second.act(f"/votes/{vote2}/close", "Коваленко")
        assert closed["events"][-1]["payload"]["for"] == len(ORDER)

        # the second rada never took the first's session, also after its grace ran out
        await asyncio.sleep(RECLAIM_GRACE_SECONDS + 1.0 - (loop.time() - restarted_at))
        assert first.sid in supervisor(client).recorders
        assert first.sid not in supervisor(other).recorders
        assert supervisor(client).fenced == 0
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    assert overlaps == []

    journaled: list[tuple[UUID, str, str]] = []
    async with pool.acquire() as conn:
        for sid in {a[0] for a in accepted}:
            for e in await journal_store.load_events(conn, sid):
                if e.type == ev.BALLOT_RECORDED:
                    journaled.append((sid, e.payload["vote_id"], e.payload["participant_id"]))
    assert sorted(journaled) == sorted(accepted)  # every 201 exactly once, nothing else
    assert len(accepted) == 2 * len(ORDER)
