"""Recording's HTTP side and wiring: the recorder supervisor's cleanup context, the recorder's
state, and the recording files (live HLS during the session, the archive after it)."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import aiohttp
import structlog
from aiohttp import web

from orchestrator.kernel.database import Conn
from orchestrator.kernel.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from orchestrator.kernel.health import Health
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.journal.chain import format_time
from orchestrator.kernel.keys import CLOCK, DATABASE_URL, HEALTH, JOURNAL_LISTENER, POOL, SETTINGS
from orchestrator.kernel.web import files, validation
from orchestrator.kernel.web.auth import require_admin
from orchestrator.kernel.web.http import json_response, operation, read_object
from recording import store
from recording.ingest_check import IngestChecks, Running
from recording.jibri.auth import JibriTokenKey, Refused, check_authorization, load_token_key
from recording.jibri.client import JibriLogin, JibriPool
from recording.jibri.status import BUSY_STATUSES, HEALTH_STATUSES, parse_report
from recording.manifest import CONTENT_TYPES
from recording.media.recorder import ingest_url
from recording.media.restream import SCHEMES
from recording.storage.replica import open_storage
from recording.supervisor import (
    CallSource,
    JibriCall,
    RecordingSupervisor,
    SimulatedCall,
    record_jibri_report,
)

JIBRI_TOKEN_KEY: web.AppKey[JibriTokenKey | None] = web.AppKey("jibri_token_key")
SUPERVISOR: web.AppKey[RecordingSupervisor] = web.AppKey(
    "recording_supervisor", RecordingSupervisor
)
INGEST_CHECKS: web.AppKey[IngestChecks] = web.AppKey("ingest_checks", IngestChecks)

PUBLIC_FILE = re.compile(
    r"^(part-\d{4,}\.mp4|live\.m3u8|index\.m3u8|chapters\.vtt|manifest\.json)$"
)

MAX_DESTINATIONS = 10
routes = web.RouteTableDef()
log = structlog.get_logger(__name__)


def recordings_root(app: web.Application) -> Path:
    return Path(app[SETTINGS].data_dir) / "media"  # publication reads the manifest here


def ingest_tests_root(app: web.Application) -> Path:
    """Test parts (P1): beside the media root, never inside it (nor in any archive)."""
    return Path(app[SETTINGS].data_dir) / "ingest-tests"


def _session_id(request: web.Request) -> UUID:
    try:
        return UUID(request.match_info["session_id"])
    except ValueError:
        raise Invalid("not a session id", field="session_id") from None


def _time(at: datetime | None) -> str | None:
    return format_time(at) if at is not None else None


@routes.get("/api/v1/sessions/{session_id}/recording")
@operation("The recorder's state for a session (receiving or lost since, parts)", tag="recording")
async def recording_status(request: web.Request) -> web.Response:
    session_id = _session_id(request)
    async with request.app[POOL].acquire() as conn:
        rows = await store.load_statuses(conn, session_id)
    if not rows:
        raise NotFound("this session has no recorder", code="recording_not_found")
    row = rows[0]
    body: dict[str, Any] = {
        "session_id": str(session_id),
        "receiving": row.receiving,
        "lost_since": _time(row.lost_since),
        "part": row.part,
        "parts": row.parts,
        "bitrate_kbps": row.bitrate_kbps,
        "updated_at": _time(row.updated_at),
        "live_playlist": f"/recordings/{session_id}/live.m3u8",
        **await _space(request.app, session_id),
    }
    return json_response(body)


async def _space(app: web.Application, session_id: UUID) -> dict[str, Any]:
    """Free space where the session's parts are written, and whether it is below the headroom
    (a warning on the chair's console before a full disk stops the recording, R9). Every rada
    process shares the media folder, so any of them can look."""
    try:
        usage = await asyncio.to_thread(shutil.disk_usage, recordings_root(app) / str(session_id))
    except OSError:
        return {"free_bytes": None, "storage_low": False}
    free = int(usage.free)
    return {"free_bytes": free, "storage_low": free < app[SETTINGS].recording.headroom_bytes}


RESTREAM_BODY = {
    "application/json": {
        "schema": {
            "type": "object",
            "required": ["destinations"],
            "properties": {
                "destinations": {
                    "type": "array",
                    "maxItems": MAX_DESTINATIONS,
                    "items": {
                        "type": "object",
                        "required": ["name", "url"],
                        "properties": {
                            "name": {"type": "string", "minLength": 1, "maxLength": 80},
                            "url": {
                                "type": "string",
                                "pattern": "^rtmps?://[^\\s]+$",
                                "maxLength": 2000,
                            },
                        },
                    },
                }
            },
        }
    }
}


def parse_destinations(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, url) of each destination; :class:`Invalid` names the first wrong field."""
    listed = validation.array(body, "destinations", max_len=MAX_DESTINATIONS)
    out: list[tuple[str, str]] = []
    for i, raw in enumerate(listed):
        prefix = f"destinations[{i}]."
        entry = validation.obj(raw, f"destinations[{i}]")
        name = validation.text(entry, "name", max_len=80, prefix=prefix)
        url = validation.text(entry, "url", max_len=2000, prefix=prefix)
        if not url.startswith(SCHEMES) or any(ch.isspace() for ch in url):
            raise Invalid("url must be an rtmp:// or rtmps:// address", field=prefix + "url")
        if name in {n for n, _ in out}:
            raise Invalid("each destination needs a name of its own", field=prefix + "name")
        out.append((name, url))
    return out


@routes.put("/api/v1/sessions/{session_id}/restream")
@operation(
    "Where the session's program is pushed besides the recording (RTMP/RTMPS, stream copy): "
    "the list replaces any before it; an empty list turns restreaming off (the default)",
    tag="recording",
    auth="admin",
    body=RESTREAM_BODY,
)
async def restream_configure(request: web.Request) -> web.Response:
    await require_admin(request)
    session_id = _session_id(request)
    destinations = parse_destinations(await read_object(request))
    async with request.app[POOL].acquire() as conn, conn.transaction():
        if await store.session_status(conn, session_id) is None:
            raise NotFound(f"no session {session_id}", code="session_not_found")
        await store.replace_destinations(conn, session_id, destinations)
    return json_response(await _restream_body(request, session_id))


@routes.get("/api/v1/sessions/{session_id}/restream")
@operation(
    "Each restream destination's state (connecting, streaming, retrying with the time to the "
    "next try, stopped) by name; never its URL (it holds the stream key)",
    tag="recording",
)
async def restream_status(request: web.Request) -> web.Response:
    return json_response(await _restream_body(request, _session_id(request)))


async def _restream_body(request: web.Request, session_id: UUID) -> dict[str, Any]:
    async with request.app[POOL].acquire() as conn:
        if await store.session_status(conn, session_id) is None:
            raise NotFound(f"no session {session_id}", code="session_not_found")
        rows = await store.load_destinations(conn, session_id)
    return {
        "session_id": str(session_id),
        "destinations": [
            {
                "name": r.name,
                "state": r.state,
                "attempts": r.attempts,
                "failures": r.failures,
                "last_error": r.last_error,
                "updated_at": _time(r.updated_at),
            }
            for r in rows
        ],
    }


@routes.get("/api/v1/sessions/{session_id}/recording/ingest")
@operation(
    "Where an encoder that is not Jibri (OBS, a hall encoder) pushes the session: the full "
    "ingest URL with its stream key or SRT passphrase (secret)",
    tag="recording",
    auth="admin",
)
async def recording_ingest(request: web.Request) -> web.Response:
    await require_admin(request)
    session_id = _session_id(request)
    async with request.app[POOL].acquire() as conn:
        rows = await store.load_statuses(conn, session_id)
        if not rows or rows[0].ingest_port is None:
            raise NotFound("this session has no recorder listening", code="recording_not_found")
        key = await store.stream_key(conn, session_id)
    settings = request.app[SETTINGS].recording
    port = rows[0].ingest_port
    body = {"protocol": settings.ingest, "port": port, "url": ingest_url(settings, port, key)}
    return json_response(body)


@routes.post("/api/v1/sessions/{session_id}/recording/ingest-test")
@operation(
    "Test the session's ingest end to end before the sitting (P1): a recorder listens with the "
    "session's stream key; a short stream pushed to the URL is recorded as a test part (never "
    "in the archive), hashed, decoded and journaled (ingest_tested)",
    tag="recording",
    auth="admin",
    responses={202: "Listening: the ingest URL (secret)", 409: "Opened, ended, or running"},
)
async def start_ingest_test(request: web.Request) -> web.Response:
    by = await require_admin(request)
    session_id = _session_id(request)
    checks = request.app.get(INGEST_CHECKS)
    if checks is None:
        raise Conflict("recording is disabled (RADA_RECORDING_ENABLED)", code="recording_disabled")
    running = await checks.start(session_id, by.actor)
    return json_response(_running(running), status=202)


@routes.get("/api/v1/sessions/{session_id}/recording/ingest-test")
@operation("The session's ingest tests (P1): the one listening now, and each result",
           tag="recording", auth="admin")  # fmt: skip
async def get_ingest_tests(request: web.Request) -> web.Response:
    await require_admin(request)
    session_id = _session_id(request)
    async with request.app[POOL].acquire() as conn:
        await _known_session(conn, session_id)
        found = await journal_store.load_events(conn, session_id, types=[ev.INGEST_TESTED])
    checks = request.app.get(INGEST_CHECKS)
    now = checks.running.get(session_id) if checks is not None else None
    return json_response(
        {
            "running": _running(now[0]) if now is not None else None,
            "results": [{**e.payload, "at": format_time(e.at)} for e in found],
        }
    )


def _running(running: Running) -> dict[str, Any]:
    return {
        "test_id": running.test_id,
        "port": running.port,
        "url": running.url,
        "listening_until": format_time(running.until),
    }


async def _known_session(conn: Conn, session_id: UUID) -> None:
    if await store.session_status(conn, session_id) is None:
        raise NotFound(f"no session {session_id}", code="session_not_found")


@routes.get("/recordings/{session_id}/{name}")
async def recording_file(request: web.Request) -> web.StreamResponse:
    """Parts (with byte ranges), playlists, chapters and the manifest: all public (R9, R20)."""
    session_id = _session_id(request)
    name = request.match_info["name"]
    if not PUBLIC_FILE.match(name):
        raise NotFound("no such recording file", code="recording_file_not_found")
    path = recordings_root(request.app) / str(session_id) / name
    if not path.is_file():
        raise NotFound("no such recording file", code="recording_file_not_found")
    return await files.send_file(
        request,
        path,
        content_type=CONTENT_TYPES[path.suffix],
        cache_control="no-cache" if name == "live.m3u8" else None,
    )


JIBRI_STATUS_BODY = {
    "application/json": {
        "schema": {
            "type": "object",
            "required": ["jibriId", "status"],
            "properties": {
                "jibriId": {"type": "string", "minLength": 1, "maxLength": 200},
                "status": {
                    "type": "object",
                    "required": ["busyStatus", "health"],
                    "properties": {
                        "busyStatus": {"enum": sorted(BUSY_STATUSES)},
                        "health": {
                            "type": "object",
                            "required": ["healthStatus"],
                            "properties": {
                                "healthStatus": {"enum": sorted(HEALTH_STATUSES)},
                                "details": {"type": "object"},
                            },
                        },
                    },
                },
            },
        }
    }
}


def _check_jibri_auth(request: web.Request) -> None:
    """Jibri's own RS256 JWT (``jwt-info``) or the bearer secret a proxy adds; with neither
    configured every report is refused (see ``recording/jibri_auth.py``)."""
    settings = request.app[SETTINGS].recording
    try:
        check_authorization(
            request.headers.get("Authorization", ""),
            key=request.app[JIBRI_TOKEN_KEY],
            secret=settings.jibri_webhook_secret,
            now=request.app[CLOCK](),
        )
    except Refused as refusal:
        error = Forbidden if refusal.code == "jibri_webhook_disabled" else Unauthorized
        raise error(str(refusal), code=refusal.code) from None


@operation(
    "Jibri's status webhook (every minute and on change): journals jibri_status when the "
    "state of the Jibri serving a session changes",
    tag="recording",
    auth="jibri",
    body=JIBRI_STATUS_BODY,
    responses={200: "Accepted for a session", 202: "Accepted; the Jibri serves no session"},
)
async def jibri_status(request: web.Request) -> web.Response:
    _check_jibri_auth(request)
    report = parse_report(await read_object(request))
    outcome = await record_jibri_report(request.app[POOL], report, request.app[CLOCK]())
    if outcome == "unassigned":
        known = any(i == report.jibri_id for i, _ in request.app[SETTINGS].recording.jibri_ids)
        (log.debug if known else log.warning)(
            "jibri_status_unassigned" if known else "jibri_status_unknown_jibri",
            jibri=report.jibri_id,
            busy_status=report.busy_status,
        )
        return json_response({"outcome": outcome}, status=202)
    return json_response({"outcome": outcome})


def configure(
    *, poll_seconds: float = 1.0, instance: str | None = None
) -> Callable[[web.Application], None]:
    """A ``setup`` with the supervisor's poll interval (tests shorten it) and the name it gives
    its process (host:pid unless told; tests running two in one process name them). Recording
    reads its section from ``app[SETTINGS].recording``."""

    def setup_with(app: web.Application) -> None:
        settings = app[SETTINGS].recording
        app[JIBRI_TOKEN_KEY] = load_token_key(settings)
        app.add_routes(routes)
        app.router.add_post(f"{settings.jibri_webhook_prefix}/v1/status", jibri_status)
        if settings.enabled:
            app.cleanup_ctx.append(_supervisor_ctx(poll_seconds, instance))
            app.cleanup_ctx.append(_ingest_checks_ctx)
            # required when votes need the recorder receiving (R9): without claims that are
            # confirmed, no process may be recording the next session
            required = app[SETTINGS].conduct.recording_required
            app[HEALTH].register("recording_supervisor", _supervisor_health(app), required=required)

    return setup_with


def _supervisor_ctx(
    poll_seconds: float, instance: str | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def recording_ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS].recording
        async with open_storage(settings, recordings_root(app)) as storage:
            http = aiohttp.ClientSession() if settings.jibri_urls else None
            source: CallSource | None = (
                SimulatedCall(settings.ffmpeg or None) if settings.simulated_call else None
            )
            if http is not None:
                login = JibriLogin(
                    settings.jibri_xmpp_domain, settings.jibri_username, settings.jibri_password
                )
                pool = JibriPool(
                    http,
                    settings.jibri_urls,
                    login,
                    ids={url: jibri_id for jibri_id, url in settings.jibri_ids},
                )
                source = JibriCall(pool, _jitsi_base_url(app))
            supervisor = RecordingSupervisor(
                pool=app[POOL],
                database_url=app[DATABASE_URL],
                settings=settings,
                storage=storage,
                clock=app[CLOCK],
                source=source,
                poll_seconds=poll_seconds,
                instance=instance,
                listener=app[JOURNAL_LISTENER],
            )
            await supervisor.start()
            app[SUPERVISOR] = supervisor
            try:
                yield
            finally:
                await supervisor.stop()  # before the pool closes: parts close cleanly
                if http is not None:
                    await http.close()

    return recording_ctx


async def _ingest_checks_ctx(app: web.Application) -> AsyncIterator[None]:
    def taken() -> frozenset[int]:
        supervisor = app.get(SUPERVISOR)
        recorders = supervisor.recorders.values() if supervisor is not None else ()
        return frozenset(r.port for r in recorders if r.port is not None)

    checks = IngestChecks(
        app[POOL],
        app[SETTINGS].recording,
        ingest_tests_root(app),
        clock=app[CLOCK],
        taken_ports=taken,
    )
    app[INGEST_CHECKS] = checks
    try:
        yield
    finally:
        await checks.close()


def _supervisor_health(app: web.Application) -> Callable[[], Awaitable[Health]]:
    async def check() -> Health:
        supervisor = app.get(SUPERVISOR)
        if supervisor is None:
            return Health(False, {"error": "not started"})
        return supervisor.health()

    return check


def _jitsi_base_url(app: web.Application) -> str:
    """Jitsi's web address (``callUrlInfo.baseUrl``), from the Jitsi section of the settings."""
    domain = app[SETTINGS].jitsi.domain
    return domain if domain.startswith(("http://", "https://")) else f"https://{domain}"


def setup(app: web.Application) -> None:
    """Wire recording from ``app[SETTINGS].recording``."""
    configure()(app)
