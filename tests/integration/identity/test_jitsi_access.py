"""Revocation reaches Jitsi: short-lived tokens the page refreshes, and Prosody's
mod_muc_auth_ban asking rada whether an occupant's token may still be used."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from identity.api import IDENTITY
from identity.tokens import TokenIssuer
from orchestrator.kernel.journal import events
from orchestrator.kernel.journal import store as journal_store
from tests.conftest import ADMIN
from tests.fakes.fake_prosody import AuthBanProsody
from tests.fixtures.signin import FakeClock, SessionIds, SignIn, jitsi_test_settings


@pytest.fixture
async def prosody(identity_client: TestClient[Any, Any]) -> AsyncIterator[AuthBanProsody]:
    async with aiohttp.ClientSession() as http:
        yield AuthBanProsody(str(identity_client.make_url("/api/v1/jitsi/access")), http)


async def token_of(browser: Any, sid: str) -> dict[str, Any]:
    r = await browser.get(f"/api/v1/sessions/{sid}/jitsi-token")
    assert r.status == 200, await r.text()
    body: dict[str, Any] = await r.json()
    return body


async def append(client: TestClient[Any, Any], sid: str, type_: str, clock: FakeClock) -> None:
    async with client.app[IDENTITY].pool.acquire() as conn, conn.transaction():
        await journal_store.append_event(conn, UUID(sid), type_, {}, actor="test", at=clock.now)


async def test_revoked_participant_is_refused_on_rejoin(
    identity_client: TestClient[Any, Any],
    session_ids: SessionIds,
    sign_in: SignIn,
    clock: FakeClock,
    prosody: AuthBanProsody,
) -> None:
    """A token is let in until its participant's link is revoked; then Prosody closes the
    connection and refuses the token on every reconnect; a re-issued link's token is let in."""
    sid, pid = session_ids.session_id, session_ids.deputies[0]
    clock.set(session_ids.starts_at)
    deputy = await sign_in(sid, pid)
    old = (await token_of(deputy, sid))["jwt"]
    assert await prosody.connect(old)
    clock.advance(seconds=30)
    r = await identity_client.delete(f"/api/v1/sessions/{sid}/links/{pid}", headers=ADMIN)
    assert r.status == 204
    assert not await prosody.connect(old)
    checks = prosody.checks
    assert not await prosody.connect(old)  # cached: refused without asking
    assert prosody.checks == checks
    clock.advance(seconds=30)
    again = await sign_in(sid, pid)  # a new link (the notice sender mails it, R12)
    assert await prosody.connect((await token_of(again, sid))["jwt"])


@pytest.mark.parametrize(
    "token",
    ["", "not-a-jwt", "Basic abc", "{forged}", "{other_room}", "{expired}", "{unknown}"],
)
async def test_anything_but_a_live_rada_token_is_refused(
    identity_client: TestClient[Any, Any],
    session_ids: SessionIds,
    sign_in: SignIn,
    clock: FakeClock,
    token: str,
) -> None:
    """Always 200 (another status would let the occupant stay), access false."""
    clock.set(session_ids.starts_at)
    issuer = TokenIssuer(jitsi_test_settings())
    good = TokenIssuer(jitsi_test_settings()).verifier().verify(
        (await token_of(await sign_in(session_ids.session_id, session_ids.deputies[0]),
                        session_ids.session_id))["jwt"],
        room=session_ids.room, now=clock.now,
    )  # fmt: skip
    forged = TokenIssuer(jitsi_test_settings(RADA_JITSI_APP_SECRET="x" * 40)).sign(good)
    made = {
        "{forged}": forged,
        "{other_room}": issuer.sign({**good, "room": "rada-" + "0" * 32}),
        "{expired}": issuer.sign({**good, "exp": int(clock.now.timestamp()) - 1}),
        "{unknown}": issuer.sign(
            {**good, "context": {**good["context"], "user": {**good["context"]["user"],
             "id": "00000000-0000-0000-0000-000000000009"}}}
        ),
    }  # fmt: skip
    value = made.get(token, token)
    headers = {"Authorization": value if " " in value else f"Bearer {value}"} if value else {}
    r = await identity_client.get("/api/v1/jitsi/access", headers=headers)
    assert r.status == 200
    assert await r.json() == {"access": False}


async def test_removed_participant_and_ended_session_are_refused(
    identity_client: TestClient[Any, Any],
    session_ids: SessionIds,
    sign_in: SignIn,
    clock: FakeClock,
    prosody: AuthBanProsody,
) -> None:
    """Once the session has ended, no one's token is let in again."""
    sid = session_ids.session_id
    clock.set(session_ids.starts_at)
    token = (await token_of(await sign_in(sid, session_ids.deputies[1]), sid))["jwt"]
    assert await prosody.connect(token)
    await append(identity_client, sid, events.SESSION_CLOSED, clock)
    assert not await prosody.connect(token)


async def test_tokens_are_short_lived_and_a_sitting_may_overrun(
    identity_client: TestClient[Any, Any],
    session_ids: SessionIds,
    sign_in: SignIn,
    clock: FakeClock,
) -> None:
    """A token lives RADA_JITSI_TOKEN_LIFETIME (15 min), not until the planned end + 3 h; once
    the session is open, a fresh one comes even hours past the planned end."""
    sid = session_ids.session_id
    clock.set(session_ids.starts_at)
    deputy = await sign_in(sid, session_ids.deputies[0])
    body = await token_of(deputy, sid)
    assert body["expires_at"] == int(clock.now.timestamp()) + 900
    claims = (
        TokenIssuer(jitsi_test_settings())
        .verifier()
        .verify(body["jwt"], room=session_ids.room, now=clock.now)
    )
    assert claims["exp"] == body["expires_at"]
    await append(identity_client, sid, events.SESSION_OPENED, clock)
    clock.set(session_ids.starts_at + timedelta(hours=4 + 3, minutes=30))  # past end + margin
    late = await token_of(deputy, sid)
    assert late["expires_at"] == int(clock.now.timestamp()) + 900
