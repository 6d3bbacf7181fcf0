"""The recorder's ingest tested end to end before the sitting (P1): the office starts a test,
a real ffmpeg publisher pushes the numbered source over RTMP with the session's stream key, the
test part is recorded apart, hashed, decoded and journaled; the sitting's archive afterwards
lists only the sitting's own part."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from orchestrator.app import _extensions, create_app
from orchestrator.convening import store as council_store
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.keys import POOL
from recording import api as recording_api
from tests.conftest import ADMIN, make_settings
from tests.integration.recording.conftest import (
    FPS,
    SOURCE_SECONDS,
    MediaCheck,
    Publish,
    close_session,
    journal_types,
    simulated_settings,
    wait_journal,
)

Client = TestClient[Any, Any]


@pytest.fixture
async def client(database_url: str, tmp_path: Path) -> AsyncIterator[Client]:
    """The whole app (the office's pages too), the recorder polling every 0.2 s."""
    fast = recording_api.configure(poll_seconds=0.2)
    app = create_app(
        make_settings(database_url, tmp_path / "data", recording=simulated_settings()),
        extensions=[fast if s is recording_api.setup else s for s in _extensions()],
    )
    async with TestClient(TestServer(app)) as c:
        yield c


async def convened_session(pool: asyncpg.Pool) -> uuid.UUID:
    council = council_store.Council(uuid.uuid4(), "Коростишівська міська рада", 8, 26)
    session_id = uuid.uuid4()
    now = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        await council_store.insert_council(conn, council)
        await council_store.insert_session(
            conn,
            council_store.SessionRow(
                session_id, council.id, "Позачергова сесія", 1, now + timedelta(days=1),
                now + timedelta(days=1, hours=1), f"rada-{session_id.hex[:8]}", "convened", None,
            ),
        )  # fmt: skip
        await journal_store.append_event(
            conn, session_id, ev.SESSION_CONVENED,
            {"agenda": [{"title": "Про бюджет"}], "participants": []},
            actor="admin", at=now,
        )  # fmt: skip
    return session_id


async def open_it(pool: asyncpg.Pool, session_id: uuid.UUID) -> None:
    async with pool.acquire() as conn, conn.transaction():
        for type_, payload in ((ev.SESSION_OPENED, {"by": "chair"}), (ev.ITEM_OPENED, {"item": 0})):
            await journal_store.append_event(
                conn, session_id, type_, payload, actor="chair", at=datetime.now(UTC)
            )
        await council_store.set_session_status(conn, session_id, "opened")


async def test_test_stream_is_recorded_apart_and_never_archived(
    client: Client, publish: Publish, media: MediaCheck, tmp_path: Path
) -> None:
    pool: asyncpg.Pool = client.app[POOL]
    sid = await convened_session(pool)
    path = f"/api/v1/sessions/{sid}/recording/ingest-test"
    assert (await client.post(path)).status == 401
    r = await client.post(path, headers=ADMIN)
    assert r.status == 202, await r.text()
    started = await r.json()
    assert started["url"].startswith("rtmp://127.0.0.1:") and started["url"].endswith(
        "/live/" + (await stream_key(pool, sid))
    )
    again = await client.post(path, headers=ADMIN)
    assert (again.status, (await again.json())["code"]) == (409, "ingest_test_running")
    running = await (await client.get(path, headers=ADMIN)).json()
    assert running["running"]["test_id"] == started["test_id"] and running["results"] == []

    publisher = await publish(started["url"])  # real ffmpeg, the numbered 6 s source over RTMP
    assert await publisher.finish() == 0
    await wait_journal(pool, sid, ev.INGEST_TESTED)
    body = await (await client.get(path, headers=ADMIN)).json()
    assert body["running"] is None
    [result] = body["results"]
    folder = tmp_path / "data" / "ingest-tests" / str(sid) / started["test_id"]
    part = folder / "part-0001.mp4"
    assert result["ok"] is True and result["decodes"] is True and result["parts"] == 1
    assert result["test_id"] == started["test_id"]
    assert result["frames"] == FPS * SOURCE_SECONDS
    assert abs(result["duration_ms"] - SOURCE_SECONDS * 1000) <= 200
    assert result["sha256"] == media.sha256(part)
    assert media.decode_errors(part) == ""
    assert media.frame_numbers(part) == list(range(FPS * SOURCE_SECONDS))
    # the office's summary page shows it
    page = await (await client.get(f"/sessions/{sid}/checks", headers=ADMIN)).text()
    assert "тестову трансляцію записано — 150 кадрів, 6.0 с, файл відтворюється" in " ".join(
        page.split()
    )
    # the recorder's own events never reached the journal
    assert ev.RECORDING_STARTED not in await journal_types(pool, sid)
    assert ev.PART_CLOSED not in await journal_types(pool, sid)

    # the real sitting: the simulated call is recorded, the session closed, the archive sealed
    await open_it(pool, sid)
    refused = await client.post(path, headers=ADMIN)
    assert (refused.status, (await refused.json())["code"]) == (409, "ingest_not_testable")
    await wait_journal(pool, sid, ev.RECORDING_STARTED)
    await close_session(pool, sid)
    await wait_journal(pool, sid, ev.ARCHIVE_READY)
    manifest = await (await client.get(f"/recordings/{sid}/manifest.json")).json()
    assert [p["file"] for p in manifest["parts"]] == ["part-0001.mp4"]
    assert result["sha256"] not in {p["sha256"] for p in manifest["parts"]}
    async with pool.acquire() as conn:
        closed = await journal_store.load_events(conn, sid, types=[ev.PART_CLOSED])
    assert [e.payload["sha256"] for e in closed] == [p["sha256"] for p in manifest["parts"]]
    archived = {p.name for p in (tmp_path / "data" / "media" / str(sid)).iterdir()}
    assert started["test_id"] not in archived
    assert (await client.get(f"/recordings/{sid}/../ingest-tests")).status == 404


async def stream_key(pool: asyncpg.Pool, sid: uuid.UUID) -> str:
    async with pool.acquire() as conn:
        key: str = await conn.fetchval(
            "SELECT stream_key FROM recording_keys WHERE session_id = $1", sid
        )
    return key
