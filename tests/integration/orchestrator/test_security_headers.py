"""Every answer carries the security headers; pages keep their own policy; HSTS and the
``__Host-`` sign-in cookie when people reach rada over https."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient

from identity.api import IDENTITY
from orchestrator.kernel.settings import Settings
from tests.fixtures.signin import convene

Client = TestClient[Any, Any]

ANSWERS = [
    "/api/v1/openapi.json",
    "/healthz",
    "/api/v1/sessions/00000000-0000-0000-0000-000000000000",
    "/no/such/path",
    "/archive/feed.atom",
    "/archive/sessions.ics",
    "/static/rada.css",
    "/archive",
    "/",
]


@pytest.mark.parametrize("path", ANSWERS)
async def test_every_answer_has_the_security_headers(identity_client: Client, path: str) -> None:
    """API, problems, feeds, static files and pages: nosniff, a Permissions-Policy that keeps
    camera and microphone for rada and the Jitsi frame only, a CSP that forbids framing; no
    HSTS over plain http."""
    r = await identity_client.get(path)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    policy = r.headers["Permissions-Policy"]
    assert 'camera=(self "https://' in policy and "geolocation=()" in policy
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "base-uri 'none'" in csp
    assert "object-src 'none'" in csp or "default-src 'none'" in csp
    assert "Strict-Transport-Security" not in r.headers


@pytest.mark.parametrize("path", ["/archive", "/"])
async def test_pages_keep_their_own_policy(identity_client: Client, path: str) -> None:
    """A page's CSP is the site's (its scripts and styles from this server), with
    ``object-src 'none'``, ``base-uri`` and ``form-action``."""
    csp = (await identity_client.get(path)).headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    for directive in ("object-src 'none'", "base-uri 'none'", "form-action 'self'"):
        assert directive in csp


class TestOverHttps:
    """rada behind a TLS proxy: ``RADA_PUBLIC_URL`` is https."""

    @pytest.fixture
    def identity_settings(self, identity_settings: Settings) -> Settings:
        """The identity test settings, reached over https (a TLS proxy in front)."""
        return replace(
            identity_settings, http=replace(identity_settings.http, public_url="https://rada.test")
        )

    async def test_https_brings_hsts_and_a_host_only_cookie(self, identity_client: Client) -> None:
        """With an https public URL: HSTS on every answer, and the sign-in cookie is
        ``__Host-`` prefixed, Secure, HttpOnly, SameSite=Strict, for path / with no Domain."""
        r = await identity_client.get("/api/v1/openapi.json")
        assert r.headers["Strict-Transport-Security"].startswith("max-age=")
        ids = await convene(identity_client)
        token, _, _ = await identity_client.app[IDENTITY].issue_link(
            UUID(ids.session_id), UUID(ids.deputies[0])
        )
        r = await identity_client.get(f"/join/{token}", allow_redirects=False)
        assert r.status == 303
        assert r.headers["Strict-Transport-Security"].startswith("max-age=")
        (cookie,) = r.headers.getall("Set-Cookie")
        assert cookie.startswith("__Host-rada_signin=")
        attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
        assert {"secure", "httponly", "path", "samesite"} <= attributes
        assert "domain" not in attributes
        assert "Path=/;" in cookie + ";" and "SameSite=Strict" in cookie
