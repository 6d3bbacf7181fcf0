"""The chair's and the secretary's consoles in headless Chromium, signed in by personal link."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from identity.api import IDENTITY
from orchestrator import conduct_api, store
from orchestrator import events as ev
from orchestrator.settings import Settings
from tests.conftest import make_council
from tests.fixtures.signin import FakeClock, SessionIds, SignIn, convene

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


@pytest.fixture
def identity_app(
    settings: Settings, clock: FakeClock, identity_setup: Callable[[web.Application], None]
) -> web.Application:
    """identity's test app with conduct wired too (the consoles are conduct's)."""
    from orchestrator.app import create_app

    return create_app(settings, clock=clock, extensions=[identity_setup, conduct_api.setup])


@pytest.fixture
async def voting(
    identity_client: TestClient[Any, Any], pool: asyncpg.Pool, sign_in: SignIn
) -> SessionIds:
    """A 7-seat council's session: open, everyone present and identified, recording on, the
    first item's roll call open (the chair's acts over HTTP with the real sign-in)."""
    council = await make_council(identity_client, total=7)
    ids = await convene(identity_client, council_id=council)
    chair = await sign_in(ids.session_id, ids.chair)
    base = f"/api/v1/sessions/{ids.session_id}"
    r = await chair.post(base + "/open", json={})
    assert r.status == 201, await r.text()
    people = [ids.chair, ids.secretary, *ids.deputies]
    async with pool.acquire() as conn, conn.transaction():  # identity's and the recorder's part
        now = datetime.now(UTC)
        sid = UUID(ids.session_id)
        await store.append_event(
            conn, sid, ev.RECORDING_STARTED, {"part": 1}, actor="recorder", at=now
        )
        for pid in people:
            await store.append_event(
                conn,
                sid,
                ev.PRESENCE_JOINED,
                {"participant_id": pid, "occupant_id": pid, "name": "x"},
                actor="jitsi",
                at=now,
            )
            await store.append_event(
                conn,
                sid,
                ev.PARTICIPANT_IDENTIFIED,
                {"participant_id": pid, "confirmed_by": ids.chair},
                actor=f"participant:{ids.chair}",
                at=now,
            )
    for path, body in ((base + "/items/0/open", {}), (base + "/votes", {"amendment": None})):
        r = await chair.post(path, json=body)
        assert r.status == 201, await r.text()
    return ids


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        await chromium.close()


async def open_console(
    client: TestClient[Any, Any], browser: Any, ids: SessionIds, pid: str, page_name: str
) -> Any:
    """Open the personal link in a fresh browser context; it lands on the role's console."""
    token, _, _ = await client.app[IDENTITY].issue_link(UUID(ids.session_id), UUID(pid))
    page = await (await browser.new_context()).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(  # rada's resources and API answers (Chromium's own /favicon.ico aside)
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    await page.goto(str(client.make_url(f"/join/{token}")))
    await page.wait_for_url(f"**/sessions/{ids.session_id}/{page_name}")
    page.errors = errors
    return page


async def live(client: TestClient[Any, Any], ids: SessionIds) -> dict[str, Any]:
    r = await client.get(f"/api/v1/sessions/{ids.session_id}/live")
    state: dict[str, Any] = (await r.json())["state"]
    return state


async def test_secretary_enters_the_called_deputys_answer(
    identity_client: TestClient[Any, Any], voting: SessionIds, browser: Any
) -> None:
    """R17: the secretary's console shows who is called; «За» records it, source secretary,
    and the console moves on to the next deputy."""
    page = await open_console(identity_client, browser, voting, voting.secretary, "secretary")
    state = await live(identity_client, voting)
    called = state["current_vote"]["called_participant_id"]
    name = next(p["name"] for p in state["participants"] if p["participant_id"] == called)
    await page.locator("#called").filter(has_text=name).wait_for()
    await page.get_by_role("button", name="За", exact=True).click()
    nxt = state["current_vote"]["order"][1]
    next_name = next(p["name"] for p in state["participants"] if p["participant_id"] == nxt)
    await page.locator("#called").filter(has_text=next_name).wait_for()
    after = await live(identity_client, voting)
    assert after["current_vote"]["answers"] == {called: "for"}
    assert page.errors == []


async def test_chair_console_shows_quorum_and_skips(
    identity_client: TestClient[Any, Any], voting: SessionIds, browser: Any
) -> None:
    """The chair's console shows quorum and the call queue; «Не голосував» skips the called."""
    page = await open_console(identity_client, browser, voting, voting.chair, "chair")
    await page.locator("#quorum").filter(has_text="Кворум: 6 з 7").wait_for()
    await page.locator("#vote tr.called").wait_for()
    await page.get_by_role("button", name="Не голосував (далі)").click()
    await page.locator("#vote td", has_text="не голосував").wait_for()
    state = await live(identity_client, voting)
    assert list(state["current_vote"]["answers"].values()) == ["none"]
    assert page.errors == []
