"""The journal in PostgreSQL: append-only, no forks under concurrency, tampering detected."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from aiohttp.test_utils import TestClient

from orchestrator.kernel.errors import NotFound
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.journal.chain import Event, event_from_public
from orchestrator.kernel.journal.listener import Appended, parse
from tests.conftest import ADMIN, make_council, make_session

Client = TestClient[Any, Any]


async def test_concurrent_appends_never_fork(client: Client, pool: asyncpg.Pool) -> None:
    """Forty writers at once on one session: seq 1..n without gaps, one chain, verified."""
    s = await make_session(client, await make_council(client))
    sid = UUID(s["id"])

    async def write(i: int) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await journal_store.append_event(
                conn,
                sid,
                "remark_recorded",
                {"item": 0, "text": str(i)},
                actor="admin",
                at=datetime.now(UTC),
            )

    await asyncio.gather(*(write(i) for i in range(40)))
    seqs = [
        r["seq"]
        for r in await pool.fetch("SELECT seq FROM journal WHERE session_id = $1 ORDER BY seq", sid)
    ]
    assert seqs == list(range(1, 42))
    report = await (
        await client.get(f"/api/v1/sessions/{sid}/journal/verify", headers=ADMIN)
    ).json()
    assert report["ok"] and report["events"] == 41


async def test_journal_rows_cannot_be_updated_or_deleted(
    client: Client, pool: asyncpg.Pool
) -> None:
    """The database itself refuses UPDATE and DELETE on the journal."""
    s = await make_session(client, await make_council(client))
    for sql in (
        "UPDATE journal SET actor = 'x' WHERE session_id = $1",
        "DELETE FROM journal WHERE session_id = $1",
    ):
        try:
            await pool.execute(sql, UUID(s["id"]))
        except asyncpg.InsufficientPrivilegeError as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError(f"{sql} was allowed")


async def test_a_second_row_with_the_same_seq_is_refused(
    client: Client, pool: asyncpg.Pool
) -> None:
    """Two writers that bypass the row lock still cannot fork: (session, seq) is unique."""
    s = await make_session(client, await make_council(client))
    try:
        await pool.execute(
            """INSERT INTO journal (session_id, seq, at, actor, type, payload, prev_hash, hash)
               VALUES ($1, 1, now(), 'x', 'y', '{}'::jsonb, '', '')""",
            UUID(s["id"]),
        )
    except asyncpg.UniqueViolationError as exc:
        assert exc.constraint_name == "journal_session_seq"
    else:
        raise AssertionError("a forked journal row was accepted")


async def test_tampered_event_fails_verification(client: Client, pool: asyncpg.Pool) -> None:
    """Someone with superuser rights edits a stored event: the chain check names it."""
    s = await make_session(client, await make_council(client))
    sid = s["id"]
    await client.post(
        f"/api/v1/sessions/{sid}/announce",
        headers={"Authorization": "Bearer test-admin-token-0123456789"},
    )
    ok = await (await client.get(f"/api/v1/sessions/{sid}/journal/verify", headers=ADMIN)).json()
    assert ok["ok"] and ok["events"] == 2
    async with pool.acquire() as conn:
        await conn.execute("ALTER TABLE journal DISABLE TRIGGER journal_no_update")
        await conn.execute(
            """UPDATE journal SET payload = jsonb_set(payload, '{title}', '"Інша назва"')
               WHERE session_id = $1 AND seq = 1""",
            UUID(sid),
        )
        await conn.execute("ALTER TABLE journal ENABLE TRIGGER journal_no_update")
    bad = await (await client.get(f"/api/v1/sessions/{sid}/journal/verify", headers=ADMIN)).json()
    assert not bad["ok"]
    assert bad["faults"] == [{"seq": 1, "reason": "hash does not match the event's content"}]


async def test_lock_since_reads_the_head_and_what_follows_and_appends_chain_on(
    client: Client, pool: asyncpg.Pool
) -> None:
    """An act's one round trip (journal_lock_since, issue 14): the head and only the events
    after the caller's seq; appends after that head, interleaved with writers that lock on
    their own (append_event), never fork and verify."""
    s = await make_session(client, await make_council(client))
    sid = UUID(s["id"])
    now = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        head, fresh = await journal_store.lock_since(conn, sid, 0)
        assert [e.seq for e in fresh] == [1] and head.seq == 1 and head.hash == fresh[0].hash
        head, fresh = await journal_store.lock_since(conn, sid, 1)
        assert fresh == [] and head.seq == 1
        for i in range(3):
            await journal_store.append_next(
                conn, head, "remark_recorded", {"item": 0, "text": str(i)}, actor="admin", at=now
            )
        assert head.seq == 4

    async def act(i: int) -> None:
        async with pool.acquire() as conn, conn.transaction():
            head, _ = await journal_store.lock_since(conn, sid, 4)
            await asyncio.sleep(0)  # others queue on the lock meanwhile
            await journal_store.append_next(
                conn, head, "remark_recorded", {"item": 0, "text": f"a{i}"}, actor="admin", at=now
            )

    async def other(i: int) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await journal_store.append_event(
                conn, sid, "remark_recorded", {"item": 0, "text": f"o{i}"}, actor="admin", at=now
            )

    await asyncio.gather(*(f(i) for i in range(10) for f in (act, other)))
    async with pool.acquire() as conn, conn.transaction():
        head, fresh = await journal_store.lock_since(conn, sid, 20)
        assert fresh == (await journal_store.load_events(conn, sid))[20:]
    assert head.seq == 24 and [e.seq for e in fresh] == [21, 22, 23, 24]
    report = await (
        await client.get(f"/api/v1/sessions/{sid}/journal/verify", headers=ADMIN)
    ).json()
    assert report["ok"] and report["events"] == 24


async def test_lock_since_refuses_an_unknown_session(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        try:
            await journal_store.lock_since(conn, UUID(int=7), 0)
        except NotFound as exc:
            assert exc.code == "session_not_found"
        else:
            raise AssertionError("an unknown session was locked")


async def test_append_after_writes_only_onto_the_head_it_was_sealed_after(
    client: Client, pool: asyncpg.Pool, database_url: str
) -> None:
    """The act's one-statement append (journal_append_after, issue 14): sealed after a head
    read without a lock, it writes nothing if another writer appended meanwhile (the act then
    decides again under the lock), and otherwise appends, notifies and sets the status."""
    s = await make_session(client, await make_council(client))
    sid = UUID(s["id"])
    now = datetime.now(UTC)
    heard: list[str] = []
    listening = await asyncpg.connect(database_url)
    await listening.add_listener(
        journal_store.NOTIFY_CHANNEL, lambda *args: heard.append(str(args[-1]))
    )
    try:
        async with pool.acquire() as conn:
            head, _ = await journal_store.read_since(conn, sid, 0)
            expected = head.seq
            sealed = [
                journal_store.seal_next(
                    head, "remark_recorded", {"item": 0, "text": t}, actor="admin", at=now
                )
                for t in ("ї", "ґ")
            ]
            async with conn.transaction():  # another writer comes between
                await journal_store.append_event(
                    conn, sid, "remark_recorded", {"item": 0, "text": "x"}, actor="admin", at=now
                )
            assert not await journal_store.append_after(conn, expected, sealed, "opened")
            assert len(await journal_store.load_events(conn, sid)) == 2
            head, fresh = await journal_store.read_since(conn, sid, 1)
            assert [e.payload["text"] for e in fresh] == ["x"]
            expected = head.seq
            sealed = [
                journal_store.seal_next(
                    head, "remark_recorded", {"item": 0, "text": t}, actor="admin", at=now
                )
                for t in ("ї", "ґ")
            ]
            assert await journal_store.append_after(conn, expected, sealed, "opened")
            assert (await journal_store.load_events(conn, sid))[2:] == sealed
            status = await conn.fetchval("SELECT status FROM sessions WHERE id = $1", sid)
        assert status == "opened"
        for _ in range(100):
            if len(heard) >= 3:
                break
            await asyncio.sleep(0.05)
        notices = [parse(h) for h in heard]
        assert notices == [Appended(sid, 2), Appended(sid, 3), Appended(sid, 4)]
        events = await _all_events(pool, sid)
        # each notice carries its event (issue 14): the journal's, read back from the JSON
        assert [event_from_public(json.loads(n.event or "")) for n in notices if n] == events[1:]
    finally:
        await listening.close()
    report = await (
        await client.get(f"/api/v1/sessions/{sid}/journal/verify", headers=ADMIN)
    ).json()
    assert report["ok"] and report["events"] == 4


async def _all_events(pool: asyncpg.Pool, sid: UUID) -> list[Event]:
    async with pool.acquire() as conn:
        return await journal_store.load_events(conn, sid)
