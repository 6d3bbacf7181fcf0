"""Live-state WebSocket clients that never read (raw sockets that complete the upgrade, then
never read a byte) during a roll call: the process's memory stays bounded, they are cut off
once behind, and a client that reads sees every state as before. Public sockets are limited per
client address and in total."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import psutil
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from orchestrator.app import create_app
from orchestrator.conduct import api as conduct_api
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.settings import LiveSettings, Settings, SignInSettings
from orchestrator.kernel.web.auth import Principal
from tests.conftest import make_settings
from tests.integration.conduct.world import ORDER, VOTERS, World, install_test_auth, make_world

# Long enough for a silent client to fall SLOW_SECONDS behind several times over, and for
# unbounded buffering to show: the full snapshots main once queued grew past RSS_BOUND in
# well under 20 s. ``ROLL_CALL_SECONDS=60`` for the longer run of earlier sessions.
ROLL_CALL_SECONDS = float(os.environ.get("ROLL_CALL_SECONDS", "20"))
SLOW_SECONDS = 3.0  # RADA_LIVE_SLOW_SECONDS here (10 s by default)
SILENT_CLIENTS = int(os.environ.get("SILENT_CLIENTS", "3"))  # bench/live_silent_clients.py: 100
AMENDMENT_TEXT = "Збільшити видатки на ремонт котельні. " * 100  # ~7 KiB
AMENDMENTS = 10  # ~70 KiB in every snapshot
# The bound: each silent client holds at most RADA_LIVE_BUFFER of unsent output plus one frame
# (the newest snapshot waiting) and aiohttp's own 64 KiB before it drains; everything else the
# roll call allocates is shared with the reading clients. 40 MiB leaves room for the
# allocator's noise; main grew by hundreds of MiB here.
RSS_BOUND = 40 * 1024 * 1024


def upgrade(
    port: int, path: str, headers: Mapping[str, str] | None = None
) -> tuple[socket.socket, int]:
    """A raw socket asking for the WebSocket upgrade, with the answer's status; after the
    answer's head nothing is read (a small receive buffer, as a stalled phone on a slow link)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"{extra}\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:  # the answer's head only; nothing after it is ever read
        head += sock.recv(1)
    return sock, int(head.split()[1])


def silent_client(port: int, path: str, headers: Mapping[str, str] | None = None) -> socket.socket:
    """A client that completed the upgrade and never reads."""
    sock, status = upgrade(port, path, headers)
    assert status == 101, status
    return sock


def upgrade_status(port: int, path: str, headers: Mapping[str, str] | None = None) -> int:
    """The status of a WebSocket upgrade (the socket is closed afterwards)."""
    sock, status = upgrade(port, path, headers)
    sock.close()
    return status


def conduct_app(settings: Settings, people: dict[str, Principal]) -> web.Application:
    app = create_app(settings, extensions=[conduct_api.setup])
    install_test_auth(app, people)
    return app


@pytest.fixture
def people() -> dict[str, Principal]:
    return {}


async def roll_call(world: World) -> str:
    """A roll call on a long amendment, in a session whose recording is not required here (no
    recorder wired); the vote's id."""
    await world.act("/open", "Коваленко")
    await world.join_and_identify(*VOTERS)
    await world.act("/items/0/open", "Коваленко")
    proposer = world.pids["Ґудзь"]
    for _ in range(AMENDMENTS):
        await world.act(
            "/amendments", "Єрмоленко", {"text": AMENDMENT_TEXT, "by_participant_id": proposer}
        )
    body = await world.act("/votes", "Коваленко", {"amendment": 0})
    vote_id: str = body["state"]["current_vote"]["vote_id"]
    return vote_id


async def answer(world: World, vote_id: str, surname: str) -> dict[str, Any]:
    body: dict[str, Any] = await world.act(
        f"/votes/{vote_id}/ballots",
        surname,
        {"participant_id": world.pids[surname], "answer": "against"},
    )
    return body


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_never_reading_clients_keep_memory_bounded_and_readers_current(
    database_url: str, pool: asyncpg.Pool, tmp_path: Path, people: dict[str, Principal]
) -> None:
    """Three clients that never read during a 20 s roll call (a deputy's connection
    coming and going, each a patch onto a ~70 KiB snapshot, over a slow link): the process's
    RSS grows by less than RSS_BOUND, the silent clients are cut off once behind, and a
    reading client gets the last state within a second."""
    # all from 127.0.0.1; the smallest buffer a client may leave unread: after the first
    # snapshot (~70 KiB) a client gets patches of about a hundred bytes, so a minute's roll
    # call owes a silent client less than the default 256 KiB
    live = LiveSettings(
        public_per_address=max(20, SILENT_CLIENTS + 1),
        buffer_bytes=16 * 1024,
        slow_seconds=SLOW_SECONDS,
    )
    settings = make_settings(database_url, tmp_path / "data", live=live)
    settings = replace(settings, conduct=replace(settings.conduct, recording_required=False))
    async with TestClient(TestServer(conduct_app(settings, people))) as client:
        world = await make_world(client, pool, people)
        vote = await roll_call(world)
        path = f"/api/v1/sessions/{world.session_id}/ws"
        port = client.port
        assert port is not None
        silent = [await asyncio.to_thread(silent_client, port, path) for _ in range(SILENT_CLIENTS)]
        hub = client.app[conduct_api.LIVE]
        for _ in range(100):
            if len(hub.sockets.get(world.sid, {})) == SILENT_CLIENTS:
                break
            await asyncio.sleep(0.05)
        # a slow link: the kernel holds little of what is sent (loopback would take megabytes,
        # and after the first snapshot a client gets patches of a few hundred bytes)
        for silent_one in hub.sockets[world.sid].values():
            assert silent_one.transport is not None
            sent = silent_one.transport.get_extra_info("socket")
            sent.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        process = psutil.Process()
        loop = asyncio.get_running_loop()
        async with client.ws_connect(path) as reader:
            seen: list[int] = []
            heard = asyncio.Event()

            async def read() -> None:
                async for msg in reader:
                    seen.append(msg.json()["seq"])
                    heard.set()

            reading = asyncio.create_task(read())

            before = process.memory_info().rss
            samples = [before]
            began = loop.time()
            moves = 0
            last = 0
            # the roll call: the vote stays open while a deputy's connection comes and goes
            # (each a journal append, so a new snapshot for every client)
            mover = world.pids["Петренко-Лисенко"]
            while loop.time() - began < ROLL_CALL_SECONDS:
                for type_ in (ev.PRESENCE_LEFT, ev.PRESENCE_JOINED):
                    last = await world.journal(
                        type_, {"participant_id": mover, "occupant_id": "occ-Петренко-Лисенко"}
                    )
                    await asyncio.sleep(0.02)
                moves += 1
                samples.append(process.memory_info().rss)
            for surname in ORDER[:-1]:
                last = (await answer(world, vote, surname))["seq"]
            finished = loop.time()
            async with asyncio.timeout(5):
                while not seen or seen[-1] < last:
                    heard.clear()
                    await heard.wait()
            caught_up = loop.time() - finished
            reading.cancel()
        for sock in silent:
            sock.close()
        mib = 1024 * 1024
        print(
            f"{moves} comings and goings, {last} appends; RSS {before / mib:.0f} MiB → max "
            f"{max(samples) / mib:.0f} MiB, end {samples[-1] / mib:.0f} MiB; "
            f"cut off {hub.cut_off}; reader caught up {caught_up:.2f} s after the last act"
        )
        assert seen and seen[-1] == last and caught_up < 1.0
        assert max(samples) - before < RSS_BOUND
        assert hub.cut_off == SILENT_CLIENTS


async def test_public_sockets_are_limited_per_address_and_in_total(
    database_url: str, pool: asyncpg.Pool, tmp_path: Path, people: dict[str, Principal]
) -> None:
    """Public sockets: the third from one address is refused (429), another address (named by
    a trusted proxy's X-Forwarded-For) still gets in until the total is reached; a signed-in
    participant is never counted; a closed socket frees its place."""
    settings = make_settings(
        database_url,
        tmp_path / "data",
        live=LiveSettings(public_per_address=2, public_total=3),
        signin=SignInSettings(trusted_proxies=("127.0.0.1",)),
    )
    async with TestClient(TestServer(conduct_app(settings, people))) as client:
        world = await make_world(client, pool, people)
        path = f"/api/v1/sessions/{world.session_id}/ws"
        port = client.port
        assert port is not None

        def via(address: str) -> dict[str, str]:
            return {"X-Forwarded-For": address}

        held: list[socket.socket] = []
        for _ in range(2):
            held.append(await asyncio.to_thread(silent_client, port, path, via("203.0.113.7")))
        assert await asyncio.to_thread(upgrade_status, port, path, via("203.0.113.7")) == 429
        held.append(await asyncio.to_thread(silent_client, port, path, via("198.51.100.2")))
        assert await asyncio.to_thread(upgrade_status, port, path, via("198.51.100.9")) == 429
        signed_in = {**via("203.0.113.7"), **world.as_("Коваленко")}
        assert await asyncio.to_thread(upgrade_status, port, path, signed_in) == 101
        held.pop(0).close()
        hub = client.app[conduct_api.LIVE]

        async def freed() -> bool:
            return sum(hub.public.values()) == 2

        for _ in range(100):
            if await freed():
                break
            await asyncio.sleep(0.05)
        assert await asyncio.to_thread(upgrade_status, port, path, via("203.0.113.7")) == 101
        for sock in held:
            sock.close()
