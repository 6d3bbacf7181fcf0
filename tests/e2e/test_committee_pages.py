"""A simultaneous vote (E7) on the member's own page in headless Chromium: the answers are
offered at once, without a call, until the member has answered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from aiohttp.test_utils import TestClient
from playwright.async_api import expect

from identity.api import IDENTITY
from orchestrator.kernel.journal import events
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from tests.conftest import make_council
from tests.e2e.test_conduct_consoles import live, open_console, voting
from tests.e2e.test_participant_page import (
    _append,
    join_and_identify_everyone,
    open_as_deputy,
    page,
)
from tests.fixtures.browser import NEEDS_CHROMIUM
from tests.fixtures.signin import FakeClock, SessionIds, convene

pytestmark = NEEDS_CHROMIUM
__all__ = ["page", "voting"]  # the fixtures, used by name


async def test_answers_offered_at_once_in_a_simultaneous_vote(
    identity_client: TestClient[Any, Any], clock: FakeClock, page: Any
) -> None:
    """With ``mode: simultaneous`` nobody is called: both members see the answers at once; one
    answers from the page (source member) and the buttons go away for them only."""
    ids = await convene(identity_client, council_id=await make_council(identity_client, total=7))
    clock.set(ids.starts_at)
    sid = ids.session_id
    service = identity_client.app[IDENTITY]
    await join_and_identify_everyone(identity_client, ids)
    me, other = ids.deputies[0], ids.deputies[1]
    await open_as_deputy(identity_client, page, ids, me)
    vote = page.locator("#vote")
    await expect(page.locator("#phase")).to_have_text("Оголошено")  # the socket is attached
    for type_, payload in [
        (events.RECORDING_STARTED, {"part": 0, "started_at": "2026-01-01T00:00:00.000000Z"}),
        (events.SESSION_OPENED, {"by": ids.chair}),
        (events.ITEM_OPENED, {"item": 0}),
        (events.VOTE_OPENED, {"vote_id": "0", "item": 0, "amendment": None,
                              "order": [other, me], "absent": [], "total_composition": 7,
                              "mayor_taking_part": True, "required": 4,
                              "mode": "simultaneous"}),
    ]:  # fmt: skip
        await _append(identity_client, sid, type_, payload, clock)
    await vote.wait_for(state="visible")  # no deputy_called: offered at once (E7)
    assert await page.locator("#queue").is_hidden()  # no place in a roll-call queue
    await page.get_by_role("button", name="Проти").click()
    await expect(page.locator("#notice")).to_have_text("Ваш голос «проти» зараховано.")
    await expect(vote).to_be_hidden()
    rows = await service.pool.fetch(
        "SELECT payload FROM journal WHERE session_id = $1 AND type = $2",
        UUID(sid), events.BALLOT_RECORDED,
    )  # fmt: skip
    assert [dict(r["payload"]) for r in rows] == [
        {"vote_id": "0", "participant_id": me, "answer": "against", "source": "member"}
    ]


async def test_department_enters_phone_answers_and_closes(
    identity_client: TestClient[Any, Any], voting: SessionIds, browser: Any, pool: asyncpg.Pool
) -> None:
    """E6, E7: in a simultaneous vote the secretary's (the general department's) console lists
    who has not answered, enters an answer given by phone (source phone) and closes the vote."""
    sid = UUID(voting.session_id)
    order = list(voting.deputies)
    async with pool.acquire() as conn, conn.transaction():
        # the roll call the fixture opened, replaced by a simultaneous one on the next item
        await journal_store.append_event(
            conn,
            sid,
            ev.VOTE_CLOSED,
            {"vote_id": "0", "for": 0, "against": 0, "abstain": 0, "not_voted": 0,
             "absent": 0, "required": 4, "adopted": False},
            actor=f"participant:{voting.chair}",
            at=datetime.now(UTC),
        )  # fmt: skip
        await journal_store.append_event(
            conn, sid, ev.ITEM_CLOSED, {"item": 0}, actor="test", at=datetime.now(UTC)
        )
        await journal_store.append_event(
            conn, sid, ev.ITEM_OPENED, {"item": 1}, actor="test", at=datetime.now(UTC)
        )
        await journal_store.append_event(
            conn,
            sid,
            ev.VOTE_OPENED,
            {"vote_id": "1", "item": 1, "amendment": None, "order": order, "absent": [],
             "total_composition": 7, "mayor_taking_part": False, "required": 4,
             "mode": "simultaneous"},
            actor="test",
            at=datetime.now(UTC),
        )  # fmt: skip
    page = await open_console(identity_client, browser, voting, voting.secretary, "secretary")
    state = await live(identity_client, voting)
    first = next(p["name"] for p in state["participants"] if p["participant_id"] == order[0])
    row = page.locator(".phone-answers li").filter(has_text=first)
    await row.get_by_role("button", name="Проти").click()
    await expect(page.locator(".phone-answers li").filter(has_text=first)).to_have_count(0)
    await page.get_by_role("button", name="Завершити голосування").click()
    await expect(page.locator(".phone-answers")).to_have_count(0)  # closed: the item again
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT type, payload FROM journal WHERE session_id = $1 AND seq > 0 ORDER BY seq",
            sid,
        )
    ballots = [dict(r["payload"]) for r in rows if r["type"] == ev.BALLOT_RECORDED]
    assert ballots == [
        {"vote_id": "1", "participant_id": order[0], "answer": "against", "source": "phone"}
    ]
    closed = [dict(r["payload"]) for r in rows if r["type"] == ev.VOTE_CLOSED][-1]
    assert (closed["vote_id"], closed["against"], closed["not_voted"]) == ("1", 1, len(order) - 1)
    assert page.errors == []
