"""Recording wired into the app: the supervisor under ``cleanup_ctx`` recording a simulated call
(over RTMP, and over SRT), the recorder's state over the API, the ingest URL for the
administrator, and the public files (live HLS, parts with byte ranges, the archive)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from orchestrator.app import create_app
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.keys import POOL, SETTINGS
from recording.api import configure
from tests.conftest import ADMIN, make_settings
from tests.integration.recording.conftest import (
    close_session,
    open_session,
    simulated_settings,
    until,
    wait_journal,
)


@pytest.fixture(params=["rtmp", "srt"])
async def recording_client(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[TestClient[Any, Any]]:
    """The app with only recording wired, a simulated call as the conference."""
    settings = simulated_settings(ingest=request.param)
    app = create_app(
        make_settings(database_url, tmp_path / "data", recording=settings),
        extensions=[configure(poll_seconds=0.2)],
    )
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_status_and_files_of_a_recorded_session(
    recording_client: TestClient[Any, Any],
) -> None:
    """An opened session is recorded from the simulated call; its state and live playlist are
    public, parts are served with byte ranges, non-public files are not; closing it yields the
    archive playlist and manifest."""
    client = recording_client
    pool: asyncpg.Pool = client.app[POOL]
    r = await client.get("/api/v1/sessions/not-a-uuid/recording")
    assert (r.status, r.content_type) == (422, "application/problem+json")
    r = await client.get(f"/api/v1/sessions/{uuid.uuid4()}/recording")
    assert (r.status, r.content_type) == (404, "application/problem+json")

    session_id = await open_session(pool)
    await wait_journal(pool, session_id, ev.RECORDING_STARTED)

    async def receiving() -> bool:
        r = await client.get(f"/api/v1/sessions/{session_id}/recording")
        return r.status == 200 and (await r.json())["receiving"]

    await until(receiving)
    ingest = f"/api/v1/sessions/{session_id}/recording/ingest"
    r = await client.get(ingest)
    assert (r.status, r.content_type) == (401, "application/problem+json")
    r = await client.get(ingest, headers=ADMIN)
    where = await r.json()
    protocol = client.app[SETTINGS].recording.ingest
    assert where["protocol"] == protocol and where["url"].startswith(f"{protocol}://127.0.0.1:")
    assert f":{where['port']}" in where["url"]

    async def live_has_a_segment() -> bool:
        r = await client.get(f"/recordings/{session_id}/live.m3u8")
        return r.status == 200 and "#EXT-X-PROGRAM-DATE-TIME" in await r.text()

    await until(live_has_a_segment)
    r = await client.get(f"/recordings/{session_id}/part-0001.mp4", headers={"Range": "bytes=0-7"})
    assert r.status == 206 and (await r.read())[4:8] == b"ftyp"
    for name in ("part-0001.json", "part-0001.m3u8", "..%2Fmanifest.json"):
        assert (await client.get(f"/recordings/{session_id}/{name}")).status == 404

    await close_session(pool, session_id)
    await wait_journal(pool, session_id, ev.ARCHIVE_READY)
    archive = await (await client.get(f"/recordings/{session_id}/index.m3u8")).text()
    assert archive.rstrip().endswith("#EXT-X-ENDLIST")
    manifest = await (await client.get(f"/recordings/{session_id}/manifest.json")).json()
    assert [p["file"] for p in manifest["parts"]] == ["part-0001.mp4"]
