"""A participant who leaves the call and comes back is identified again (R11) and counts for
quorum again (R7): identify, ``/presence`` and the live state read one attendance rule."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from orchestrator.kernel.journal import events
from tests.fixtures.signin import SessionIds, SignIn
from tests.integration.identity.test_jitsi import HOOK, PREFIX, journal, occupant


async def _hook(client: TestClient[Any, Any], path: str, body: dict[str, Any]) -> None:
    r = await client.post(f"{PREFIX}/{path}", json=body, headers=HOOK)
    assert r.status == 200, await r.text()


async def _row(browser: Any, sid: str, pid: str) -> tuple[bool, bool]:
    roll = await (await browser.get(f"/api/v1/sessions/{sid}/presence")).json()
    row = next(p for p in roll["participants"] if p["participant_id"] == pid)
    return row["present"], row["identified"]


async def _live(client: TestClient[Any, Any], sid: str, pid: str) -> tuple[bool, bool, int]:
    state = (await (await client.get(f"/api/v1/sessions/{sid}/live")).json())["state"]
    row = next(p for p in state["participants"] if p["participant_id"] == pid)
    return row["present"], row["identified"], state["quorum"]["present_deputies"]


async def test_rejoined_deputy_is_identified_again_and_counts(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, sign_in: SignIn
) -> None:
    """Leave, rejoin, identify again → 201; /presence and the live state agree at every step."""
    sid, pid = session_ids.session_id, session_ids.deputies[0]
    chair = await sign_in(sid, session_ids.chair)
    await _hook(identity_client, "occupant/joined", occupant(session_ids.room, pid))
    r = await chair.post(f"/api/v1/sessions/{sid}/participants/{pid}/identify")
    assert r.status == 201, await r.text()
    assert await _row(chair, sid, pid) == (True, True)
    assert await _live(identity_client, sid, pid) == (True, True, 1)

    await _hook(identity_client, "occupant/left", occupant(session_ids.room, pid))
    assert await _row(chair, sid, pid) == (False, False)  # R11: identification lapsed
    assert await _live(identity_client, sid, pid) == (False, False, 0)
    r = await chair.post(f"/api/v1/sessions/{sid}/participants/{pid}/identify")
    assert (r.status, (await r.json())["code"]) == (409, "not_present")

    await _hook(identity_client, "occupant/joined", occupant(session_ids.room, pid))
    assert await _row(chair, sid, pid) == (True, False)
    assert await _live(identity_client, sid, pid) == (True, False, 0)
    r = await chair.post(f"/api/v1/sessions/{sid}/participants/{pid}/identify")
    assert r.status == 201, await r.text()
    assert await _row(chair, sid, pid) == (True, True)
    assert await _live(identity_client, sid, pid) == (True, True, 1)
    assert len(await journal(identity_client, sid, events.PARTICIPANT_IDENTIFIED)) == 2


async def test_repeated_join_keeps_identification(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, sign_in: SignIn
) -> None:
    """A repeated join webhook while in the call changes nothing: still identified (409)."""
    sid, pid = session_ids.session_id, session_ids.deputies[0]
    chair = await sign_in(sid, session_ids.chair)
    for expected in (201, 409):
        await _hook(identity_client, "occupant/joined", occupant(session_ids.room, pid))
        r = await chair.post(f"/api/v1/sessions/{sid}/participants/{pid}/identify")
        assert r.status == expected
    assert await _row(chair, sid, pid) == (True, True)


SPELLINGS = [
    lambda u: u.upper(),
    lambda u: u.replace("-", ""),
    lambda u: f"urn:uuid:{u}",
    lambda u: "{" + u + "}",
    lambda u: f" {u}",
]


async def test_only_the_canonical_occupant_id_names_a_participant(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, sign_in: SignIn
) -> None:
    """Other spellings of a participant's id are unknown occupants: never present, never
    identifiable; the identify URL takes the canonical id only (R11)."""
    sid, pid = session_ids.session_id, session_ids.deputies[0]
    chair = await sign_in(sid, session_ids.chair)
    for spell in SPELLINGS:
        await _hook(identity_client, "occupant/joined", occupant(session_ids.room, spell(pid)))
    joined = await journal(identity_client, sid, events.PRESENCE_JOINED)
    assert [j["participant_id"] for j in joined] == [None] * len(SPELLINGS)
    assert await _row(chair, sid, pid) == (False, False)
    r = await chair.post(f"/api/v1/sessions/{sid}/participants/{pid}/identify")
    assert (r.status, (await r.json())["code"]) == (409, "not_present")
    await _hook(identity_client, "occupant/joined", occupant(session_ids.room, pid))
    for spell in SPELLINGS[:3]:
        r = await chair.post(f"/api/v1/sessions/{sid}/participants/{spell(pid)}/identify")
        assert r.status == 404, spell(pid)
    r = await chair.post(f"/api/v1/sessions/{sid}/participants/{pid}/identify")
    assert r.status == 201
    # the non-canonical occupants leaving do not end the identified one's presence
    for spell in SPELLINGS:
        await _hook(identity_client, "occupant/left", occupant(session_ids.room, spell(pid)))
    assert await _row(chair, sid, pid) == (True, True)
