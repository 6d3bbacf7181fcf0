"""Who is asking: the principal behind a request, and the checks every endpoint makes.

The foundation authenticates only the administrator (``Authorization: Bearer <RADA_ADMIN_TOKEN>``)
for council administration. Participants (chair, secretary, deputy, guest) sign in through their
personal link (the identity package installs its authenticator under ``AUTHENTICATOR``); anyone
else is the public.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from aiohttp import web

from orchestrator.kernel.errors import Forbidden, Unauthorized


class Role(StrEnum):
    """A participant's role in one session (the mayor presiding is the chair, R5)."""

    CHAIR = "chair"
    SECRETARY = "secretary"
    DEPUTY = "deputy"
    GUEST = "guest"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller. ``admin`` administers councils; a participant acts in one session."""

    kind: str  # "admin" | "participant" | "public"
    session_id: UUID | None = None
    participant_id: UUID | None = None
    role: Role | None = None

    @property
    def actor(self) -> str:
        """How the journal names this caller."""
        if self.kind == "participant" and self.participant_id is not None:
            return f"participant:{self.participant_id}"
        return self.kind


PUBLIC = Principal("public")
ADMIN = Principal("admin")

Authenticator = Callable[[web.Request], Awaitable[Principal]]
AUTHENTICATOR: web.AppKey[Authenticator] = web.AppKey("authenticator", Authenticator)  # type: ignore[arg-type]
ADMIN_TOKEN: web.AppKey[str] = web.AppKey("admin_token", str)
PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal", Principal)


SIGN_IN_FIRST = "sign in through your personal link first"


def same_secret(given: str, expected: str) -> bool:
    """A presented secret against the configured one, in constant time; an empty configured
    secret matches nothing."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def bearer_matches(request: web.Request, expected: str) -> bool:
    """Whether the request carries ``Authorization: Bearer <expected>``."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token) and same_secret(token.strip(), expected)


def bearer_is_admin(request: web.Request) -> bool:
    return bearer_matches(request, request.app[ADMIN_TOKEN])


async def admin_only_authenticator(request: web.Request) -> Principal:
    """The foundation's authenticator: the admin bearer key, else the public."""
    if "Authorization" in request.headers:
        if bearer_is_admin(request):
            return ADMIN
        raise Unauthorized("the bearer key is not valid")
    return PUBLIC


async def principal(request: web.Request) -> Principal:
    """The caller of this request (cached on the request)."""
    cached: Principal | None = request.get(PRINCIPAL)
    if cached is not None:
        return cached
    found: Principal = await request.app[AUTHENTICATOR](request)
    request[PRINCIPAL] = found
    return found


async def require_kind(request: web.Request, kind: str, unknown: str, other: str) -> Principal:
    """A caller of ``kind`` (admin|participant): the public gets 401 ``unknown``, a caller of
    another kind 403 ``other``."""
    p = await principal(request)
    if p.kind == "public":
        raise Unauthorized(unknown)
    if p.kind != kind:
        raise Forbidden(other)
    return p


async def require_admin(request: web.Request) -> Principal:
    return await require_kind(
        request,
        "admin",
        "this action needs the administrator's bearer key",
        "only the administrator may do this",
    )


async def require_participant(
    request: web.Request, session_id: UUID, roles: Collection[Role]
) -> Principal:
    """A participant of ``session_id`` in one of ``roles``; the admin is not a participant."""
    stranger = "you are not a participant of this session"
    p = await require_kind(request, "participant", SIGN_IN_FIRST, stranger)
    if p.session_id != session_id:
        raise Forbidden(stranger)
    if p.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise Forbidden(f"this action is for: {allowed}")
    return p
