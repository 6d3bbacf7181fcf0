"""The chair's and the secretary's consoles in headless Chromium, signed in by personal link."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from identity.api import IDENTITY
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.journal.chain import format_time, parse_time
from orchestrator.kernel.kyivtime import KYIV
from orchestrator.protocol.service import PUBLICATION
from recording import store as recording_store
from recording.supervisor import ACTOR as RECORDER
from tests.conftest import make_council
from tests.fixtures.browser import NEEDS_CHROMIUM, keep_screenshot
from tests.fixtures.signin import FakeClock, SessionIds, SignIn, convene

pytestmark = [*NEEDS_CHROMIUM, pytest.mark.slow]


P7S = b"\x30\x82\x01\x00" + b"detached CMS signature made outside rada" * 4


def recorder_row(
    sid: UUID, now: datetime, *, lost_since: datetime | None = None
) -> recording_store.StatusRow:
    """The row the recorder supervisor saves every poll: receiving at 2450 kbit/s in part 1,
    or (``lost_since``) no media since then."""
    return recording_store.StatusRow(
        session_id=sid,
        instance="test-recorder",
        ingest_port=19350,
        receiving=lost_since is None,
        lost_since=lost_since,
        part=1,
        parts=1,
        bitrate_kbps=2450 if lost_since is None else None,
        updated_at=now,
    )


def kyiv(at: str, with_date: bool = False) -> str:
    """A journal time as the consoles show it (Kyiv), like the protocol does."""
    local = parse_time(at).astimezone(KYIV)
    return local.strftime("%d.%m.%Y %H:%M:%S" if with_date else "%H:%M:%S")


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
        await journal_store.append_event(
            conn, sid, ev.RECORDING_STARTED, {"part": 1}, actor="recorder", at=now
        )
        await recording_store.save_status(conn, recorder_row(sid, now))
        for pid in people:
            await journal_store.append_event(
                conn,
                sid,
                ev.PRESENCE_JOINED,
                {"participant_id": pid, "occupant_id": pid, "name": "x"},
                actor="jitsi",
                at=now,
            )
            await journal_store.append_event(
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
async def closed(
    identity_client: TestClient[Any, Any], sign_in: SignIn, clock: FakeClock
) -> SessionIds:
    """A session the chair opened and closed (its links last through the 24-hour clock);
    the clock then an hour and a half past the end."""
    ids = await convene(identity_client)
    chair = await sign_in(ids.session_id, ids.chair)
    for act in ("/open", "/close"):
        r = await chair.post(f"/api/v1/sessions/{ids.session_id}{act}", json={})
        assert r.status == 201, await r.text()
    clock.advance(hours=1, minutes=30)
    return ids


JITSI_SCRIPT = "https://meet.rada.test/external_api.js"
# Stands in for the Jitsi server's external_api.js (as in test_participant_page.py).
FAKE_EXTERNAL_API = """
window.__jitsiCalls = [];
window.JitsiMeetExternalAPI = function (domain, options) {
  window.__jitsiCalls.push({domain: domain, roomName: options.roomName, lang: options.lang});
  var frame = document.createElement("iframe");
  frame.title = "Відеоконференція (імітація)";
  options.parentNode.appendChild(frame);
  this.addListener = function () {};
};
"""


async def fake_jitsi(route: Any) -> None:
    await route.fulfill(status=200, body=FAKE_EXTERNAL_API, content_type="application/javascript")


def outside_window(response: Any) -> bool:
    """The consoles embed the call; its token is refused (409) outside the session's time
    window, which is where these sessions run (days before their planned start)."""
    return response.status == 409 and response.url.endswith("/jitsi-token")


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
            if r.status >= 400 and not r.url.endswith("/favicon.ico") and not outside_window(r)
            else None
        ),
    )
    await page.route(JITSI_SCRIPT, fake_jitsi)
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
    await keep_screenshot(page, "console-secretary.png")


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
    await keep_screenshot(page, "console-chair.png")


async def protocol_status(client: TestClient[Any, Any], ids: SessionIds) -> dict[str, Any]:
    r = await client.get(f"/api/v1/sessions/{ids.session_id}/protocol/status")
    assert r.status == 200, await r.text()
    status: dict[str, Any] = await r.json()
    return status


async def shown(pages: Sequence[Any], selector: str, text: str | re.Pattern[str]) -> None:
    """Wait until every page's ``selector`` shows ``text`` (Playwright's own wait)."""
    for page in pages:
        await page.locator(selector).filter(has_text=text).wait_for()


async def test_protocol_clock_finalise_sign_publish_on_the_consoles(
    identity_client: TestClient[Any, Any], closed: SessionIds, browser: Any, clock: FakeClock
) -> None:
    """R18, R19: after close both consoles show the 24-hour deadline and the countdown; the
    secretary finalises, the chair sees it, signs with a .p7s, and a publication after the
    deadline is shown as late on both."""
    status = await protocol_status(identity_client, closed)
    secretary = await open_console(identity_client, browser, closed, closed.secretary, "secretary")
    chair = await open_console(identity_client, browser, closed, closed.chair, "chair")
    both = (secretary, chair)
    await shown(both, "#protocol-deadline", kyiv(status["deadline"], with_date=True))
    await shown(both, "#protocol-clock", re.compile(r"^Залишилося: 22 год \d\d хв$"))
    await shown(both, "#protocol-summary", "ще не завершено")
    assert await chair.get_by_role("button", name="Завершити протокол").count() == 0

    await secretary.get_by_role("button", name="Завершити протокол").click()
    await secretary.get_by_role("button", name="Так, завершити протокол").click()
    # the chair's console follows through the live state
    await shown(both, "#protocol-summary", "очікує підпису головуючого")
    finalised = await protocol_status(identity_client, closed)
    assert finalised["finalised_at"] is not None
    await shown([chair], "#protocol-state", finalised["protocol_sha256"])
    assert await secretary.get_by_role("button", name="Підписати протокол").count() == 0

    await chair.set_input_files(
        "#protocol-p7s",
        files=[{"name": "protocol.p7s", "mimeType": "application/pkcs7-signature", "buffer": P7S}],
    )
    await chair.get_by_role("button", name="Підписати протокол").click()
    await chair.get_by_role("button", name="Так, підписати протокол").click()
    await shown(both, "#protocol-summary", "очікує оприлюднення")
    await shown(both, "#protocol-signatures", "(головуючий)")
    signed = await protocol_status(identity_client, closed)
    assert signed["chair_signed"] is True
    assert signed["signatures"][0]["signature_sha256"] == hashlib.sha256(P7S).hexdigest()

    clock.advance(hours=23)  # 24.5 hours after the end: publishing now is late (R18)
    await chair.get_by_role("button", name="Оприлюднити протокол").click()
    await chair.get_by_role("button", name="Так, оприлюднити протокол").click()
    await shown(both, "#protocol-summary", "із запізненням")
    await shown(both, "#protocol-clock", "Відлік завершено")
    published = await protocol_status(identity_client, closed)
    assert published["late"] is True
    assert await chair.get_by_role("button", name="Оприлюднити протокол").count() == 0
    assert secretary.errors == [] and chair.errors == []


async def test_a_refused_act_is_explained_in_ukrainian(
    identity_client: TestClient[Any, Any], pool: asyncpg.Pool, closed: SessionIds, browser: Any
) -> None:
    """R9: where rada records, the protocol cannot be finalised before the recorder has sealed
    the archive; the secretary's console says so in Ukrainian (not the API's English detail),
    and the same button works once the recorder journals ``archive_ready``."""
    identity_client.app[PUBLICATION].recorded = True  # this deployment records its sessions
    secretary = await open_console(identity_client, browser, closed, closed.secretary, "secretary")
    await shown([secretary], "#protocol-summary", "ще не завершено")

    await secretary.get_by_role("button", name="Завершити протокол").click()
    await secretary.get_by_role("button", name="Так, завершити протокол").click()
    await shown([secretary], "#problem", "Відмовлено: Запис ще не запечатано в архів")
    assert "archive" not in (await secretary.locator("#problem").text_content() or "")
    assert (await protocol_status(identity_client, closed))["finalised_at"] is None

    async with pool.acquire() as conn, conn.transaction():  # the recorder seals the archive
        await journal_store.append_event(
            conn,
            UUID(closed.session_id),
            ev.ARCHIVE_READY,
            {
                "manifest": "manifest.json",
                "manifest_sha256": "0" * 64,
                "parts": 0,
                "duration_ms": 0,
            },
            actor=RECORDER,
            at=datetime.now(UTC),
        )
    await secretary.get_by_role("button", name="Завершити протокол").click()
    await secretary.get_by_role("button", name="Так, завершити протокол").click()
    await shown([secretary], "#protocol-summary", "очікує підпису головуючого")
    assert (await protocol_status(identity_client, closed))["finalised_at"] is not None
    # the refused request is the only failure the page saw (no script error)
    assert [e.split()[0] for e in secretary.errors] == ["409"]
    assert secretary.errors[0].endswith("/protocol/finalise")


async def recorder_text(client: TestClient[Any, Any], ids: SessionIds) -> str:
    """What the chair's console must say, built from the recorder's status endpoint."""
    r = await client.get(f"/api/v1/sessions/{ids.session_id}/recording")
    assert r.status == 200, await r.text()
    rec = await r.json()
    if rec["receiving"]:
        return f"Запис: триває; {rec['bitrate_kbps']} кбіт/с; частин: {rec['parts']}"
    return f"Запис втрачено о {kyiv(rec['lost_since'])}; частин: {rec['parts']}"


async def test_chair_console_shows_the_recorders_state(
    identity_client: TestClient[Any, Any], voting: SessionIds, browser: Any, pool: asyncpg.Pool
) -> None:
    """The chair's console shows what the recorder reports (receiving, bitrate,
    parts), and after a stall «Запис втрачено о …» as the recorder journals and reports it."""
    page = await open_console(identity_client, browser, voting, voting.chair, "chair")
    receiving = await recorder_text(identity_client, voting)
    assert "2450 кбіт/с" in receiving
    await shown([page], "#recorder", receiving)

    lost_at = datetime.now(UTC).replace(microsecond=0)
    sid = UUID(voting.session_id)
    async with pool.acquire() as conn, conn.transaction():  # the recorder's stall watchdog
        await recording_store.save_status(conn, recorder_row(sid, lost_at, lost_since=lost_at))
        await journal_store.append_event(
            conn,
            sid,
            ev.RECORDING_LOST,
            {"part": 1, "cause": "stall", "last_media_at": format_time(lost_at)},
            actor=RECORDER,
            at=lost_at,
        )
    lost = await recorder_text(identity_client, voting)
    assert lost.startswith("Запис втрачено о ")
    await shown([page], "#recorder", lost)
    await page.locator("#recorder .warn").wait_for()
    assert page.errors == []


async def test_chair_console_shows_each_restream_destination_by_name(
    identity_client: TestClient[Any, Any], voting: SessionIds, browser: Any, pool: asyncpg.Pool
) -> None:
    """The chair's console lists every restream destination with its own state (one streaming,
    one failing and being retried, with its failures and error) and never a URL; the
    recording's line is unchanged beside them (R9)."""
    sid = UUID(voting.session_id)
    now = datetime.now(UTC)
    youtube, site = "rtmps://a.example/live2/key-1", "rtmp://b.example/live/key-2"
    async with pool.acquire() as conn:  # as the recording process saves them
        await recording_store.replace_destinations(
            conn, sid, [("YouTube", youtube), ("Сайт ради", site)]
        )
        await recording_store.save_destination_state(
            conn, sid, "YouTube", youtube,
            state="streaming", attempts=1, failures=0, last_error=None, at=now,
        )  # fmt: skip
        await recording_store.save_destination_state(
            conn, sid, "Сайт ради", site,
            state="retrying", attempts=3, failures=2, last_error="Connection refused", at=now,
        )  # fmt: skip
    page = await open_console(identity_client, browser, voting, voting.chair, "chair")
    await shown([page], "#restream .ok", "«YouTube»: транслюється")
    await shown(
        [page],
        "#restream .warn",
        "«Сайт ради»: збій, повторне підключення (збоїв: 2) — Connection refused",
    )
    await shown([page], "#recorder", await recorder_text(identity_client, voting))
    assert "rtmp" not in await page.content()
    assert page.errors == []
