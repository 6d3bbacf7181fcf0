"""The decisions' suites: a played session seeded as closed, the app with identity, publication
and decisions (no background distributor: tests run it), a real SMTP server in-process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from orchestrator.app import create_app
from orchestrator.decisions import api as decisions_api
from orchestrator.kernel.settings import Settings
from orchestrator.protocol import api as publication_api
from tests.archive_seed import seed
from tests.fixtures.signin import FakeClock
from tests.fixtures.smtp import Inbox
from tests.journal_builder import PlayedSession, play_session

Client = TestClient[Any, Any]


@pytest.fixture
def smtp_port(inbox: tuple[Inbox, int]) -> int:
    return inbox[1]


@pytest.fixture
def played() -> PlayedSession:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    return play_session(items=3, start=start)


@pytest.fixture
def identity_app(
    identity_settings: Settings,
    clock: FakeClock,
    identity_setup: Callable[[web.Application], None],
) -> web.Application:
    return create_app(
        identity_settings,
        clock=clock,
        extensions=[
            identity_setup,
            publication_api.setup,
            decisions_api.configure(distribute=False),
        ],
    )


@pytest.fixture
async def client(
    identity_client: Client, pool: asyncpg.Pool, played: PlayedSession, clock: FakeClock
) -> Client:
    await seed(pool, played, planned_end=played.events[-1].at)
    clock.set(played.events[-1].at + timedelta(hours=1))
    return identity_client
