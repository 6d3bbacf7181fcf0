"""The technical check's short join (P1): identity issues a test token for the participant's
own test room days before the sitting; Prosody (the fake, verifying the JWT with the shared
secret, then asking rada's /access as mod_muc_auth_ban does) admits the test room with it and
refuses a session room with it, and the session token at the test room; rada's access check
refuses a test token naming someone else's room, a moderator's, a removed participant's; a
test room's occupants are never presence in the session (R7)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient

from identity.tokens import TokenIssuer, check_room_name
from orchestrator.kernel.journal import events
from tests.conftest import ADMIN
from tests.fakes.fake_jitsi_web import FakeJitsiWeb
from tests.fixtures.signin import (
    EVENT_SECRET,
    JITSI_SECRET,
    FakeClock,
    SessionIds,
    SignIn,
    jitsi_test_settings,
)

Client = TestClient[Any, Any]


@pytest.fixture
def jitsi(identity_client: Client, clock: FakeClock) -> FakeJitsiWeb:
    s = jitsi_test_settings()
    return FakeJitsiWeb(
        JITSI_SECRET,
        s.xmpp_domain,
        s.accepted_issuers,
        s.accepted_audiences,
        access_url=str(identity_client.make_url("/api/v1/jitsi/access")),
        clock=lambda: clock.now.timestamp(),
    )


async def token(browser: Any, sid: str, kind: str) -> dict[str, Any]:
    r = await browser.get(f"/api/v1/sessions/{sid}/{kind}")
    assert r.status == 200, await r.text()
    body: dict[str, Any] = await r.json()
    return body


async def access(client: Client, jwt: str) -> bool:
    r = await client.get("/api/v1/jitsi/access", headers={"Authorization": f"Bearer {jwt}"})
    assert r.status == 200
    return bool((await r.json())["access"])


async def test_test_room_with_test_token_only(
    identity_client: Client,
    session_ids: SessionIds,
    sign_in: SignIn,
    clock: FakeClock,
    jitsi: FakeJitsiWeb,
) -> None:
    sid, pid = session_ids.session_id, session_ids.deputies[0]
    clock.set(session_ids.starts_at - timedelta(days=2))  # the check is made days before
    deputy = await sign_in(sid, pid)
    assert (await deputy.get(f"/api/v1/sessions/{sid}/jitsi-token")).status == 409
    test = await token(deputy, sid, "jitsi-test-token")
    assert test["room"] == check_room_name(UUID(sid), UUID(pid)) != session_ids.room
    assert test["domain"] == "meet.rada.test"
    assert test["expires_at"] == int(clock.now.timestamp()) + 120
    joined = await jitsi.join(test["room"], test["jwt"])
    assert joined.refused is None and joined.user_id == pid
    assert (await jitsi.join(session_ids.room, test["jwt"])).refused == "claim room"
    # at the sitting the session token opens the session room and not the test room
    clock.set(session_ids.starts_at)
    session = await token(deputy, sid, "jitsi-token")
    assert (await jitsi.join(session_ids.room, session["jwt"])).refused is None
    assert (await jitsi.join(test["room"], session["jwt"])).refused == "claim room"
    # the chair's test token moderates nothing
    chair = await sign_in(sid, session_ids.chair)
    chair_test = await token(chair, sid, "jitsi-test-token")
    verifier = TokenIssuer(jitsi_test_settings()).verifier()
    claims = verifier.verify(chair_test["jwt"], room=chair_test["room"], now=clock.now)
    assert claims["context"]["user"]["affiliation"] == "member"
    assert (await jitsi.join(chair_test["room"], chair_test["jwt"])).refused is None


async def test_access_refuses_test_tokens_out_of_place(
    identity_client: Client, session_ids: SessionIds, sign_in: SignIn, clock: FakeClock
) -> None:
    """rada's own /access: a test token re-signed for another participant's test room, or as
    owner, is refused; once the participant is off the list, so is their test token."""
    sid, pid = session_ids.session_id, session_ids.deputies[1]
    clock.set(session_ids.starts_at - timedelta(hours=20))
    deputy = await sign_in(sid, pid)
    test = await token(deputy, sid, "jitsi-test-token")
    assert await access(identity_client, test["jwt"])
    issuer = TokenIssuer(jitsi_test_settings())
    good = issuer.verifier().verify(test["jwt"], room=test["room"], now=clock.now)
    other_room = check_room_name(UUID(sid), UUID(session_ids.deputies[0]))
    user = good["context"]["user"]
    owner = {**good, "context": {**good["context"], "user": {**user, "affiliation": "owner"}}}
    assert not await access(identity_client, issuer.sign({**good, "room": other_room}))
    assert not await access(identity_client, issuer.sign(owner))
    r = await identity_client.delete(
        f"/api/v1/sessions/{sid}/participants/{pid}",
        json={"reason": "Склав повноваження"},
        headers=ADMIN,
    )
    assert r.status in (200, 204), await r.text()
    assert not await access(identity_client, test["jwt"])


async def test_test_room_occupants_are_not_presence(
    identity_client: Client, session_ids: SessionIds
) -> None:
    """Prosody's event_sync posts the test room's joins too: answered, never journaled (R7)."""
    sid, pid = session_ids.session_id, session_ids.deputies[0]
    room = check_room_name(UUID(sid), UUID(pid))
    hook = {"Authorization": f"Bearer {EVENT_SECRET}"}
    body = {
        "room_name": room,
        "is_breakout": False,
        "occupant": {"id": pid, "name": "Хтось", "occupant_jid": f"{room}@muc/abc"},
    }
    for path in ("room/created", "occupant/joined", "occupant/left", "room/destroyed"):
        r = await identity_client.post(f"/api/v1/jitsi/events/{path}", json=body, headers=hook)
        assert r.status == 200, (path, await r.text())
    journal = await (await identity_client.get(f"/api/v1/sessions/{sid}/journal")).json()
    found = journal["events"] if isinstance(journal, dict) else journal
    assert not [e for e in found if e["type"] in (events.PRESENCE_JOINED, events.PRESENCE_LEFT)]
