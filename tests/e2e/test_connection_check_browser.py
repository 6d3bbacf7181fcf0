"""«Перевірка зв’язку» in headless Chromium with a fake camera and microphone
(``--use-fake-device-for-media-stream``): the check passes and is journaled; without a device
it fails and the office's summary lists the participant as not passed (P1)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import expect

from identity.api import IDENTITY
from tests.conftest import ADMIN
from tests.fixtures.signin import SessionIds

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]
Client = TestClient[Any, Any]
FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture
async def playwright() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright  # only browser tests need it

    async with async_playwright() as pw:
        yield pw


async def checked_page(
    client: Client, pw: Any, ids: SessionIds, pid: str, args: list[str]
) -> tuple[Any, Any]:
    browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", *args])
    page = await (await browser.new_context()).new_page()
    await page.route("https://meet.rada.test/**", lambda r: r.fulfill(status=200, body=""))
    token, _, _ = await client.app[IDENTITY].issue_link(UUID(ids.session_id), UUID(pid))
    await page.goto(str(client.make_url(f"/join/{token}")))
    await page.wait_for_url(f"**/sessions/{ids.session_id}/**")
    await page.goto(str(client.make_url(f"/sessions/{ids.session_id}/check")))
    await page.get_by_role("button", name="Почати перевірку").click()
    return browser, page


async def test_check_with_fake_devices_passes_and_without_fails(
    identity_client: Client, session_ids: SessionIds, playwright: Any
) -> None:
    """Chromium's fake camera and microphone pass the check; a browser whose media is refused
    fails it; the office sees one passed and the rest not (journaled per participant)."""
    browser, page = await checked_page(
        identity_client, playwright, session_ids, session_ids.deputies[0], FAKE_MEDIA
    )
    await expect(page.locator("#check-result")).to_contain_text("Перевірку пройдено", timeout=15000)
    assert await page.locator("#check-camera").text_content() == "працює"
    await browser.close()
    # no fake device and media refused: neither camera nor microphone
    browser, page = await checked_page(
        identity_client,
        playwright,
        session_ids,
        session_ids.deputies[1],
        ["--deny-permission-prompts", "--use-fake-ui-for-media-stream=deny"],
    )
    await expect(page.locator("#check-result")).to_contain_text("не пройдено", timeout=15000)
    await browser.close()
    r = await identity_client.get(
        f"/api/v1/sessions/{session_ids.session_id}/connection-checks", headers=ADMIN
    )
    body = await r.json()
    rows = {p["participant_id"]: p for p in body["participants"]}
    assert rows[session_ids.deputies[0]]["passed"] is True
    assert rows[session_ids.deputies[1]]["checked_at"] is not None
    assert rows[session_ids.deputies[1]]["passed"] is False
    assert body["passed"] == 1 and session_ids.chair in body["not_passed"]
