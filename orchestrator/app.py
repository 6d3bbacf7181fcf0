"""``create_app``: the one place that wires rada together.

Resources live in ``cleanup_ctx`` generators in dependency order: database (embedded server or
the configured URL) → migrations/schema check → pool → services → the journal listener (one
LISTEN connection that features subscribe to) → each package's own contexts
(recorder supervisor, mailer…) added by its ``setup``. Shutdown runs them in reverse, so
recordings stop cleanly before the pool closes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from uuid import UUID

import asyncpg
import structlog
from aiohttp import web

from identity import api as identity_api
from identity import store as identity_store
from orchestrator.conduct import api as conduct_api
from orchestrator.conduct.tally import spoken_answers_uk
from orchestrator.convening import api as convening_api
from orchestrator.convening.service import CouncilService
from orchestrator.decisions import api as decisions_api
from orchestrator.kernel import database
from orchestrator.kernel.clock import Clock, utc_now
from orchestrator.kernel.health import Health, HealthRegistry
from orchestrator.kernel.journal.listener import listening
from orchestrator.kernel.keys import (
    CLOCK,
    DATABASE_URL,
    HEALTH,
    JOURNAL_LISTENER,
    POOL,
    SETTINGS,
)
from orchestrator.kernel.settings import Settings
from orchestrator.kernel.web import headers, openapi, pages
from orchestrator.kernel.web.auth import ADMIN_TOKEN, AUTHENTICATOR, admin_only_authenticator
from orchestrator.kernel.web.http import json_response, operation, problems_middleware
from orchestrator.preparation import api as preparation_api
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
    return [
        identity_api.setup,
        conduct_api.setup,
        recording_api.setup,
        protocol_api.setup,
        preparation_api.setup,
        decisions_api.setup,
    ]


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
    app[HEALTH] = HealthRegistry()
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

            async def remove_from_call(session_id: UUID, participant_id: UUID) -> int:
                """Identity runs the call: whoever is taken off the list leaves it (R6)."""
                if identity_api.IDENTITY not in app:
                    return 0  # an app without identity (tests of single features)
                return await app[identity_api.IDENTITY].remove_from_call(session_id, participant_id)

            app[convening_api.SERVICE] = CouncilService(
                pool,
                public_url=settings.http.public_url,
                queue_notices=identity_store.queue_notices,  # identity owns the notices (R4)
                removed_from_list=remove_from_call,
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
    app[HEALTH].register("database", _database_health(app), required=True)
    app[HEALTH].register("journal_listener", _listener_health(app), required=True)
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
    """Each component's state (database, journal listener, recorder supervisor…): 200 when
    every required one is up; otherwise 503 with ``Retry-After`` and which is down."""
    healthy, components = await request.app[HEALTH].report()
    body = {
        "status": "ok" if healthy else "unhealthy",
        "version": rada_version(),
        "components": components,
    }
    if healthy:
        return json_response(body)
    return json_response(body, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


RETRY_AFTER_SECONDS = 5


def _database_health(app: web.Application) -> Callable[[], Awaitable[Health]]:
    async def check() -> Health:
        """Reachable (a connection within 2 s) and every migration applied."""
        pool = app.get(POOL)
        if pool is None:
            return Health(False, {"error": "not opened"})
        try:
            async with pool.acquire(timeout=2) as conn:
                missing = await database.pending(conn)
        except Exception as exc:  # any failure here is "down", with its kind shown
            return Health(False, {"error": type(exc).__name__})
        if missing:
            return Health(False, {"pending_migrations": missing})
        return Health(True)

    return check


def _listener_health(app: web.Application) -> Callable[[], Awaitable[Health]]:
    async def check() -> Health:
        """LISTENing now (while it reconnects, other processes' acts do not reach consoles)."""
        listener = app.get(JOURNAL_LISTENER)
        if listener is None:
            return Health(False, {"error": "not started"})
        detail = {"reconnections": listener.reconnections}
        return Health(listener.backend_pid is not None, detail)

    return check


async def home(request: web.Request) -> web.Response:
    return pages.render(request, "home.html")


@operation("The OpenAPI document of this API", tag="meta")
async def openapi_document(request: web.Request) -> web.Response:
    return json_response(openapi.build(request.app, version=rada_version()))
