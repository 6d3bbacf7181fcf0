"""The served OpenAPI document matches the routes the app really has."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from aiohttp.web import Application

from orchestrator.kernel.web.openapi import documented_routes


async def test_every_api_route_is_documented(
    client: TestClient[Any, Any], app: Application
) -> None:
    """Each /api route has an operation note and appears in openapi.json, and nothing else does."""
    routes = documented_routes(app)
    undocumented = [(m, p) for m, p, note in routes if note is None]
    assert undocumented == []
    doc = await (await client.get("/api/v1/openapi.json")).json()
    served = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert served == {(m, p) for m, p, _ in routes}
    assert doc["openapi"].startswith("3.")


async def test_healthz_reports_database_and_migrations(client: TestClient[Any, Any]) -> None:
    """/healthz answers ok when the database is reachable and migrated."""
    r = await client.get("/healthz")
    assert (r.status, (await r.json())["status"]) == (200, "ok")


async def test_unknown_route_is_problem_json(client: TestClient[Any, Any]) -> None:
    """Even aiohttp's own 404/405 come back as problem+json."""
    r = await client.get("/api/v1/nothing-here")
    assert (r.status, r.content_type) == (404, "application/problem+json")
    r = await client.delete("/api/v1/councils")
    assert (r.status, r.content_type) == (405, "application/problem+json")


async def test_home_page_is_ukrainian_and_self_contained(client: TestClient[Any, Any]) -> None:
    """The landing page is in Ukrainian, has landmarks, and forbids outside resources by CSP."""
    r = await client.get("/")
    html = await r.text()
    assert r.status == 200 and '<html lang="uk">' in html
    assert '<main id="main"' in html and "Перейти до змісту" in html
    assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
    css = await client.get("/static/rada.css")
    assert css.status == 200
