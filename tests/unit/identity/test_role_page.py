"""Where each role lands after opening a personal link."""

from __future__ import annotations

from uuid import UUID

import pytest
from aiohttp import web

from identity.api import role_page
from orchestrator.kernel.web.auth import Role

SID = UUID("12345678-1234-5678-1234-567812345678")


async def page(request: web.Request) -> web.Response:
    return web.Response()


@pytest.mark.parametrize(
    ("role", "target"),
    [
        (Role.CHAIR, f"/sessions/{SID}/identify"),
        (Role.SECRETARY, f"/sessions/{SID}/participant"),
        (Role.DEPUTY, f"/sessions/{SID}/participant"),
        (Role.GUEST, f"/sessions/{SID}/participant"),
    ],
)
def test_without_consoles(role: Role, target: str) -> None:
    """Before the conduct consoles exist, the chair lands on identification, others on the call."""
    assert role_page(web.Application(), role, SID) == target


@pytest.mark.parametrize(
    ("role", "target"),
    [
        (Role.CHAIR, f"/sessions/{SID}/chair"),
        (Role.SECRETARY, f"/sessions/{SID}/secretary"),
        (Role.DEPUTY, f"/sessions/{SID}/participant"),
    ],
)
def test_with_named_consoles(role: Role, target: str) -> None:
    """Routes named chair_console / secretary_console take over for those roles."""
    app = web.Application()
    app.router.add_get("/sessions/{session_id}/chair", page, name="chair_console")
    app.router.add_get("/sessions/{session_id}/secretary", page, name="secretary_console")
    assert role_page(app, role, SID) == target
