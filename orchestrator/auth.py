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

from orchestrator.errors import Forbidden, Unauthorized


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


def bearer_is_admin(request: web.Request) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    expected = request.app[ADMIN_TOKEN]
    return bool(expected) and hmac.compare_digest(token.strip().encode(), expected.encode())


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


async def require_admin(request: web.Request) -> Principal:
    p = await principal(request)
    if p.kind == "public":
        raise Unauthorized("this action needs the administrator's bearer key")
    if p.kind != "admin":
        raise Forbidden("only the administrator may do this")
    return p


async def require_participant(
    request: web.Request, session_id: UUID, roles: Collection[Role]
) -> Principal:
    """A participant of ``session_id`` in one of ``roles``; the admin is not a participant."""
    p = await principal(request)
    if p.kind == "public":
        raise Unauthorized("sign in through your personal link first")
    if p.kind != "participant" or p.session_id != session_id:
        raise Forbidden("you are not a participant of this session")
    if p.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise Forbidden(f"this action is for: {allowed}")
    return p
