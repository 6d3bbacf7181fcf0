"""Personal links open a browser sign-in (R12); cookies, CSRF, revocation and rate limits."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import structlog
import structlog.testing
from aiohttp.test_utils import TestClient

from identity import links
from identity.api import IDENTITY
from identity.service import FAILURE_WINDOW, MAX_FAILURES
from orchestrator.kernel.keys import POOL
from tests.conftest import ADMIN
from tests.fixtures.signin import Browser, FakeClock, SessionIds, SignIn


async def test_link_signs_in_and_redirects_by_role(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, sign_in: SignIn
) -> None:
    """Each role lands on its page (conduct's consoles for chair and secretary); /api/v1/me names the participant and gives a CSRF token."""
    cases = [
        (session_ids.chair, f"/sessions/{session_ids.session_id}/chair", "chair"),
        (session_ids.secretary, f"/sessions/{session_ids.session_id}/secretary", "secretary"),
        (session_ids.deputies[0], f"/sessions/{session_ids.session_id}/participant", "deputy"),
        (session_ids.guest, f"/sessions/{session_ids.session_id}/participant", "guest"),
    ]
    for pid, target, role in cases:
        token, _, _ = await identity_client.app[IDENTITY].issue_link(
            UUID(session_ids.session_id), UUID(pid)
        )
        browser = Browser(identity_client)
        try:
            r = await browser.open_link(token)
            assert r.status == 303
            assert r.headers["Location"] == target
            assert r.headers["Cache-Control"] == "no-store"
            await browser.load_me()
            assert (browser.participant_id, browser.role) == (pid, role)
            assert len(browser.csrf) >= 40
        finally:
            await browser.close()


async def test_cookie_is_httponly_strict_and_not_secure_over_http(
    identity_client: TestClient[Any, Any], session_ids: SessionIds
) -> None:
    """The sign-in cookie is HttpOnly and SameSite=Strict; Secure only when rada is on https."""
    token, _, _ = await identity_client.app[IDENTITY].issue_link(
        UUID(session_ids.session_id), UUID(session_ids.deputies[0])
    )
    r = await identity_client.get(f"/join/{token}", allow_redirects=False)
    header = r.headers["Set-Cookie"]
    assert "HttpOnly" in header
    assert "SameSite=Strict" in header
    assert "Secure" not in header
    assert "Path=/" in header
    assert token not in header


async def test_link_can_be_reopened_and_replaces_the_earlier_signin(
    identity_client: TestClient[Any, Any], session_ids: SessionIds
) -> None:
    """Reopening the same link works (lost tabs); the earlier browser is signed out."""
    token, _, _ = await identity_client.app[IDENTITY].issue_link(
        UUID(session_ids.session_id), UUID(session_ids.deputies[0])
    )
    first, second = Browser(identity_client), Browser(identity_client)
    try:
        assert (await first.open_link(token)).status == 303
        assert (await first.http.get("/api/v1/me")).status == 200
        assert (await second.open_link(token)).status == 303
        assert (await second.http.get("/api/v1/me")).status == 200
        assert (await first.http.get("/api/v1/me")).status == 401
    finally:
        await first.close()
        await second.close()


async def test_revocation_stops_link_and_signin_at_once(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, sign_in: SignIn
) -> None:
    """DELETE …/links/{pid} ends the sign-in and the link; the journal says link_revoked."""
    deputy = await sign_in(session_ids.session_id, session_ids.deputies[0])
    sid, pid = session_ids.session_id, session_ids.deputies[0]
    r = await identity_client.delete(
        f"/api/v1/sessions/{sid}/links/{pid}", headers=ADMIN, json={"reason": "телефон втрачено"}
    )
    assert r.status == 204, await r.text()
    r = await deputy.get(f"/api/v1/sessions/{sid}/jitsi-token")
    assert r.status == 401
    assert r.content_type == "application/problem+json"
    journal = await (await identity_client.get(f"/api/v1/sessions/{sid}/journal")).json()
    events = journal["events"] if isinstance(journal, dict) else journal
    revoked = [e for e in events if e["type"] == "link_revoked"]
    assert revoked[-1]["payload"] == {"participant_id": pid, "reason": "телефон втрачено"}
    r = await identity_client.delete(f"/api/v1/sessions/{sid}/links/{pid}", headers=ADMIN)
    assert r.status == 409


async def test_revoked_link_cannot_sign_in_again(
    identity_client: TestClient[Any, Any], session_ids: SessionIds
) -> None:
    """A revoked link is refused with 401 problem+json."""
    sid, pid = session_ids.session_id, session_ids.deputies[1]
    token, _, _ = await identity_client.app[IDENTITY].issue_link(UUID(sid), UUID(pid))
    assert (
        await identity_client.delete(f"/api/v1/sessions/{sid}/links/{pid}", headers=ADMIN)
    ).status == 204
    r = await identity_client.get(f"/join/{token}", allow_redirects=False)
    assert r.status == 401
    assert (await r.json())["code"] == "link_refused"


async def test_new_link_supersedes_the_old_one(
    identity_client: TestClient[Any, Any], session_ids: SessionIds
) -> None:
    """Issuing a new link for a participant revokes the previous one."""
    service = identity_client.app[IDENTITY]
    sid, pid = UUID(session_ids.session_id), UUID(session_ids.deputies[1])
    old, _, _ = await service.issue_link(sid, pid)
    new, _, _ = await service.issue_link(sid, pid)
    assert (await identity_client.get(f"/join/{old}", allow_redirects=False)).status == 401
    assert (await identity_client.get(f"/join/{new}", allow_redirects=False)).status == 303


async def test_link_expires_after_the_session(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, clock: FakeClock
) -> None:
    """After the planned end plus the grace period the link no longer signs in."""
    token, _, session = await identity_client.app[IDENTITY].issue_link(
        UUID(session_ids.session_id), UUID(session_ids.deputies[0])
    )
    clock.set(links.expiry_for(session.planned_end))
    assert (await identity_client.get(f"/join/{token}", allow_redirects=False)).status == 401


async def test_wrong_links_are_rate_limited(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, clock: FakeClock
) -> None:
    """After MAX_FAILURES wrong links one address gets 429 problem+json with Retry-After (the
    rest of the window), and neither the problem nor the logs carry the link."""
    wrong = links.issue(session_ids.starts_at).token
    with structlog.testing.capture_logs() as logged:
        for _ in range(MAX_FAILURES):
            r = await identity_client.get(f"/join/{wrong}", allow_redirects=False)
            assert r.status == 401
            assert wrong not in await r.text()
        clock.advance(minutes=5)
        r = await identity_client.get(f"/join/{wrong}", allow_redirects=False)
    assert r.status == 429
    assert r.content_type == "application/problem+json"
    body = await r.json()
    assert body["code"] == "link_rate_limited"
    assert wrong not in await r.text()
    assert body["instance"] == "/join/{token}"
    assert 9 * 60 <= int(r.headers["Retry-After"]) <= 10 * 60
    assert wrong not in repr(logged)
    clock.advance(minutes=10, seconds=1)  # the window has passed: wrong links get 401 again
    assert (await identity_client.get(f"/join/{wrong}", allow_redirects=False)).status == 401


async def test_valid_link_signs_in_even_when_the_address_is_limited(
    identity_client: TestClient[Any, Any], session_ids: SessionIds
) -> None:
    """One device's wrong links on a shared address (Wi-Fi, no trusted proxy) never refuse
    another person's valid link; the valid link does not count as a failure either."""
    good, _, _ = await identity_client.app[IDENTITY].issue_link(
        UUID(session_ids.session_id), UUID(session_ids.deputies[0])
    )
    wrong = links.issue(session_ids.starts_at).token
    for _ in range(MAX_FAILURES + 2):
        await identity_client.get(f"/join/{wrong}", allow_redirects=False)
    assert (await identity_client.get(f"/join/{wrong}", allow_redirects=False)).status == 429
    r = await identity_client.get(f"/join/{good}", allow_redirects=False)
    assert r.status == 303
    async with identity_client.app[IDENTITY].pool.acquire() as conn:
        assert await conn.fetchval("SELECT failures FROM link_failures") == MAX_FAILURES


async def test_rate_limit_is_per_client_behind_a_trusted_proxy(
    identity_client: TestClient[Any, Any], session_ids: SessionIds
) -> None:
    """Behind a trusted proxy one client's wrong links do not limit another client's."""
    wrong = links.issue(session_ids.starts_at).token
    attacker = {"X-Forwarded-For": "198.51.100.66"}
    for _ in range(MAX_FAILURES):
        await identity_client.get(f"/join/{wrong}", allow_redirects=False, headers=attacker)
    r = await identity_client.get(f"/join/{wrong}", allow_redirects=False, headers=attacker)
    assert r.status == 429
    deputy = {"X-Forwarded-For": "203.0.113.7"}
    r = await identity_client.get(f"/join/{wrong}", allow_redirects=False, headers=deputy)
    assert r.status == 401


async def test_garbage_link_is_refused_without_lookup(
    identity_client: TestClient[Any, Any], session_ids: SessionIds
) -> None:
    """A token of the wrong shape is refused like any wrong link."""
    r = await identity_client.get("/join/not-a-token", allow_redirects=False)
    assert r.status == 401
    assert r.content_type == "application/problem+json"


async def test_state_change_needs_csrf_token_and_origin(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, sign_in: SignIn
) -> None:
    """With the cookie, a POST lacking X-CSRF-Token, with a wrong one, or from another origin is 403."""
    browser = await sign_in(session_ids.session_id, session_ids.deputies[0])
    cases = [
        {"Origin": "http://rada.test"},
        {"Origin": "http://rada.test", "X-CSRF-Token": "wrong"},
        {"X-CSRF-Token": browser.csrf, "Origin": "https://evil.example"},
        {"X-CSRF-Token": browser.csrf},
    ]
    for headers in cases:
        r = await browser.http.post("/api/v1/signout", headers=headers)
        assert r.status == 403, headers
        assert (await r.json())["code"] == "csrf_refused"
    r = await browser.post("/api/v1/signout")
    assert r.status == 204
    assert (await browser.get("/api/v1/me")).status == 401


async def test_removed_participant_cannot_sign_in(
    identity_client: TestClient[Any, Any], session_ids: SessionIds
) -> None:
    """Taking someone off the list (R6) stops their link."""
    sid, pid = session_ids.session_id, session_ids.guest
    token, _, _ = await identity_client.app[IDENTITY].issue_link(UUID(sid), UUID(pid))
    r = await identity_client.delete(
        f"/api/v1/sessions/{sid}/participants/{pid}", headers=ADMIN, json={"reason": "не прибуде"}
    )
    assert r.status in (200, 204), await r.text()
    assert (await identity_client.get(f"/join/{token}", allow_redirects=False)).status == 401


async def test_refused_link_is_not_logged(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, capsys: Any
) -> None:
    """A refused link's token never reaches the logs (only the route pattern does)."""
    token = links.issue(session_ids.starts_at).token
    assert (await identity_client.get(f"/join/{token}", allow_redirects=False)).status == 401
    out = capsys.readouterr()
    assert "/join/{token}" in out.out + out.err
    assert token not in out.out + out.err


async def test_wrong_link_counts_are_forgotten_after_their_window(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, clock: FakeClock
) -> None:
    """A failure window that has passed leaves no row behind once anyone fails again, and the
    address it limited may sign in."""
    good, _, _ = await identity_client.app[IDENTITY].issue_link(
        UUID(session_ids.session_id), UUID(session_ids.deputies[0])
    )
    wrong = links.issue(session_ids.starts_at).token
    pool = identity_client.app[POOL]
    for number in range(3):
        address = {"X-Forwarded-For": f"198.51.100.{number}"}
        await identity_client.get(f"/join/{wrong}", allow_redirects=False, headers=address)
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM link_failures") == 3

    clock.advance(seconds=FAILURE_WINDOW.total_seconds() + 1)
    late = {"X-Forwarded-For": "203.0.113.9"}
    await identity_client.get(f"/join/{wrong}", allow_redirects=False, headers=late)
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT address FROM link_failures")
    assert [r["address"] for r in rows] == ["203.0.113.9"]
    first = {"X-Forwarded-For": "198.51.100.0"}
    r = await identity_client.get(f"/join/{good}", allow_redirects=False, headers=first)
    assert r.status == 303
