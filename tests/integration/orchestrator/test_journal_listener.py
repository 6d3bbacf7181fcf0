"""The process's one journal listener on a real PostgreSQL: appends reach every subscriber, and
after its backend is terminated it reconnects, says so, and delivers later appends again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from identity import api as identity_api
from orchestrator.app import create_app
from orchestrator.conduct import api as conduct_api
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.journal.listener import (
    APPLICATION_NAME,
    Appended,
    JournalListener,
    listening,
)
from orchestrator.kernel.keys import JOURNAL_LISTENER
from orchestrator.kernel.settings import Settings
from orchestrator.kernel.settings.recording import RecordingSettings
from recording import api as recording_api
from tests.conftest import make_council, make_session
from tests.fixtures.signin import jitsi_test_settings, smtp_test_settings
from tests.integration.outage import FreezingProxy, refusing_connections, terminate
from tests.integration.recording.conftest import PORTS

WAIT = 10.0


class Heard:
    """A subscriber that keeps what it was told, as queues a test can wait on."""

    def __init__(self) -> None:
        self.appends: asyncio.Queue[Appended] = asyncio.Queue()
        self.reconnections: asyncio.Queue[None] = asyncio.Queue()

    def appended(self, notice: Appended) -> None:
        self.appends.put_nowait(notice)

    def reconnected(self) -> None:
        self.reconnections.put_nowait(None)

    async def next_append(self) -> Appended:
        async with asyncio.timeout(WAIT):
            return await self.appends.get()


@pytest.fixture
async def listener(database_url: str) -> AsyncIterator[JournalListener]:
    async with listening(database_url) as started:
        yield started


@pytest.fixture
async def session_id(client: TestClient[Any, Any], listener: JournalListener) -> uuid.UUID:
    """A convened session whose convening append the listener has already delivered, so a
    subscriber that joins now hears only the test's own appends."""
    probe = Heard()
    subscription = listener.subscribe(probe.appended, probe.reconnected, name="probe")
    created = uuid.UUID((await make_session(client, await make_council(client)))["id"])
    while (await probe.next_append()).session_id != created:
        pass
    listener.unsubscribe(subscription)
    return created


async def append(pool: asyncpg.Pool, session_id: uuid.UUID) -> int:
    async with pool.acquire() as conn, conn.transaction():
        event = await journal_store.append_event(
            conn, session_id, ev.SESSION_OPENED, {"by": "chair"}, actor="chair",
            at=datetime.now(UTC),
        )  # fmt: skip
    return event.seq


async def test_every_subscriber_hears_each_append(
    pool: asyncpg.Pool, session_id: uuid.UUID, listener: JournalListener
) -> None:
    """Each committed append reaches every subscriber as (session id, seq), in order."""
    first, second = Heard(), Heard()
    listener.subscribe(first.appended, first.reconnected, name="first")
    listener.subscribe(second.appended, second.reconnected, name="second")
    seqs = [await append(pool, session_id) for _ in range(3)]
    for heard in (first, second):
        assert [await heard.next_append() for _ in seqs] == [
            Appended(session_id, seq) for seq in seqs
        ]


async def test_rolled_back_append_is_not_heard(
    pool: asyncpg.Pool, session_id: uuid.UUID, listener: JournalListener
) -> None:
    """An append whose transaction rolls back notifies nobody (a notice means committed)."""
    heard = Heard()
    listener.subscribe(heard.appended, heard.reconnected, name="heard")
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await journal_store.append_event(
            conn, session_id, ev.SESSION_OPENED, {}, actor="chair", at=datetime.now(UTC)
        )
        await tx.rollback()
    seq = await append(pool, session_id)
    assert await heard.next_append() == Appended(session_id, seq)


async def test_failing_or_departed_subscriber_does_not_silence_the_others(
    pool: asyncpg.Pool, session_id: uuid.UUID, listener: JournalListener
) -> None:
    """A subscriber that raises is logged and skipped; one that unsubscribed hears nothing."""

    def broken(_notice: Appended) -> None:
        raise RuntimeError("subscriber bug")

    gone, heard = Heard(), Heard()
    listener.subscribe(broken, lambda: None, name="broken")
    subscription = listener.subscribe(gone.appended, gone.reconnected, name="gone")
    listener.subscribe(heard.appended, heard.reconnected, name="heard")
    listener.unsubscribe(subscription)
    seq = await append(pool, session_id)
    assert await heard.next_append() == Appended(session_id, seq)
    assert gone.appends.empty()


async def test_terminated_backend_reconnects_tells_subscribers_and_delivers_again(
    pool: asyncpg.Pool, session_id: uuid.UUID, listener: JournalListener
) -> None:
    """pg_terminate_backend on the LISTEN connection: the listener reconnects on a new backend,
    calls every subscriber's ``reconnected`` once, and later appends are heard again."""
    heard = Heard()
    listener.subscribe(heard.appended, heard.reconnected, name="heard")
    await append(pool, session_id)
    await heard.next_append()
    for round_ in range(1, 3):  # twice: a reconnected listener survives a second loss too
        before = listener.backend_pid
        assert before is not None
        await terminate(pool, before)
        async with asyncio.timeout(WAIT):
            await heard.reconnections.get()
        assert listener.reconnections == round_
        assert listener.backend_pid not in (None, before)
        seq = await append(pool, session_id)
        assert await heard.next_append() == Appended(session_id, seq)
    assert heard.reconnections.empty()


async def test_listener_keeps_trying_while_connections_are_refused(
    pool: asyncpg.Pool, pg_server_uri: str, session_id: uuid.UUID, listener: JournalListener
) -> None:
    """While the database refuses new connections the listener retries with backoff; once
    they are allowed again it listens, tells its subscribers, and delivers appends."""
    heard = Heard()
    listener.subscribe(heard.appended, heard.reconnected, name="heard")
    pid = listener.backend_pid
    assert pid is not None
    async with refusing_connections(pg_server_uri, pool):
        await terminate(pool, pid)
        await asyncio.sleep(0.5)  # several refused attempts
        assert listener.backend_pid is None
        assert heard.reconnections.empty()
    async with asyncio.timeout(WAIT):
        await heard.reconnections.get()
    seq = await append(pool, session_id)
    assert await heard.next_append() == Appended(session_id, seq)


async def test_the_app_listens_once_for_every_feature(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    """With identity's notice sender, conduct's live hub and the recorder supervisor wired, the
    process holds one LISTEN connection, and the three subscribe to it."""
    wired = replace(
        settings,
        jitsi=jitsi_test_settings(),
        smtp=smtp_test_settings(),
        recording=RecordingSettings(ports=PORTS, host="127.0.0.1"),
    )
    app = create_app(
        wired,
        extensions=[
            identity_api.configure(send_notices=True),
            conduct_api.setup,
            recording_api.configure(),
        ],
    )
    async with TestClient(TestServer(app)):
        listener = app[JOURNAL_LISTENER]
        assert sorted(listener.subscribers) == ["live_hub", "notice_sender", "recording_supervisor"]
        async with pool.acquire() as conn:
            listening_pids = await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND (query LIKE 'LISTEN %' OR application_name = $1)",
                APPLICATION_NAME,
            )
        assert [r["pid"] for r in listening_pids] == [listener.backend_pid]
    assert listener.subscribers == []


async def test_one_listen_connection_per_listener(
    pool: asyncpg.Pool, listener: JournalListener
) -> None:
    """The listener holds exactly one backend that LISTENs on the journal's channel."""
    async with pool.acquire() as conn:
        listening_pids = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1",
            f'LISTEN "{journal_store.NOTIFY_CHANNEL}"',
        )
    assert [r["pid"] for r in listening_pids] == [listener.backend_pid]


async def test_silent_connection_is_noticed_by_the_check_and_replaced(
    pool: asyncpg.Pool, database_url: str, session_id: uuid.UUID
) -> None:
    """A connection that goes silent without closing (no termination callback) fails the
    periodic SELECT 1; the listener reconnects, tells its subscribers, and hears again."""
    async with FreezingProxy(database_url) as proxy:
        listener = JournalListener(proxy.url, check_seconds=0.2, check_timeout=0.5)
        await listener.start()
        try:
            heard = Heard()
            listener.subscribe(heard.appended, heard.reconnected, name="heard")
            seq = await append(pool, session_id)
            assert await heard.next_append() == Appended(session_id, seq)
            proxy.frozen.set()
            await append(pool, session_id)  # swallowed by the silent connection
            await asyncio.sleep(0.1)
            assert heard.appends.empty()
            proxy.frozen.clear()  # new connections through the relay work again
            async with asyncio.timeout(WAIT):
                await heard.reconnections.get()
            seq = await append(pool, session_id)
            assert await heard.next_append() == Appended(session_id, seq)
        finally:
            await listener.close()
