"""Fixtures of the conduct tests: the app with conduct wired and a test sign-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from orchestrator.conduct import api as conduct_api
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.settings import Settings
from orchestrator.kernel.web.auth import Principal
from orchestrator.protocol import api as publication_api
from tests.integration.conduct.world import VOTERS, World, install_test_auth, make_world


@pytest.fixture
def people() -> dict[str, Principal]:
    """The participants the test authenticator knows (filled by make_world / the tests)."""
    return {}


@pytest.fixture
def app(settings: Settings, people: dict[str, Principal]) -> web.Application:
    """The app with conduct wired and the test sign-in."""
    from orchestrator.app import create_app

    app = create_app(settings, extensions=[conduct_api.setup, publication_api.setup])
    install_test_auth(app, people)
    return app


@pytest.fixture
async def client(app: web.Application) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(app)) as c:
        yield c


@pytest.fixture
async def world(
    client: TestClient[Any, Any], pool: asyncpg.Pool, people: dict[str, Principal]
) -> World:
    """A session opened, recorded, every voter present and identified (R7)."""
    w = await make_world(client, pool, people)
    await w.act("/open", "Коваленко")
    await w.journal(ev.RECORDING_STARTED, {"part": 1, "started_at": "2026-11-23T10:00:00Z"})
    await w.join_and_identify(*VOTERS)
    return w
