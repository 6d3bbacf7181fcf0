"""Jitsi tokens over HTTP, Prosody's event_sync presence webhooks and identification (R11)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient

from identity.api import IDENTITY
from identity.errors import TokenRefused
from identity.tokens import TokenIssuer
from orchestrator.kernel.journal import events
from orchestrator.kernel.journal import store as journal_store
from tests.fixtures.signin import EVENT_SECRET, FakeClock, SessionIds, SignIn, jitsi_test_settings

HOOK = {"Authorization": f"Bearer {EVENT_SECRET}"}
PREFIX = "/api/v1/jitsi/events"


async def journal(client: TestClient[Any, Any], sid: str, type_: str) -> list[dict[str, Any]]:
    body = await (await client.get(f"/api/v1/sessions/{sid}/journal")).json()
    found = body["events"] if isinstance(body, dict) else body
    return [e["payload"] for e in found if e["type"] == type_]


def occupant(room: str, oid: str, name: str = "Хтось") -> dict[str, Any]:
    return {
        "event_name": "muc-occupant-joined",
        "room_name": room,
        "room_jid": f"{room}@muc.meet.jitsi",
        "is_breakout": False,
        "active_occupants_count": 1,
        "occupant": {"id": oid, "name": name, "email": "x@y.z", "occupant_jid": f"{room}@muc/abc",
                     "joined_at": 1},
    }  # fmt: skip


async def test_token_for_signed_in_deputy_passes_prosody_rules(
    identity_client: TestClient[Any, Any],
    session_ids: SessionIds,
    sign_in: SignIn,
    clock: FakeClock,
) -> None:
    """Inside the window a deputy gets a token for the session's room naming them, as member."""
    clock.set(session_ids.starts_at - timedelta(minutes=10))
    deputy = await sign_in(session_ids.session_id, session_ids.deputies[0])
    r = await deputy.get(f"/api/v1/sessions/{session_ids.session_id}/jitsi-token")
    assert r.status == 200, await r.text()
    assert r.headers["Cache-Control"] == "no-store"
    body = await r.json()
    assert body["room"] == session_ids.room
    assert body["domain"] == "meet.rada.test"
    claims = (
        TokenIssuer(jitsi_test_settings())
        .verifier()
        .verify(body["jwt"], room=session_ids.room, now=clock.now)
    )
    assert claims["context"]["user"]["id"] == session_ids.deputies[0]
    assert claims["context"]["user"]["affiliation"] == "member"
    assert claims["exp"] <= int((session_ids.starts_at + timedelta(hours=4 + 3)).timestamp())
    with pytest.raises(TokenRefused, match="room"):
        TokenIssuer(jitsi_test_settings()).verifier().verify(
            body["jwt"], room="rada-other", now=clock.now
        )


async def test_chair_and_secretary_tokens_are_owners(
    identity_client: TestClient[Any, Any],
    session_ids: SessionIds,
    sign_in: SignIn,
    clock: FakeClock,
) -> None:
    """Chair and secretary get affiliation owner (moderators in Jitsi)."""
    clock.set(session_ids.starts_at)
    for pid in (session_ids.chair, session_ids.secretary):
        browser = await sign_in(session_ids.session_id, pid)
        body = await (
            await browser.get(f"/api/v1/sessions/{session_ids.session_id}/jitsi-token")
        ).json()
        claims = (
            TokenIssuer(jitsi_test_settings())
            .verifier()
            .verify(body["jwt"], room=session_ids.room, now=clock.now)
        )
        assert claims["context"]["user"]["affiliation"] == "owner"


async def test_no_token_outside_the_window(
    identity_client: TestClient[Any, Any],
    session_ids: SessionIds,
    sign_in: SignIn,
    clock: FakeClock,
) -> None:
    """A day before the session there is no token (409 problem+json)."""
    deputy = await sign_in(session_ids.session_id, session_ids.deputies[0])
    r = await deputy.get(f"/api/v1/sessions/{session_ids.session_id}/jitsi-token")
    assert r.status == 409
    assert (await r.json())["code"] == "outside_session_window"


async def test_no_token_after_the_session_closed(
    identity_client: TestClient[Any, Any],
    session_ids: SessionIds,
    sign_in: SignIn,
    clock: FakeClock,
) -> None:
    """Once the journal says session_closed, tokens stop even inside the time window."""
    clock.set(session_ids.starts_at)
    deputy = await sign_in(session_ids.session_id, session_ids.deputies[0])
    pool = identity_client.app[IDENTITY].pool
    async with pool.acquire() as conn, conn.transaction():
        await journal_store.append_event(conn, UUID(session_ids.session_id), events.SESSION_CLOSED, {"by": "test"},
                                actor="test", at=clock.now)  # fmt: skip
    r = await deputy.get(f"/api/v1/sessions/{session_ids.session_id}/jitsi-token")
    assert r.status == 409


async def test_public_and_other_sessions_get_no_token(
    identity_client: TestClient[Any, Any],
    session_ids: SessionIds,
    sign_in: SignIn,
    clock: FakeClock,
) -> None:
    """No cookie: 401; a deputy of another session: 403."""
    from tests.fixtures.signin import convene

    other = await convene(identity_client, number=2, council_id=session_ids.council_id)
    clock.set(session_ids.starts_at)
    r = await identity_client.get(f"/api/v1/sessions/{session_ids.session_id}/jitsi-token")
    assert r.status == 401
    stranger = await sign_in(other.session_id, other.deputies[0])
    r = await stranger.get(f"/api/v1/sessions/{session_ids.session_id}/jitsi-token")
    assert r.status == 403


async def test_webhooks_need_the_event_secret(
    identity_client: TestClient[Any, Any], session_ids: SessionIds
) -> None:
    """Without or with a wrong bearer the webhook is refused and nothing is recorded."""
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": EVENT_SECRET}):
        r = await identity_client.post(
            f"{PREFIX}/occupant/joined",
            json=occupant(session_ids.room, session_ids.chair),
            headers=headers,
        )
        assert r.status == 401
    assert await journal(identity_client, session_ids.session_id, events.PRESENCE_JOINED) == []


async def test_presence_joined_and_left_are_journaled(
    identity_client: TestClient[Any, Any], session_ids: SessionIds
) -> None:
    """A known occupant id becomes the participant; a repeated join is recorded once."""
    sid, pid = session_ids.session_id, session_ids.deputies[0]
    for _ in range(2):
        r = await identity_client.post(
            f"{PREFIX}/occupant/joined",
            json=occupant(session_ids.room, pid, "Підробне ім'я"),
            headers=HOOK,
        )
        assert r.status == 200, await r.text()
    joined = await journal(identity_client, sid, events.PRESENCE_JOINED)
    assert len(joined) == 1
    assert joined[0]["participant_id"] == pid
    assert joined[0]["name"] != "Підробне ім'я"  # the list's name, not the one typed in Jitsi
    assert "email" not in joined[0]
    r = await identity_client.post(
        f"{PREFIX}/occupant/left",
        json=occupant(f"{session_ids.room}@muc.meet.jitsi", pid),
        headers=HOOK,
    )
    assert r.status == 200
    assert await journal(identity_client, sid, events.PRESENCE_LEFT) == [
        {"participant_id": pid, "occupant_id": pid}
    ]


async def test_unknown_occupant_is_recorded_never_trusted(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, sign_in: SignIn
) -> None:
    """An id matching nobody is journaled with a null participant and listed apart for the chair."""
    sid = session_ids.session_id
    for oid in ("jibri-recorder", "00000000-0000-0000-0000-000000000001"):
        await identity_client.post(
            f"{PREFIX}/occupant/joined",
            json=occupant(session_ids.room, oid, "Незнайомець"),
            headers=HOOK,
        )
    joined = await journal(identity_client, sid, events.PRESENCE_JOINED)
    assert [j["participant_id"] for j in joined] == [None, None]
    chair = await sign_in(sid, session_ids.chair)
    roll = await (await chair.get(f"/api/v1/sessions/{sid}/presence")).json()
    assert [o["occupant_id"] for o in roll["unknown_occupants"]] == [
        "jibri-recorder",
        "00000000-0000-0000-0000-000000000001",
    ]
    assert not any(p["present"] for p in roll["participants"])
    r = await chair.post(
        f"/api/v1/sessions/{sid}/participants/00000000-0000-0000-0000-000000000001/identify"
    )
    assert r.status == 404


async def test_room_destroyed_closes_everyone(
    identity_client: TestClient[Any, Any], session_ids: SessionIds
) -> None:
    """When Prosody destroys the room, every open presence ends with presence_left."""
    for pid in session_ids.deputies[:3]:
        await identity_client.post(
            f"{PREFIX}/occupant/joined", json=occupant(session_ids.room, pid), headers=HOOK
        )
    created = await identity_client.post(
        f"{PREFIX}/room/created", json={"room_name": session_ids.room}, headers=HOOK
    )
    assert created.status == 200
    r = await identity_client.post(
        f"{PREFIX}/room/destroyed", json={"room_name": session_ids.room}, headers=HOOK
    )
    assert r.status == 200
    left = await journal(identity_client, session_ids.session_id, events.PRESENCE_LEFT)
    assert sorted(x["participant_id"] for x in left) == sorted(session_ids.deputies[:3])


@pytest.mark.parametrize(
    "body",
    [{}, {"room_name": 5}, {"room_name": "r"}, {"room_name": "rada-x", "occupant": "me"},
     {"room_name": "rada-x", "occupant": {"name": "no id"}}],
)  # fmt: skip
async def test_bad_webhook_bodies_are_refused(
    identity_client: TestClient[Any, Any], body: dict[str, Any]
) -> None:
    """Malformed bodies and unknown rooms answer problem+json (422/404), never 500."""
    r = await identity_client.post(f"{PREFIX}/occupant/joined", json=body, headers=HOOK)
    assert r.status in (404, 422)
    assert r.content_type == "application/problem+json"


async def test_chair_identifies_present_participant_once(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, sign_in: SignIn
) -> None:
    """R11: only while in the call; journaled with who confirmed; a second time is 409."""
    sid, pid = session_ids.session_id, session_ids.deputies[0]
    chair = await sign_in(sid, session_ids.chair)
    r = await chair.post(f"/api/v1/sessions/{sid}/participants/{pid}/identify")
    assert r.status == 409
    assert (await r.json())["code"] == "not_present"
    await identity_client.post(
        f"{PREFIX}/occupant/joined", json=occupant(session_ids.room, pid), headers=HOOK
    )
    r = await chair.post(f"/api/v1/sessions/{sid}/participants/{pid}/identify")
    assert r.status == 201, await r.text()
    assert await journal(identity_client, sid, events.PARTICIPANT_IDENTIFIED) == [
        {"participant_id": pid, "confirmed_by": session_ids.chair}
    ]
    r = await chair.post(f"/api/v1/sessions/{sid}/participants/{pid}/identify")
    assert (r.status, (await r.json())["code"]) == (409, "already_identified")
    roll = await (await chair.get(f"/api/v1/sessions/{sid}/presence")).json()
    row = next(p for p in roll["participants"] if p["participant_id"] == pid)
    assert (row["present"], row["identified"]) == (True, True)
    assert "email" not in str(roll)


async def test_breakout_room_events_do_not_count(
    identity_client: TestClient[Any, Any], session_ids: SessionIds
) -> None:
    """Joining or leaving a breakout room is not presence in the plenary."""
    pid = session_ids.deputies[0]
    body = {**occupant(session_ids.room, pid), "is_breakout": True, "room_name": "breakout-1"}
    for path in ("occupant/joined", "occupant/left"):
        r = await identity_client.post(f"{PREFIX}/{path}", json=body, headers=HOOK)
        assert r.status == 200
    assert await journal(identity_client, session_ids.session_id, events.PRESENCE_JOINED) == []
