"""The public archive pages share the site's page system: its header, landmarks and footer, its
stylesheet and script from ``/static/``, and its strict Content-Security-Policy."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from orchestrator.kernel.settings import Settings
from orchestrator.kernel.web.pages import csp
from tests.archive_seed import seed, write_media
from tests.journal_builder import play_session

Client = TestClient[Any, Any]


async def test_archive_pages_use_the_site_base_stylesheets_and_csp(
    client: Client, settings: Settings, pool: asyncpg.Pool
) -> None:
    """List, session and deputy pages: the site's header and skip link, rada.css and
    archive.css, archive.js, no inline style or script, and the site's strict CSP."""
    played = play_session(seats=5, items=1)
    await seed(pool, played)
    write_media(settings.data_dir / "media", played)
    member = next(p["member_id"] for p in played.people.values() if p["member_id"])
    for path in (
        "/archive",
        f"/archive/sessions/{played.session_id}",
        f"/archive/deputies/{member}",
    ):
        r = await client.get(path)
        html = await r.text()
        assert r.status == 200, path
        assert r.headers["Content-Security-Policy"] == csp()
        assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
        assert '<header class="site">' in html and '<main id="main"' in html
        assert '<a class="skip" href="#main">Перейти до змісту</a>' in html
        assert '<footer class="site">' in html
        for asset in ("/static/rada.css", "/static/archive.css", "/static/archive.js"):
            assert f'"{asset}"' in html, (path, asset)
        assert "<style" not in html and not re.search(r"\sstyle=", html)
        assert not re.search(r"<script(?![^>]*\ssrc=)", html)  # no inline script
    for asset, kind in (("archive.js", "javascript"), ("archive.css", "text/css")):
        r = await client.get(f"/static/{asset}")
        assert r.status == 200 and kind in r.headers["Content-Type"]
