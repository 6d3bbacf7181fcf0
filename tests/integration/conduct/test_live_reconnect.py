"""The live hub on the process's journal listener: an append made while the listener was
disconnected (its notification lost) still reaches the WebSocket clients once it reconnects."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.keys import JOURNAL_LISTENER
from orchestrator.kernel.web.auth import Principal
from tests.integration.conduct.world import make_world
from tests.integration.outage import refusing_connections, terminate

WAIT = 10.0


async def test_append_missed_while_disconnected_reaches_clients_after_reconnect(
    client: TestClient[Any, Any],
    pool: asyncpg.Pool,
    pg_server_uri: str,
    people: dict[str, Principal],
) -> None:
    """The listener's backend is terminated while the database refuses new connections; an
    append then notifies nobody here; once connections are allowed the listener reconnects and
    the hub re-reads the session's head and sends the WebSocket client the new snapshot."""
    world = await make_world(client, pool, people)
    listener = client.app[JOURNAL_LISTENER]
    async with client.ws_connect(f"/api/v1/sessions/{world.session_id}/ws") as ws:
        first = json.loads(await ws.receive_str(timeout=WAIT))
        pid = listener.backend_pid
        assert pid is not None
        async with refusing_connections(pg_server_uri, pool):
            await terminate(pool, pid)
            seq = await world.journal(
                ev.PRESENCE_JOINED,
                {"participant_id": world.pids["Ґудзь"], "occupant_id": "occ", "name": "Ґудзь"},
            )
            assert seq > first["seq"]
            await asyncio.sleep(0.3)  # the hub hears nothing of it meanwhile
            assert listener.reconnections == 0
        async with asyncio.timeout(WAIT):
            while (frame := json.loads(await ws.receive_str()))["seq"] < seq:
                pass  # a frame of an earlier append may still have been on its way
        assert frame["seq"] == seq
        assert listener.reconnections == 1
