"""``create_app``: the one place that wires rada together.

Resources live in ``cleanup_ctx`` generators in dependency order: database (embedded server or
the configured URL) → migrations/schema check → pool → services → each package's own contexts
(recorder supervisor, mailer…) added by its ``setup``. Shutdown runs them in reverse, so
recordings stop cleanly before the pool closes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from importlib.metadata import PackageNotFoundError, version

import asyncpg
import structlog
from aiohttp import web

from orchestrator import api, database, openapi, pages
from orchestrator.auth import ADMIN_TOKEN, AUTHENTICATOR, admin_only_authenticator
from orchestrator.http import json_response, operation, problems_middleware
from orchestrator.service import Clock, CouncilService, utc_now
from orchestrator.settings import Settings

log = structlog.get_logger(__name__)

SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)
POOL: web.AppKey[asyncpg.Pool] = web.AppKey("pool", asyncpg.Pool)
DATABASE_URL: web.AppKey[str] = web.AppKey("database_url", str)
CLOCK: web.AppKey[Clock] = web.AppKey("clock", Clock)  # type: ignore[arg-type]

Setup = Callable[[web.Application], None]


def rada_version() -> str:
    try:
        return version("rada")
    except PackageNotFoundError:
        return "0+unknown"


def _extensions() -> list[Setup]:
    """Each package's ``setup(app)``: its routes, AppKeys and cleanup contexts."""
    from identity import api as identity_api
    from orchestrator import conduct_api
    from orchestrator.publication import api as publication_api
    from recording import api as recording_api

    return [identity_api.setup, conduct_api.setup, recording_api.setup, publication_api.setup]


def create_app(
    settings: Settings,
    *,
    migrate: bool = True,
    clock: Clock = utc_now,
    extensions: list[Setup] | None = None,
) -> web.Application:
    app = web.Application(
        middlewares=[problems_middleware],
        client_max_size=settings.http.max_upload_bytes + 64 * 1024,
    )
    app[SETTINGS] = settings
    app[CLOCK] = clock
    app[ADMIN_TOKEN] = settings.admin_token
    app[AUTHENTICATOR] = admin_only_authenticator
    app[api.SETTINGS_LIMIT] = settings.http.max_upload_bytes

    async def database_ctx(app: web.Application) -> AsyncIterator[None]:
        async with database.open_database(settings.database, settings.data_dir) as url:
            app[DATABASE_URL] = url
            conn = await asyncpg.connect(url)
            try:
                if migrate:
                    await database.migrate(conn)
                missing = await database.pending(conn)
                if missing:
                    raise database.SchemaError(
                        f"the database lacks migrations {missing}: run `rada migrate`"
                    )
            finally:
                await conn.close()
            pool = await database.create_pool(url, settings.database)
            app[POOL] = pool
            app[api.SERVICE] = CouncilService(
                pool, public_url=settings.http.public_url, clock=clock
            )
            log.info("database_ready")
            try:
                yield
            finally:
                await pool.close()

    app.cleanup_ctx.append(database_ctx)
    pages.setup(app)
    app.add_routes(api.routes)
    app.router.add_get("/", home)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/v1/openapi.json", openapi_document)
    for setup in _extensions() if extensions is None else extensions:
        setup(app)
    return app


async def healthz(request: web.Request) -> web.Response:
    """Database reachable and migrations current: 200; otherwise 503 with the reason."""
    try:
        async with request.app[POOL].acquire(timeout=5) as conn:
            missing = await database.pending(conn)
    except Exception as exc:  # any failure here is "not healthy", with the reason shown
        return json_response({"status": "unhealthy", "database": str(exc)}, status=503)
    if missing:
        return json_response({"status": "unhealthy", "pending_migrations": missing}, status=503)
    return json_response({"status": "ok", "version": rada_version()})


async def home(request: web.Request) -> web.Response:
    return pages.render(request, "home.html")


@operation("The OpenAPI document of this API", tag="meta")
async def openapi_document(request: web.Request) -> web.Response:
    return json_response(openapi.build(request.app, version=rada_version()))
