"""`rada serve --workers 2`: two processes share one port (SO_REUSEPORT) with no stickiness;
consoles connected to either worker see every answer, whichever worker took it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import psutil
import pytest

from orchestrator.conduct.live import RESYNC, Follower
from orchestrator.rehearsal.play import LocalService, Player
from tests.e2e.test_conduct_processes import ORDER, answer, client, deployed

pytestmark = pytest.mark.slow

WATCHERS = 12  # public consoles: the kernel spreads their connections over the workers


def workers(service: LocalService) -> list[psutil.Process]:
    assert service.process is not None
    return psutil.Process(service.process.pid).children()


def listening(worker: psutil.Process, port: int) -> bool:
    return any(
        c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in worker.net_connections()
    )


@pytest.fixture
async def deployment(
    database_url: str, pool: asyncpg.Pool
) -> AsyncIterator[tuple[LocalService, Player]]:
    """One `rada serve --workers 2`, the roll call open; both workers listening."""
    async with deployed(database_url, pool, "w", ("--workers", "2")) as ([service], player):
        for _ in range(600):  # healthy once one worker is: wait for both to listen
            both = workers(service)
            if len(both) == 2 and all(listening(w, service.port) for w in both):
                break
            await asyncio.sleep(0.1)
        yield service, player


async def watch(ws: aiohttp.ClientWebSocketResponse, follower: Follower, seq: int) -> None:
    while follower.seq < seq:
        msg = await ws.receive(timeout=30)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        if follower.take(msg.json()) == "resync":
            await ws.send_json(RESYNC)


async def test_consoles_on_either_worker_see_answers_taken_by_the_other(
    deployment: tuple[LocalService, Player],
) -> None:
    service, player = deployment
    both = workers(service)
    assert len(both) == 2
    path = f"/api/v1/sessions/{player.session_id}/ws"
    async with aiohttp.ClientSession(service.url) as http:
        sockets = [await http.ws_connect(path) for _ in range(WATCHERS)]
        followers = [Follower() for _ in sockets]
        for ws, follower in zip(sockets, followers, strict=True):
            await watch(ws, follower, 0)
        # which worker holds each console: the worker with the server side of its connection
        ours: list[int] = []
        for ws in sockets:
            transport: Any = ws._response.connection.transport  # type: ignore[union-attr]
            ours.append(transport.get_extra_info("sockname")[1])
        holders = {
            w.pid: sum(bool(c.raddr) and c.raddr.port in ours for c in w.net_connections())
            for w in both
        }
        assert all(holders.values()), f"consoles per worker: {holders}"
        for surname in ORDER[:4]:
            who = client(player, surname)
            async with aiohttp.ClientSession(service.url, cookie_jar=who.http.cookie_jar) as fresh:
                r = await answer(fresh, who, player, service.url)  # a new connection each
                assert r.status == 201, await r.text()
                seq = (await r.json())["seq"]
            await asyncio.gather(
                *(watch(ws, f, seq) for ws, f in zip(sockets, followers, strict=True))
            )
            for follower in followers:
                assert follower.state is not None
                assert follower.state["current_vote"]["answers"][who.participant_id] == "for"
        for ws in sockets:
            await ws.close()
