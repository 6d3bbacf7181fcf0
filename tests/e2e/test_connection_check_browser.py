"""«Перевірка зв’язку» in headless Chromium with a fake camera and microphone
(``--use-fake-device-for-media-stream``) and a fake Jitsi (tests/fakes/fake_jitsi_web.py,
verifying the test token as Prosody does and asking rada's /access): the check passes, joins the
test room and is journaled; without a device it fails; a token the conference refuses (wrong
secret, expired) fails the join in Ukrainian; the office's summary page shows each (P1)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import expect

from identity.api import IDENTITY
from tests.conftest import ADMIN
from tests.fakes.fake_jitsi_web import FakeJitsiWeb, route_browser
from tests.fixtures.browser import NEEDS_CHROMIUM, launch, screens, serious_violations
from tests.fixtures.signin import JITSI_SECRET, FakeClock, SessionIds, jitsi_test_settings

pytestmark = [*NEEDS_CHROMIUM]
Client = TestClient[Any, Any]
FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture
async def playwright() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright  # only browser tests need it

    async with async_playwright() as pw:
        yield pw


@pytest.fixture
async def jitsi(identity_client: Client) -> AsyncIterator[tuple[FakeJitsiWeb, str]]:
    """The fake Jitsi front (Prosody's shared secret, rada's /access), served locally."""
    s = jitsi_test_settings()
    fake = FakeJitsiWeb(
        JITSI_SECRET,
        s.xmpp_domain,
        s.accepted_issuers,
        s.accepted_audiences,
        access_url=str(identity_client.make_url("/api/v1/jitsi/access")),
    )
    async with TestServer(fake.app) as server:
        yield fake, str(server.make_url("/"))


async def checked_page(
    client: Client,
    pw: Any,
    ids: SessionIds,
    pid: str,
    args: list[str],
    jitsi: tuple[FakeJitsiWeb, str],
) -> tuple[Any, Any]:
    browser = await launch(pw, *args)
    context = await browser.new_context()
    await route_browser(context, "meet.rada.test", jitsi[1])
    page = await context.new_page()
    token, _, _ = await client.app[IDENTITY].issue_link(UUID(ids.session_id), UUID(pid))
    await page.goto(str(client.make_url(f"/join/{token}")))
    await page.wait_for_url(f"**/sessions/{ids.session_id}/**")
    await page.goto(str(client.make_url(f"/sessions/{ids.session_id}/check")))
    await page.get_by_role("button", name="Почати перевірку").click()
    return browser, page


async def test_check_with_fake_devices_passes_and_without_fails(
    identity_client: Client,
    session_ids: SessionIds,
    playwright: Any,
    jitsi: tuple[FakeJitsiWeb, str],
) -> None:
    """Chromium's fake camera and microphone pass the check and the page joins the test room
    (the fake Jitsi verified the test token); a browser whose media is refused fails it; the
    office sees one passed and the rest not (journaled per participant)."""
    browser, page = await checked_page(
        identity_client, playwright, session_ids, session_ids.deputies[0], FAKE_MEDIA, jitsi
    )
    await expect(page.locator("#check-result")).to_contain_text("Перевірку пройдено", timeout=30000)
    assert await page.locator("#check-camera").text_content() == "працює"
    assert await page.locator("#check-join").text_content() == "вдалося"
    await expect(page.locator("#check-conference iframe")).to_have_count(0)  # hung up
    assert [(j.user_id, j.refused) for j in jitsi[0].joins] == [(session_ids.deputies[0], None)]
    await browser.close()
    # no fake device and media refused: neither camera nor microphone
    browser, page = await checked_page(
        identity_client,
        playwright,
        session_ids,
        session_ids.deputies[1],
        ["--deny-permission-prompts", "--use-fake-ui-for-media-stream=deny"],
        jitsi,
    )
    await expect(page.locator("#check-result")).to_contain_text("не пройдено", timeout=30000)
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
    assert rows[session_ids.deputies[0]]["joined"] is True


async def office_row(browser: Any, client: Client, sid: str, pid: str, join: str) -> Any:
    """The office's summary page (the administrator's key): the participant's join and result."""
    office = await browser.new_context(extra_http_headers=ADMIN)
    summary = await office.new_page()
    await summary.goto(str(client.make_url(f"/sessions/{sid}/checks")))
    row = summary.locator(f"tr[data-participant='{pid}']")
    await expect(row.locator("td.join")).to_have_text(join)
    await expect(row.locator("td.result")).to_have_text(
        "пройдено" if join == "вдалося" else "не пройдено"
    )
    return summary


@pytest.mark.parametrize("refusal", ["wrong_secret", "expired"])
async def test_a_refused_test_token_fails_the_join_in_ukrainian(
    identity_client: Client,
    session_ids: SessionIds,
    playwright: Any,
    jitsi: tuple[FakeJitsiWeb, str],
    clock: FakeClock,
    refusal: str,
) -> None:
    """A conference configured with another secret, or a token already expired by the
    conference's clock: the page says so in Ukrainian, the check is not passed, the office's
    summary page shows the failed join."""
    fake, _ = jitsi
    if refusal == "wrong_secret":
        fake.secret = "another-secret-" + "x" * 40
    else:
        clock.advance(minutes=-10)  # rada issues it ten minutes ago: past its two minutes
    pid = session_ids.deputies[2]
    browser, page = await checked_page(
        identity_client, playwright, session_ids, pid, FAKE_MEDIA, jitsi
    )
    result = page.locator("#check-result")
    await expect(result).to_contain_text("Перевірку не пройдено", timeout=30000)
    await expect(result).to_contain_text(
        "Тестове під’єднання до відеоконференції не вдалося: відеоконференція не прийняла "
        "тестовий пропуск."
    )
    assert await page.locator("#check-join").text_content() == "не вдалося"
    assert len(fake.joins) == 1 and fake.joins[0].refused is not None
    assert fake.joins[0].refused.startswith(
        "signature" if refusal == "wrong_secret" else "claim exp"
    )
    # the office's summary page (the administrator's key)
    await office_row(browser, identity_client, session_ids.session_id, pid, "не вдалося")
    await browser.close()


async def test_office_summary_shows_the_join_and_passes_axe(
    identity_client: Client,
    session_ids: SessionIds,
    playwright: Any,
    jitsi: tuple[FakeJitsiWeb, str],
) -> None:
    pid = session_ids.deputies[0]
    browser, page = await checked_page(
        identity_client, playwright, session_ids, pid, FAKE_MEDIA, jitsi
    )
    await expect(page.locator("#check-result")).to_contain_text("Перевірку пройдено", timeout=30000)
    await screens(page, "check-passed", "#check-result")
    summary = await office_row(browser, identity_client, session_ids.session_id, pid, "вдалося")
    await expect(summary.locator("#checks-summary")).to_contain_text("Перевірку пройдено: 1 із")
    await screens(summary, "checks-office", "#checks-summary")
    assert await serious_violations(summary) == []
    await browser.close()
