"""The deputy's «буду» / «не зможу» on the personal-link page, in headless Chromium (P1), and
the forecast page the chair reads; axe-core finds no serious violation on the panel."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aiohttp.test_utils import TestClient
from playwright.async_api import expect

from identity.api import IDENTITY
from tests.fixtures.browser import NEEDS_CHROMIUM, serious_violations
from tests.fixtures.signin import SessionIds

pytestmark = [*NEEDS_CHROMIUM]
Client = TestClient[Any, Any]


async def open_link(client: Client, browser: Any, ids: SessionIds, pid: str) -> Any:
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    # the Jitsi script is not this test's subject: answer it with nothing
    await page.route(
        "https://meet.rada.test/**",
        lambda route: route.fulfill(status=200, body="", content_type="application/javascript"),
    )
    token, _, _ = await client.app[IDENTITY].issue_link(UUID(ids.session_id), UUID(pid))
    await page.goto(str(client.make_url(f"/join/{token}")))
    await page.wait_for_url(f"**/sessions/{ids.session_id}/**")
    return page


async def test_deputy_answers_on_the_personal_page_and_the_chair_sees_it(
    identity_client: Client, session_ids: SessionIds, browser: Any
) -> None:
    """«Не зможу» asks for a reason; the answer is stored, shown again after a reload, and
    the chair's forecast page counts it with the reason (P1, R7)."""
    page = await open_link(identity_client, browser, session_ids, session_ids.deputies[0])
    panel = page.locator("#rsvp")
    await panel.wait_for(state="visible")
    assert await page.locator("#rsvp-reason-box").is_hidden()
    await page.get_by_label("Не зможу").check()
    await page.locator("#rsvp-reason-box").wait_for(state="visible")
    await page.get_by_role("button", name="Надіслати відповідь").click()
    status = page.locator("#rsvp-status")
    await expect(status).to_contain_text("причину")  # the reason is required
    await page.get_by_label("Причина").fill("Відрядження до Києва")
    await page.get_by_role("button", name="Надіслати відповідь").click()
    await expect(status).to_contain_text("отримано")
    await page.reload()
    await expect(page.locator("#rsvp-status")).to_contain_text("«не зможу»")
    assert await page.get_by_label("Причина").input_value() == "Відрядження до Києва"
    assert await serious_violations(page, context="#rsvp") == []

    chair = await open_link(identity_client, browser, session_ids, session_ids.chair)
    await chair.goto(
        str(identity_client.make_url(f"/sessions/{session_ids.session_id}/attendance"))
    )
    text = await chair.locator("main").text_content() or ""
    assert "Відрядження до Києва" in text and "не зможу" in text
    assert await chair.locator("#absent").text_content() == "1"


async def test_guest_sees_no_attendance_panel(
    identity_client: Client, session_ids: SessionIds, browser: Any
) -> None:
    """An invited guest is not asked (attendance is the deputies', R7)."""
    page = await open_link(identity_client, browser, session_ids, session_ids.guest)
    await page.wait_for_load_state("networkidle")
    assert await page.locator("#rsvp").is_hidden()


async def test_chair_console_steps_through_the_presiding_script(
    identity_client: Client, session_ids: SessionIds, browser: Any
) -> None:
    """The chair's console carries the presiding script (P1) one step at a time."""
    page = await open_link(identity_client, browser, session_ids, session_ids.chair)
    await page.wait_for_url(f"**/sessions/{session_ids.session_id}/chair")
    await page.locator("#script-panel summary").click()
    await expect(page.locator("#script-heading")).to_have_text("1. Відкриття")
    assert await page.locator("#script-prev").is_disabled()
    await page.get_by_role("button", name="Наступний крок →").click()
    await expect(page.locator("#script-heading")).to_have_text("2. Ідентифікація учасників")
    await expect(page.locator("#script-position")).to_contain_text("крок 2 з")


async def test_preparation_pages_have_no_serious_accessibility_violations(
    identity_client: Client, session_ids: SessionIds, browser: Any
) -> None:
    """axe-core on the plan, the script, the forecast, the check page and the public register
    of decisions: no serious or critical violation."""
    page = await open_link(identity_client, browser, session_ids, session_ids.secretary)
    sid = session_ids.session_id
    for path in (
        f"/sessions/{sid}/plan",
        f"/sessions/{sid}/script",
        f"/sessions/{sid}/attendance",
        f"/sessions/{sid}/check",
        "/decisions",
    ):
        await page.goto(str(identity_client.make_url(path)))
        assert await serious_violations(page) == [], path
        assert await page.evaluate("document.documentElement.lang") == "uk"
