"""A simultaneous vote (E7) on the member's own page in headless Chromium: the answers are
offered at once, without a call, until the member has answered."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import expect

from identity.api import IDENTITY
from orchestrator.kernel.journal import events
from orchestrator.kernel.web.auth import Principal, Role
from tests.conftest import make_council
from tests.e2e.test_participant_page import CHROMIUM, _append, open_as_deputy, page
from tests.fixtures.signin import EVENT_SECRET, FakeClock, convene

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]
__all__ = ["page"]  # the fixture, used by name


async def test_answers_offered_at_once_in_a_simultaneous_vote(
    identity_client: TestClient[Any, Any], clock: FakeClock, page: Any
) -> None:
    """With ``mode: simultaneous`` nobody is called: both members see the answers at once; one
    answers from the page (source member) and the buttons go away for them only."""
    ids = await convene(identity_client, council_id=await make_council(identity_client, total=7))
    clock.set(ids.starts_at)
    sid = ids.session_id
    service = identity_client.app[IDENTITY]
    chair = Principal("participant", UUID(sid), UUID(ids.chair), Role.CHAIR)
    hook = {"Authorization": "Bearer " + EVENT_SECRET}
    for pid in [ids.secretary, *ids.deputies]:
        body = {"room_name": ids.room, "occupant": {"id": pid, "name": "Х"}}
        r = await identity_client.post(
            "/api/v1/jitsi/events/occupant/joined", json=body, headers=hook
        )
        assert r.status == 200
        await service.identify(UUID(sid), UUID(pid), chair)
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
