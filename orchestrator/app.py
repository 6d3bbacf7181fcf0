"""``create_app``: the one place that wires rada together.

Resources live in ``cleanup_ctx`` generators in dependency order: database (embedded server or
the configured URL) → migrations/schema check → pool → services → the journal listener (one
LISTEN connection that features subscribe to) → each package's own contexts
(recorder supervisor, mailer…) added by its ``setup``. Shutdown runs them in reverse, so
recordings stop cleanly before the pool closes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from importlib.metadata import PackageNotFoundError, version

import asyncpg
import structlog
from aiohttp import web

from identity import api as identity_api
from identity import store as identity_store
from orchestrator.conduct import api as conduct_api
from orchestrator.conduct.tally import spoken_answers_uk
from orchestrator.convening import api as convening_api
from orchestrator.convening.service import CouncilService
from orchestrator.kernel import database
from orchestrator.kernel.clock import Clock, utc_now
from orchestrator.kernel.journal.listener import listening
from orchestrator.kernel.keys import CLOCK, DATABASE_URL, JOURNAL_LISTENER, POOL, SETTINGS
from orchestrator.kernel.settings import Settings
from orchestrator.kernel.web import headers, openapi, pages
from orchestrator.kernel.web.auth import ADMIN_TOKEN, AUTHENTICATOR, admin_only_authenticator
from orchestrator.kernel.web.http import json_response, operation, problems_middleware
from orchestrator.protocol import api as protocol_api
from recording import api as recording_api

log = structlog.get_logger(__name__)

Setup = Callable[[web.Application], None]


def rada_version() -> str:
    try:
        return version("rada")
    except PackageNotFoundError:
        return "0+unknown"


def _extensions() -> list[Setup]:
    """Each feature's ``setup(app)``: its routes, AppKeys and cleanup contexts."""
    return [identity_api.setup, conduct_api.setup, recording_api.setup, protocol_api.setup]


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
    app[convening_api.SETTINGS_LIMIT] = settings.http.max_upload_bytes

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
            app[convening_api.SERVICE] = CouncilService(
                pool,
                public_url=settings.http.public_url,
                queue_notices=identity_store.queue_notices,  # identity owns the notices (R4)
                clock=clock,
            )
            log.info("database_ready")
            try:
                yield
            finally:
                await pool.close()

    async def journal_listener_ctx(app: web.Application) -> AsyncIterator[None]:
        """The process's one LISTEN on the journal; features subscribe in their contexts."""
        async with listening(app[DATABASE_URL]) as listener:
            app[JOURNAL_LISTENER] = listener
            yield

    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(journal_listener_ctx)
    headers.setup(app, public_url=settings.http.public_url, jitsi_domain=settings.jitsi.domain)
    pages.setup(app, {"spoken_answers": spoken_answers_uk()})
    app.add_routes(convening_api.routes)
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
