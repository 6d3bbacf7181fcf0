"""PostgreSQL stopped with ``pg_ctl stop -m immediate`` (as a crash or a fail-over does) under a
running app: every request that needs it answers 503 with Retry-After, then works again. The
server is this test's own (the pgserver wheel's binaries), so other tests keep theirs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from orchestrator.app import create_app
from orchestrator.kernel import database
from tests.conftest import ADMIN, make_council, make_settings
from tests.faults.conftest import OwnPostgres
from tests.integration.recording.conftest import until


@pytest.fixture
async def outage_client(
    own_postgres: OwnPostgres, tmp_path: Path
) -> AsyncIterator[TestClient[Any, Any]]:
    url = await database.ensure_database(own_postgres.uri, "rada")
    app = create_app(make_settings(url, tmp_path / "data"))
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_database_outage_answers_503_with_retry_after_then_recovers(
    outage_client: TestClient[Any, Any], own_postgres: OwnPostgres
) -> None:
    """While PostgreSQL is down, reads and writes answer 503 problem+json with the code
    database_unavailable and Retry-After (never 500 internal_error); once it is back, the same
    requests succeed again without restarting rada."""
    client = outage_client
    council_id = await make_council(client)
    council = f"/api/v1/councils/{council_id}"
    body = {"name": "Житомирська міська рада", "convocation": 8, "total_composition": 42}

    await asyncio.to_thread(own_postgres.crash)
    for method, path, json in (
        ("GET", council, None),
        ("GET", f"{council}/roster", None),
        ("POST", "/api/v1/councils", body),
    ):
        for _ in range(2):  # the pool's first use of a dead connection, then a new connect
            r = await client.request(method, path, headers=ADMIN, json=json)
            assert r.status == 503, (method, path, r.status, await r.text())
            assert r.content_type == "application/problem+json"
            assert (await r.json())["code"] == "database_unavailable"
            assert int(r.headers["Retry-After"]) > 0

    await asyncio.to_thread(own_postgres.restart)

    async def answers() -> bool:
        return (await client.get(council, headers=ADMIN)).status == 200

    await until(answers, limit=30)
    r = await client.post("/api/v1/councils", headers=ADMIN, json=body)
    assert r.status == 201, await r.text()
