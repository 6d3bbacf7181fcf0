"""HTTP plumbing shared by every package's ``api.py``: problem+json errors, request ids,
JSON bodies, and the ``operation`` decorator that documents a handler for the OpenAPI document.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import asyncpg
import structlog
from aiohttp import web

from orchestrator.kernel.errors import (
    Conflict,
    DatabaseUnavailable,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    Unavailable,
)

log = structlog.get_logger(__name__)

PROBLEM = "application/problem+json"
REQUEST_ID: web.RequestKey[str] = web.RequestKey("request_id", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Handler)
RETRY_AFTER_SECONDS = 2  # a restarting PostgreSQL is usually back within seconds
# PostgreSQL's answers that mean "not now", not "wrong": the connection is gone, the server
# shuts down or is starting, or it has no connection slot left.
_DATABASE_DOWN: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
)
_CLOSED_INTERFACE = ("pool is closing", "connection is closed", "connection was closed")

STATUS: list[tuple[type[DomainError], int]] = [
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (PayloadTooLarge, 413),
    (TooManyRequests, 429),
    (Unavailable, 503),
    (Invalid, 422),
]


def status_of(exc: DomainError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the database cannot be reached now: asyncpg's
    connection errors, a closed connection or pool, or a socket error raised inside asyncpg
    (connection refused, the server's socket gone)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _DATABASE_DOWN):
            return True
        if isinstance(current, asyncpg.InterfaceError) and any(
            words in str(current) for words in _CLOSED_INTERFACE
        ):
            return True
        if isinstance(current, OSError | TimeoutError) and _raised_in_asyncpg(
            current.__traceback__
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


def _raised_in_asyncpg(tb: TracebackType | None) -> bool:
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith("asyncpg"):
            return True
        tb = tb.tb_next
    return False


def problem(
    status: int, title: str, detail: str, code: str, request: web.Request, **extra: Any
) -> web.Response:
    body = {
        "type": f"https://rada.example/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": route_of(request),  # the pattern: a path may carry a personal link
        "request_id": request.get(REQUEST_ID),
        **{k: v for k, v in extra.items() if v is not None},
    }
    headers = {"WWW-Authenticate": 'Bearer realm="rada"'} if status == 401 else {}
    if status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False),
        content_type=PROBLEM,
        headers=headers,
    )


def problem_for(exc: DomainError, request: web.Request) -> web.Response:
    extra: dict[str, Any] = {"field": exc.field}
    if exc.errors:
        extra["errors"] = exc.errors
    extra.update(exc.extra)
    response = problem(status_of(exc), exc.title, exc.detail, exc.code, request, **extra)
    retry_after = exc.extra.get("retry_after")
    if isinstance(retry_after, int) and response.status in (429, 503):
        response.headers["Retry-After"] = str(retry_after)
    return response


def route_of(request: web.Request) -> str:
    """The matched route's pattern (``/join/{token}``), not the path: paths can carry secrets
    such as a personal link, and logs never hold secrets."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else request.path


@web.middleware
async def problems_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request id and logging context; domain errors → problem+json; the rest → a bare 500."""
    request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex
    request[REQUEST_ID] = request_id
    with structlog.contextvars.bound_contextvars(request_id=request_id):
        try:
            response = await handler(request)
        except DomainError as exc:
            log.info(
                "request_refused", path=route_of(request), code=exc.code, status=status_of(exc)
            )
            return problem_for(exc, request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
                exc.status, "http_error"
            )
            return problem(exc.status, exc.reason, exc.text or exc.reason, code, request)
        except Exception as exc:
            if database_unreachable(exc):
                log.warning("request_database_unavailable", path=route_of(request), error=repr(exc))
                return problem_for(
                    DatabaseUnavailable("the database cannot be reached now; try again shortly"),
                    request,
                )
            log.exception("request_failed", path=route_of(request))
            return problem(
                500,
                "Internal error",
                "an unexpected error happened; it was logged",
                "internal_error",
                request,
            )
        response.headers["X-Request-Id"] = request_id
        return response


async def read_json(request: web.Request) -> Any:
    """The request's JSON body, or a 422 naming what is wrong with it."""
    if request.content_type != "application/json":
        raise Invalid(
            "send the body as application/json", field="body", code="unsupported_media_type"
        )
    raw = await request.read()
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Invalid("the body is not UTF-8", field="body", code="malformed_json") from None
    except json.JSONDecodeError as exc:
        raise Invalid(
            f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            field="body",
            code="malformed_json",
        ) from None


async def read_object(request: web.Request) -> Mapping[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object", field="body")
    return body


def json_response(data: Any, status: int = 200, **kw: Any) -> web.Response:
    return web.Response(
        text=json.dumps(data, ensure_ascii=False),
        status=status,
        content_type="application/json",
        **kw,
    )


def match_uuid(request: web.Request, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise NotFound(f"{name} is not a valid id", code="not_found", field=name) from None


def match_int(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 6:
        raise NotFound(f"{name} must be a whole number", code="not_found", field=name)
    return int(raw)


def operation(
    summary: str,
    *,
    tag: str,
    auth: str = "public",
    body: Mapping[str, Any] | None = None,
    responses: Mapping[int, str] | None = None,
) -> Callable[[H], H]:
    """Document a handler for ``/api/v1/openapi.json``. ``auth``: public | admin | participant
    roles (e.g. "chair", "chair,secretary") | jitsi (the event_sync bearer) | jibri (Jibri's webhook bearer)."""

    def mark(handler: H) -> H:
        handler.__rada_operation__ = {  # type: ignore[attr-defined]
            "summary": summary,
            "tag": tag,
            "auth": auth,
            "body": body,
            "responses": dict(responses or {200: "OK"}),
        }
        return handler

    return mark
