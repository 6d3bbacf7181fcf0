"""Fixtures of the conduct tests: the app with conduct wired and a test sign-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from orchestrator.conduct import api as conduct_api
from orchestrator.kernel.settings import Settings
from orchestrator.kernel.web.auth import Principal
from orchestrator.protocol import api as publication_api
from tests.integration.conduct.world import install_test_auth


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
