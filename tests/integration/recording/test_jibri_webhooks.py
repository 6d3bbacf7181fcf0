"""Jibri's status webhooks on a real PostgreSQL, posted by the fake Jibri as the real one posts
them: a change of the serving Jibri's state is journaled once (R9: the recording source is
part of the session's record), a Jibri that leaves the call or turns unhealthy is restarted at
once, and nothing unauthenticated, malformed or unknown reaches the journal."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import structlog
from aiohttp.test_utils import TestClient, TestServer

from orchestrator import events as ev
from orchestrator import store as journal_store
from orchestrator.app import POOL, create_app
from recording import store
from recording.api import configure
from recording.settings import RecordingSettings
from tests.conftest import make_settings
from tests.fakes.fake_jibri import FakeJibri
from tests.integration.recording.conftest import PORTS, open_session, until

SECRET = "jibri-webhook-secret-0123456789"
PREFIX = "/api/v1/jibri"
Wired = tuple[TestClient[Any, Any], FakeJibri]


def settings_for(jibri_url: str = "http://127.0.0.1:9", **kw: Any) -> RecordingSettings:
    values: dict[str, Any] = {
        "ports": PORTS,
        "host": "127.0.0.1",
        "stall_seconds": 2,
        "segment_seconds": 1,
        "jibri_urls": (jibri_url,),
        "jibri_ids": (("jibri-1", jibri_url),),
        "jibri_webhook_secret": SECRET,
        "jibri_retry_seconds": 600,  # only a webhook can restart the source in these tests
        **kw,
    }
    return RecordingSettings(**values)


@pytest.fixture
async def wired(database_url: str, tmp_path: Path) -> AsyncIterator[Wired]:
    """rada with recording wired to one fake Jibri (``jibri-1``) subscribed to its webhook."""
    fake = FakeJibri(jibri_id="jibri-1", webhook_secret=SECRET)
    jibri_server = TestServer(fake.app, host="127.0.0.1")
    await jibri_server.start_server()
    jibri_url = str(jibri_server.make_url("")).rstrip("/")
    app = create_app(
        make_settings(database_url, tmp_path / "data"),
        extensions=[configure(settings_for(jibri_url), poll_seconds=0.2)],
    )
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        fake.subscribers.append(str(client.make_url(PREFIX)))
        yield client, fake
    await jibri_server.close()


async def statuses(pool: asyncpg.Pool, session_id: uuid.UUID) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        events = await journal_store.load_events(conn, session_id)
    return [e.payload for e in events if e.type == ev.JIBRI_STATUS]


async def streaming(pool: asyncpg.Pool, fake: FakeJibri, starts: int) -> uuid.UUID:
    """Wait for the fake Jibri's ``starts``-th start to be recorded as serving a session."""

    async def assigned() -> bool:
        async with pool.acquire() as conn:
            row = await conn.fetchrow("SELECT * FROM jibri_assignments WHERE jibri_id = 'jibri-1'")
        return row is not None and len(fake.requests) >= starts and fake.busy

    await until(assigned)
    await fake.settle()
    async with pool.acquire() as conn:
        session_id: uuid.UUID = await conn.fetchval(
            "SELECT session_id FROM jibri_assignments WHERE jibri_id = 'jibri-1'"
        )
    return session_id


async def test_busy_is_journaled_once_and_unhealthy_restarts(wired: Wired) -> None:
    """BUSY reported again and again → one jibri_status ON; UNHEALTHY → failure_reason and the
    keeper restarts the Jibri at once (the retry period is 10 minutes here)."""
    client, fake = wired
    pool: asyncpg.Pool = client.app[POOL]
    session_id = await open_session(pool)
    assert await streaming(pool, fake, 1) == session_id
    for _ in range(3):  # Jibri's minute repeats
        assert await fake.post_status() == [200]
    on = {"status": "ON", "failure_reason": None, "jibri": "jibri-1",
          "busy_status": "BUSY", "health_status": "HEALTHY"}  # fmt: skip
    assert await statuses(pool, session_id) == [on]

    await fake.set_healthy(False)
    await until(lambda: len(fake.requests) >= 2)  # stopService, then startService again
    fake.healthy = True  # else it is restarted every RESTART_GAP_SECONDS until teardown
    got = await statuses(pool, session_id)
    assert got[1] == {**on, "failure_reason": "unhealthy", "health_status": "UNHEALTHY"}
    assert fake.requests[1]["sessionId"] == str(session_id)


async def test_idle_while_recording_is_journaled_and_restarts(wired: Wired) -> None:
    """The Jibri's ffmpeg dies (Jibri goes IDLE) while the session records → jibri_status OFF
    and the source is started again without waiting for the retry period."""
    client, fake = wired
    pool: asyncpg.Pool = client.app[POOL]
    session_id = await open_session(pool)
    await streaming(pool, fake, 1)
    assert await fake.post_status() == [200]
    await fake.die()
    assert [s["status"] for s in await statuses(pool, session_id)] == ["ON", "OFF"]
    off = (await statuses(pool, session_id))[1]
    assert (off["busy_status"], off["failure_reason"]) == ("IDLE", None)
    await streaming(pool, fake, 2)  # restarted and serving the session again
    assert fake.requests[1]["youTubeStreamKey"] == fake.requests[0]["youTubeStreamKey"]
    assert await fake.post_status() == [200]
    assert [s["status"] for s in await statuses(pool, session_id)] == ["ON", "OFF", "ON"]


Post = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]


@pytest.fixture
async def hook(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[TestClient[Any, Any], Post]]:
    """rada with the webhook but no supervisor (assignments written by the test)."""
    app = create_app(
        make_settings(database_url, tmp_path / "data"),
        extensions=[configure(settings_for(enabled=False))],
    )
    async with TestClient(TestServer(app)) as client:

        async def post(body: Any, secret: str | None = SECRET) -> tuple[int, dict[str, Any]]:
            headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
            r = await client.post(f"{PREFIX}/v1/status", json=body, headers=headers)
            return r.status, await r.json(content_type=None)

        yield client, post


def report(jibri_id: str = "jibri-1", busy: str = "BUSY", health: str = "HEALTHY") -> Any:
    return {"jibriId": jibri_id,
            "status": {"busyStatus": busy, "health": {"healthStatus": health, "details": {}}}}  # fmt: skip


async def test_refused_and_unknown_reports_leave_the_journal(
    hook: tuple[TestClient[Any, Any], Post],
) -> None:
    """Wrong or missing secret → 401; a bad body → 422 naming the field; an unknown jibriId →
    202 with a warning; none of them is journaled, while a valid report is."""
    client, post = hook
    pool: asyncpg.Pool = client.app[POOL]
    session_id = await open_session(pool)
    async with pool.acquire() as conn:
        await store.assign_jibri(conn, "jibri-1", session_id, "http://j1:2222", datetime.now(UTC))

    for secret in ("wrong", None):
        status, body = await post(report(), secret=secret)
        assert (status, body["code"]) == (401, "jibri_secret_refused")
    for bad, field in (
        ({"status": report()["status"]}, "jibriId"),
        ({"jibriId": "jibri-1", "status": "BUSY"}, "status"),
        (report(busy="WORKING"), "status.busyStatus"),
        (report(health="OK"), "status.health.healthStatus"),
        ([1, 2], "body"),
    ):
        status, body = await post(bad)
        assert (status, body["field"]) == (422, field)
    with structlog.testing.capture_logs() as logs:
        assert (await post(report("jibri-9")))[0] == 202
    assert [x["jibri"] for x in logs if x["event"] == "jibri_status_unknown_jibri"] == ["jibri-9"]
    assert await statuses(pool, session_id) == []

    assert await post(report()) == (200, {"outcome": "journaled"})
    assert await post(report()) == (200, {"outcome": "unchanged"})
    assert [s["status"] for s in await statuses(pool, session_id)] == ["ON"]


async def test_no_secret_configured_refuses_every_report(database_url: str, tmp_path: Path) -> None:
    """RADA_RECORDING_JIBRI_WEBHOOK_SECRET unset → 403 problem+json, whatever is sent."""
    app = create_app(
        make_settings(database_url, tmp_path / "data"),
        extensions=[configure(settings_for(enabled=False, jibri_webhook_secret=""))],
    )
    async with TestClient(TestServer(app)) as client:
        for headers in ({}, {"Authorization": "Bearer "}):
            r = await client.post(f"{PREFIX}/v1/status", json=report(), headers=headers)
            assert (r.status, r.content_type) == (403, "application/problem+json")
