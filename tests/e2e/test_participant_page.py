"""The participant's page in headless Chromium: the Jitsi IFrame API call (Jitsi faked at the
script level, as the real external_api.js defines it) and the answer buttons only when called."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import expect

from identity.api import IDENTITY
from identity.tokens import TokenIssuer
from orchestrator.kernel.journal import events
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.web.auth import Principal, Role
from tests.conftest import make_council
from tests.fixtures.browser import NEEDS_CHROMIUM, launch
from tests.fixtures.signin import EVENT_SECRET, FakeClock, SessionIds, convene, jitsi_test_settings

pytestmark = [*NEEDS_CHROMIUM]

# Stands in for https://<domain>/external_api.js: the same global constructor, recording its
# arguments and answering addListener like the real JitsiMeetExternalAPI.
FAKE_EXTERNAL_API = """
window.__jitsiCalls = [];
window.JitsiMeetExternalAPI = function (domain, options) {
  window.__jitsiCalls.push({
    domain: domain, roomName: options.roomName, jwt: options.jwt, lang: options.lang,
    parentId: options.parentNode ? options.parentNode.id : null
  });
  var frame = document.createElement("iframe");
  frame.id = "jitsiConferenceFrame0";
  options.parentNode.appendChild(frame);
  this.listeners = {};
  this.addListener = function (name, fn) { this.listeners[name] = fn; };
};
"""


@pytest.fixture
async def page(identity_client: TestClient[Any, Any]) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright  # imported here: only browser tests need it

    async with async_playwright() as pw:
        browser = await launch(pw)
        context = await browser.new_context(viewport={"width": 375, "height": 740})
        page = await context.new_page()
        await page.route(
            "https://meet.rada.test/external_api.js",
            lambda route: route.fulfill(
                status=200, body=FAKE_EXTERNAL_API, content_type="application/javascript"
            ),
        )
        yield page
        await browser.close()


async def open_as_deputy(
    client: TestClient[Any, Any], page: Any, ids: SessionIds, pid: str
) -> None:
    token, _, _ = await client.app[IDENTITY].issue_link(UUID(ids.session_id), UUID(pid))
    await page.goto(str(client.make_url(f"/join/{token}")))
    await page.wait_for_url(f"**/sessions/{ids.session_id}/participant")


async def join_and_identify_everyone(client: TestClient[Any, Any], ids: SessionIds) -> None:
    """The secretary and every deputy join the call (Prosody's event_sync) and the chair
    identifies each (R11), so quorum holds."""
    chair = Principal("participant", UUID(ids.session_id), UUID(ids.chair), Role.CHAIR)
    hook = {"Authorization": "Bearer " + EVENT_SECRET}
    for pid in [ids.secretary, *ids.deputies]:
        body = {"room_name": ids.room, "occupant": {"id": pid, "name": "Х"}}
        r = await client.post("/api/v1/jitsi/events/occupant/joined", json=body, headers=hook)
        assert r.status == 200
        await client.app[IDENTITY].identify(UUID(ids.session_id), UUID(pid), chair)


async def test_page_opens_the_conference_with_room_and_token(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, clock: FakeClock, page: Any
) -> None:
    """The IFrame API gets the Jitsi domain, the session's room, a valid token and lang uk."""
    clock.set(session_ids.starts_at)
    await open_as_deputy(identity_client, page, session_ids, session_ids.deputies[0])
    await page.locator("#conference iframe").wait_for(state="attached")
    [call] = await page.evaluate("window.__jitsiCalls")
    assert call["domain"] == "meet.rada.test"
    assert call["roomName"] == session_ids.room
    assert call["lang"] == "uk"
    assert call["parentId"] == "conference"
    claims = (
        TokenIssuer(jitsi_test_settings())
        .verifier()
        .verify(call["jwt"], room=session_ids.room, now=clock.now)
    )
    assert claims["context"]["user"]["id"] == session_ids.deputies[0]
    assert await page.evaluate("document.documentElement.lang") == "uk"
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0  # no sideways scrolling on a phone-sized screen


async def test_page_without_sign_in_asks_for_the_link(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, page: Any
) -> None:
    """Opened without a sign-in the page says to use the personal link and opens no call."""
    await page.goto(
        str(identity_client.make_url(f"/sessions/{session_ids.session_id}/participant"))
    )
    notice = page.locator("#notice")
    await notice.wait_for(state="visible")
    assert "персональне посилання" in (await notice.text_content() or "")
    assert await page.evaluate("window.__jitsiCalls === undefined")


async def _append(
    client: TestClient[Any, Any], sid: str, type_: str, payload: dict[str, Any], clock: FakeClock
) -> None:
    async with client.app[IDENTITY].pool.acquire() as conn, conn.transaction():
        await journal_store.append_event(
            conn, UUID(sid), type_, payload, actor="test", at=clock.now
        )


async def test_answer_buttons_only_when_this_deputy_is_called(
    identity_client: TestClient[Any, Any], clock: FakeClock, page: Any
) -> None:
    """Through conduct's real live state: buttons stay hidden while another deputy is called and
    appear when this one is (R15). Deputies join the call and are identified, so quorum holds."""
    paths = {r.resource.canonical for r in identity_client.app.router.routes() if r.resource}
    if "/api/v1/sessions/{session_id}/ws" not in paths:  # pragma: no cover
        pytest.skip("needs conduct's live-state WebSocket (merged separately)")
    ids = await convene(identity_client, council_id=await make_council(identity_client, total=7))
    clock.set(ids.starts_at)
    sid = ids.session_id
    service = identity_client.app[IDENTITY]
    await join_and_identify_everyone(identity_client, ids)
    me, other = ids.deputies[0], ids.deputies[1]
    await open_as_deputy(identity_client, page, ids, me)
    vote = page.locator("#vote")
    await expect(page.locator("#phase")).to_have_text("Оголошено")  # the socket is attached
    order = [other, me]
    for type_, payload in [
        (events.RECORDING_STARTED, {"part": 0, "started_at": "2026-01-01T00:00:00.000000Z"}),
        (events.SESSION_OPENED, {"by": ids.chair}),
        (events.ITEM_OPENED, {"item": 0}),
        (events.VOTE_OPENED, {"vote_id": "0", "item": 0, "amendment": None, "order": order,
                              "absent": [], "total_composition": 7, "mayor_taking_part": True,
                              "required": 4}),
        (events.DEPUTY_CALLED, {"vote_id": "0", "participant_id": other, "position": 0}),
    ]:  # fmt: skip
        await _append(identity_client, sid, type_, payload, clock)
    await expect(page.locator("#phase")).to_have_text("Голосування")
    assert await vote.is_hidden()
    await _append(identity_client, sid, events.DEPUTY_CALLED,
                  {"vote_id": "0", "participant_id": me, "position": 1}, clock)  # fmt: skip
    await vote.wait_for(state="visible")
    labels = await page.locator(".answer").all_text_contents()
    assert [label.strip() for label in labels] == ["За", "Проти", "Утримався"]
    await page.get_by_role("button", name="За").click()
    await expect(page.locator("#notice")).to_have_text("Ваш голос «за» зараховано.")
    await expect(vote).to_be_hidden()  # answered: no longer called
    rows = await service.pool.fetch(
        "SELECT payload FROM journal WHERE session_id = $1 AND type = $2",
        UUID(sid), events.BALLOT_RECORDED,
    )  # fmt: skip
    assert [dict(r["payload"]) for r in rows] == [
        {"vote_id": "0", "participant_id": me, "answer": "for", "source": "deputy"}
    ]


def snapshot(ids: SessionIds, called: str | None, seq: int) -> str:
    """A live-state message exactly as /work/briefs/live-state.md defines it."""
    vote = None
    if called is not None:
        vote = {
            "vote_id": "0", "item": 0, "amendment": None, "order": ids.deputies,
            "called_participant_id": called, "position": ids.deputies.index(called),
            "answers": {}, "tally": {"for": 0, "against": 0, "abstain": 0, "not_voted": 0,
                                     "absent": 0}, "required": 14,
        }  # fmt: skip
    state = {
        "session_id": ids.session_id, "title": "Позачергова сесія", "number": 1,
        "phase": "voting" if vote else "item",
        "agenda": [{"index": 0, "title": "Питання 1", "category": "urgent_budget",
                    "category_uk": "бюджет", "status": "voting" if vote else "open"}],
        "current_item": 0, "current_vote": vote, "break": None,
        "quorum": {"present_deputies": 5, "total_composition": 26, "required": 14, "holds": False},
        "participants": [], "recording": {"status": "receiving", "since": None, "parts": 1},
        "discussion": None,
    }  # fmt: skip
    return json.dumps({"type": "snapshot", "seq": seq, "state": state}, ensure_ascii=False)


async def test_page_follows_the_live_state_contract(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, clock: FakeClock, page: Any
) -> None:
    """Against snapshots shaped as the live-state contract says (the socket is played by the
    test until conduct serves it): buttons only for the called deputy, and a ballot POST that
    carries the CSRF token and answers only for this deputy."""
    clock.set(session_ids.starts_at)
    me, other = session_ids.deputies[0], session_ids.deputies[1]
    sockets: list[Any] = []

    def on_socket(ws: Any) -> None:
        sockets.append(ws)
        ws.send(snapshot(session_ids, None, 1))

    await page.route_web_socket("**/api/v1/sessions/*/ws", on_socket)
    await open_as_deputy(identity_client, page, session_ids, me)
    await expect(page.locator("#phase")).to_have_text("Розгляд питання")
    await expect(page.locator("#item")).to_have_text("1. Питання 1")
    vote = page.locator("#vote")
    assert await vote.is_hidden()
    sockets[-1].send(snapshot(session_ids, other, 2))
    await expect(page.locator("#phase")).to_have_text("Голосування")
    assert await vote.is_hidden()
    sockets[-1].send(snapshot(session_ids, me, 3))
    await vote.wait_for(state="visible")
    box = await vote.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 740  # on a phone the answers are on screen, no scrolling
    async with page.expect_request("**/votes/0/ballots") as caught:
        await page.get_by_role("button", name="Проти").click()
    request = await caught.value
    assert request.method == "POST"
    assert json.loads(request.post_data or "{}") == {"participant_id": me, "answer": "against"}
    headers = await request.all_headers()
    csrf = await identity_client.app[IDENTITY].pool.fetchval(
        "SELECT csrf_token FROM signins WHERE participant_id = $1", UUID(me)
    )
    assert headers["x-csrf-token"] == csrf


async def test_chair_identifies_from_the_identification_page(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, page: Any
) -> None:
    """The chair's page lists who is in the call; confirming one journals participant_identified."""
    pid = session_ids.deputies[0]
    hook = {"Authorization": "Bearer " + EVENT_SECRET}
    body = {"room_name": session_ids.room, "occupant": {"id": pid, "name": "Х"}}
    assert (await identity_client.post("/api/v1/jitsi/events/occupant/joined", json=body,
                                       headers=hook)).status == 200  # fmt: skip
    token, _, _ = await identity_client.app[IDENTITY].issue_link(
        UUID(session_ids.session_id), UUID(session_ids.chair)
    )
    await page.goto(str(identity_client.make_url(f"/join/{token}")))  # lands on the console
    await page.goto(str(identity_client.make_url(f"/sessions/{session_ids.session_id}/identify")))
    button = page.get_by_role("button", name="Підтвердити особу")
    await expect(button).to_have_count(1)
    await button.click()
    await expect(button).to_have_count(0)
    rows = await identity_client.app[IDENTITY].pool.fetch(
        "SELECT payload FROM journal WHERE session_id = $1 AND type = $2",
        UUID(session_ids.session_id), events.PARTICIPANT_IDENTIFIED,
    )  # fmt: skip
    assert [dict(r["payload"]) for r in rows] == [
        {"participant_id": pid, "confirmed_by": session_ids.chair}
    ]
