"""The distributor holds no row lock while the relay answers (S4): a delivery is claimed and
committed, the mail sent, then the outcome recorded. While a slow relay holds the message, the
delivery's row can be locked by another transaction at once, a second distributor claims
nothing (the lease), and each executor gets one letter."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from aiosmtpd.controller import Controller

from orchestrator.decisions import api as decisions_api
from tests.conftest import ADMIN
from tests.fixtures.signin import SignIn
from tests.fixtures.smtp import Inbox, free_port
from tests.integration.decisions.test_decisions_api import Client, adopted, register
from tests.journal_builder import PlayedSession


class SlowInbox(Inbox):
    """Holds each message at DATA until the test lets it through."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.entered.set()
        await asyncio.to_thread(self.release.wait, 30)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = SlowInbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        handler.release.set()
        controller.stop()


async def test_no_row_lock_is_held_while_sending(
    client: Client,
    played: PlayedSession,
    sign_in: SignIn,
    inbox: tuple[Inbox, int],
    pool: asyncpg.Pool,
) -> None:
    slow = inbox[0]
    assert isinstance(slow, SlowInbox)
    sid = played.session_id
    yes, _ = adopted(played)
    decision = await (await register(client, sid, yes[0])).json()
    did = decision["id"]
    executors = [
        {"name": "Фінансове управління", "email": "finance@rada.test"},
        {"name": "Управління ЖКГ", "email": "zhkg@rada.test"},
    ]
    r = await client.put(
        f"/api/v1/decisions/{did}/distribution", headers=ADMIN, json={"executors": executors}
    )
    assert r.status == 200, await r.text()
    chair = await sign_in(str(sid), played.chair)
    r = await chair.post(f"/api/v1/decisions/{did}/signature", json={"sha256": decision["sha256"]})
    assert r.status == 201

    distributor = client.app[decisions_api.DISTRIBUTOR]
    sending = asyncio.create_task(distributor.run_once())
    assert await asyncio.to_thread(slow.entered.wait, 15)  # the relay holds the first message
    async with pool.acquire() as conn, conn.transaction():
        locked = await conn.fetch(
            "SELECT position FROM decision_deliveries WHERE decision_id = $1 FOR UPDATE NOWAIT",
            UUID(did),
        )
    assert len(locked) == 2  # nothing held them
    assert await distributor.run_once() == 0  # both are leased to the first run
    slow.release.set()
    assert await asyncio.wait_for(sending, 20) == 2
    assert sorted(rcpts[0] for rcpts, _ in slow.messages) == ["finance@rada.test", "zhkg@rada.test"]
    r = await client.get(f"/api/v1/sessions/{sid}/decisions", headers=ADMIN)
    [entry] = (await r.json())["decisions"]
    assert [x["status"] for x in entry["deliveries"]] == ["sent", "sent"]
    journal = await (await client.get(f"/api/v1/sessions/{sid}/journal", headers=ADMIN)).json()
    assert [e["type"] for e in journal].count("decision_delivered") == 2
