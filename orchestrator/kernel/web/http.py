"""HTTP plumbing shared by every package's ``api.py``: problem+json errors, request ids,
JSON bodies, and the ``operation`` decorator that documents a handler for the OpenAPI document.
"""

from __future__ import annotations

import json
import math
import re
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
from orchestrator.kernel.web import pages
from orchestrator.kernel.web.messages_uk import message_uk

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
        "message_uk": message_uk(code),
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
    canonical = getattr(request.match_info.route.resource, "canonical", None)
    return canonical if isinstance(canonical, str) else request.path


@web.middleware
async def problems_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """:func:`_problems`, and for a person's browser an HTML page in Ukrainian instead of the
    problem+json (API clients keep getting problem+json)."""
    response = await _problems(request, handler)
    if (
        isinstance(response, web.Response)
        and response.status >= 400
        and response.content_type == PROBLEM
        and wants_html(request)
    ):
        return error_page(request, response)
    return response


def wants_html(request: web.Request) -> bool:
    """A page opened in a browser (a link, a typed address), not a script's or API call."""
    if request.method not in ("GET", "HEAD") or request.path.startswith("/api/"):
        return False
    accept = request.headers.get("Accept", "")
    html = accept.find("text/html")
    json_at = accept.find("json")
    return html >= 0 and (json_at < 0 or html < json_at)


ERROR_HEADINGS = {
    "link_refused": "Посилання недійсне",
    "link_rate_limited": "Забагато спроб",
    "unauthorized": "Потрібно ввійти за персональним посиланням",
    "forbidden": "Ця сторінка не для вашої ролі",
    "not_participant": "Ця сторінка не для вашої ролі",
}
STATUS_HEADINGS = {
    401: "Потрібно ввійти за персональним посиланням",
    403: "Доступ заборонено",
    404: "Сторінку не знайдено",
    429: "Забагато спроб",
    503: "Служба тимчасово недоступна",
}


def error_page(request: web.Request, problem_response: web.Response) -> web.Response:
    """The problem as a Ukrainian page: what happened, whom to call, where to watch."""
    if pages.ENV not in request.app or problem_response.text is None:
        return problem_response
    body = json.loads(problem_response.text)
    code = str(body.get("code", "http_error"))
    status = problem_response.status
    heading = ERROR_HEADINGS.get(code) or STATUS_HEADINGS.get(status)
    if heading is None:
        heading = "Помилка сервера" if status >= 500 else "Запит не виконано"
    raw_id = request.match_info.get("session_id", "")
    try:
        session_id: str | None = str(uuid.UUID(raw_id)) if raw_id else None
    except ValueError:
        session_id = None
    context = {
        "status": status,
        "code": code,
        "heading": heading,
        "message": message_uk(code),
        "session_id": session_id,
        "request_id": request.get(REQUEST_ID),
        "signed_in_role": code in ("forbidden", "not_participant"),
    }
    page = pages.render(request, "error.html", context, status=status)
    for header in ("WWW-Authenticate", "Retry-After"):
        if header in problem_response.headers:
            page.headers[header] = problem_response.headers[header]
    page.headers["X-Request-Id"] = str(request.get(REQUEST_ID, ""))
    page.headers["Cache-Control"] = "no-store"
    return page


async def _problems(request: web.Request, handler: Handler) -> web.StreamResponse:
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
    """The request's JSON body, or a 422 (413 when too large) naming what is wrong with it."""
    if request.content_type != "application/json":
        raise Invalid(
            "send the body as application/json", field="body", code="unsupported_media_type"
        )
    if request.content_length is not None and request.content_length > JSON_MAX_BYTES:
        raise _json_too_large()
    raw = await request.read()
    if len(raw) > JSON_MAX_BYTES:
        raise _json_too_large()
    return parse_json(raw)


JSON_MAX_BYTES = 2 * 1024 * 1024  # the largest body is a sign request with its base64 .p7s
JSON_MAX_DEPTH = 32  # rada's deepest body is three levels; a parser recursing 1,000 deep is a 500
_NUMBER_LIMIT = "numbers in the body are limited to a few hundred digits"


def _json_too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        f"a JSON body is at most {JSON_MAX_BYTES} bytes", field="body", code="payload_too_large"
    )


def _no_constant(name: str) -> Any:
    raise Invalid(f"{name} is not JSON", field="body", code="malformed_json")


def _number(raw: str) -> int:
    if len(raw) > 300:
        raise Invalid(_NUMBER_LIMIT, field="body", code="malformed_json")
    return int(raw)


def _real(raw: str) -> float:
    value = float(raw) if len(raw) <= 400 else math.inf
    if not math.isfinite(value):
        raise Invalid(_NUMBER_LIMIT, field="body", code="malformed_json")
    return value


def parse_json(raw: bytes) -> Any:
    """Strict JSON from untrusted bytes: UTF-8, nesting at most :data:`JSON_MAX_DEPTH` deep
    (checked before parsing, so the parser never recurses deeper), numbers of bounded length
    (Python refuses int strings past 4,300 digits with a ValueError), no ``NaN``/``Infinity``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("the body is not UTF-8", field="body", code="malformed_json") from None
    if _nesting(text) > JSON_MAX_DEPTH:
        raise Invalid(
            f"the body nests deeper than {JSON_MAX_DEPTH} levels", field="body", code="too_deep"
        )
    try:
        return json.loads(text, parse_int=_number, parse_float=_real, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise Invalid(
            f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            field="body",
            code="malformed_json",
        ) from None


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def _nesting(text: str) -> int:
    """How deep arrays and objects nest in ``text``, strings skipped (an upper bound for
    malformed text, which the parser refuses anyway)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


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

    if body is not None and not all("/" in media_type for media_type in body):
        raise ValueError(f"{summary!r}: body maps media types to their schema")

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
