"""A person's browser gets a Ukrainian page for a refusal; an API client keeps problem+json."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aiohttp.test_utils import TestClient

from identity.api import IDENTITY
from tests.fixtures.signin import SessionIds, SignIn

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def test_a_wrong_personal_link_explains_itself_in_ukrainian(
    identity_client: TestClient[Any, Any],
) -> None:
    """A wrong, expired or re-issued link: what happened, whom to call, where to watch."""
    r = await identity_client.get("/join/not-a-real-token-0123456789", headers=BROWSER)
    assert r.status == 401
    assert r.content_type == "text/html"
    html = await r.text()
    assert '<html lang="uk">' in html
    assert "Посилання недійсне" in html
    assert "вам надіслали нове" in html
    assert "зателефонуйте секретарю ради" in html
    assert 'href="/archive"' in html  # the public broadcast and archive
    assert "link_refused" in html and "problem+json" not in html
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]


async def test_an_api_client_keeps_problem_json_with_the_ukrainian_message(
    identity_client: TestClient[Any, Any],
) -> None:
    """Scripts and API clients (no text/html in Accept) get problem+json, plus message_uk."""
    r = await identity_client.get("/join/not-a-real-token-0123456789")
    assert r.status == 401
    assert r.content_type == "application/problem+json"
    body = await r.json(content_type=None)
    assert body["code"] == "link_refused"
    assert body["message_uk"].startswith("Це персональне посилання недійсне")
    r = await identity_client.get("/api/v1/sessions/not-an-id/live", headers=BROWSER)
    assert r.content_type == "application/problem+json"  # /api/ is never a page


async def test_a_re_issued_link_revokes_the_old_one_with_a_page_that_says_so(
    identity_client: TestClient[Any, Any], session_ids: SessionIds
) -> None:
    """Re-issuing links (the fix for failed mail) makes the old one show the same page."""
    service = identity_client.app[IDENTITY]
    sid, pid = UUID(session_ids.session_id), UUID(session_ids.deputies[0])
    old, _, _ = await service.issue_link(sid, pid)
    await service.issue_link(sid, pid)
    r = await identity_client.get(f"/join/{old}", headers=BROWSER, allow_redirects=False)
    assert r.status == 401
    assert "найновіший лист" in await r.text()


async def test_a_signed_out_console_and_a_stranger_get_pages_with_the_broadcast_link(
    identity_client: TestClient[Any, Any], session_ids: SessionIds, sign_in: SignIn
) -> None:
    """The chair's console without a sign-in asks for the personal link; a deputy's sign-in
    is told the page is not for this role; both point to this session's broadcast."""
    path = f"/sessions/{session_ids.session_id}/chair"
    watch = f'href="/sessions/{session_ids.session_id}/watch"'
    r = await identity_client.get(path, headers=BROWSER)
    assert r.status == 401
    html = await r.text()
    assert "Потрібно ввійти за персональним посиланням" in html and watch in html
    deputy = await sign_in(session_ids.session_id, session_ids.deputies[0])
    r = await deputy.get(path, headers=BROWSER)
    assert r.status == 403
    html = await r.text()
    assert "не для вашої ролі" in html and watch in html


async def test_a_missing_page_is_a_ukrainian_404(identity_client: TestClient[Any, Any]) -> None:
    """An unknown address: «Сторінку не знайдено» and the way home."""
    r = await identity_client.get("/no/such/page", headers=BROWSER)
    assert r.status == 404
    html = await r.text()
    assert "Сторінку не знайдено" in html and 'href="/"' in html
