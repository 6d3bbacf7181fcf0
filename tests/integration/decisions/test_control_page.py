"""The office's control of execution page (S5) in headless Chromium: decisions under control
with their executors, control dates in Kyiv, reports; the overdue executor highlighted; the
secretary takes a decision off control from the page (journaled); axe-core finds no serious
violation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from aiohttp.test_utils import TestClient
from playwright.async_api import expect

from identity.api import IDENTITY
from tests.conftest import ADMIN
from tests.fixtures.browser import NEEDS_CHROMIUM, screens, serious_violations
from tests.fixtures.signin import FakeClock, SignIn
from tests.integration.decisions.test_decisions_api import adopted, register
from tests.journal_builder import PlayedSession

pytestmark = NEEDS_CHROMIUM
Client = TestClient[Any, Any]


async def test_control_page_highlights_overdue_and_takes_off_control(
    client: Client, played: PlayedSession, sign_in: SignIn, clock: FakeClock, browser: Any
) -> None:
    sid = played.session_id
    yes, _ = adopted(played)
    decision = await (await register(client, sid, yes[0])).json()
    did = decision["id"]
    chair = await sign_in(str(sid), played.chair)
    r = await chair.post(f"/api/v1/decisions/{did}/signature", json={"sha256": decision["sha256"]})
    assert r.status == 201
    today = clock.now.date()
    late, later = today - timedelta(days=2), today + timedelta(days=30)
    controls = {
        "controls": [
            {"executor": "Фінансове управління", "due_on": later.isoformat()},
            {"executor": "Управління ЖКГ", "due_on": late.isoformat()},
        ]
    }
    r = await client.put(f"/api/v1/decisions/{did}/control", headers=ADMIN, json=controls)
    assert r.status == 200, await r.text()

    token, _, _ = await client.app[IDENTITY].issue_link(sid, UUID(played.secretary))
    page = await (await browser.new_context()).new_page()
    await page.goto(str(client.make_url(f"/join/{token}")))  # the personal link signs in
    await page.goto(str(client.make_url(f"/sessions/{sid}/control")))
    await expect(page.locator("h1")).to_have_text("Контроль виконання рішень")
    await expect(page.locator("#control-overdue")).to_have_text("Прострочено виконання рішень: 1.")
    card = page.locator(f"#control-{did}")
    overdue = card.locator("tr.control.overdue")
    await expect(overdue).to_have_count(1)
    await expect(overdue.locator("td").nth(0)).to_have_text("Управління ЖКГ")
    await expect(overdue.locator("td").nth(1)).to_have_text(f"{late:%d.%m.%Y}")
    await expect(overdue.locator("td.state")).to_have_text("прострочено")
    pending = card.locator("tr.control.pending td").nth(1)
    await expect(pending).to_have_text(f"{later:%d.%m.%Y}")
    assert await serious_violations(page) == []
    await screens(page, "control", "#control-overdue")  # what is overdue, at once
    await expect(card.locator("tr.control.overdue td.state")).to_be_in_viewport(ratio=1)  # phone

    await card.get_by_label("Підстава зняття з контролю").fill("Рішення виконано")
    await card.get_by_role("button", name="Зняти з контролю").click()
    await expect(page.locator(f"#control-{did} p.status.off")).to_contain_text("Знято з контролю")
    await expect(page.locator("#control-overdue")).to_have_count(0)
    await expect(page.locator(f"#control-{did} tr.control.off")).to_have_count(2)
    journal = await (await client.get(f"/api/v1/sessions/{sid}/journal", headers=ADMIN)).json()
    [off] = [e for e in journal if e["type"] == "decision_off_control"]
    assert off["payload"]["reason"] == "Рішення виконано"
    assert off["payload"]["by"] == f"participant:{played.secretary}"

    # the administrator's page lists the council's decisions under control; a deputy gets none
    admin = await (await browser.new_context(extra_http_headers=ADMIN)).new_page()
    await admin.goto(str(client.make_url("/control")))
    await expect(admin.locator(f"#control-{did} p.status.off")).to_contain_text("Знято з контролю")
    r = await client.get("/control")
    assert r.status == 401
