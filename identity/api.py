"""Identity over HTTP: personal-link sign-in, the participant authenticator with CSRF checks,
links, notices and deliveries for the administrator and the secretary, Jitsi tokens, Prosody's
event_sync webhooks, the chair's identification (R11), and the participant's page.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import structlog
from aiohttp import web

from identity import mail
from identity.errors import CsrfRefused, EventSecretRefused
from identity.kick import Kicker
from identity.notices import NoticeSender
from identity.service import IdentityService, canonical_uuid
from identity.store import SignIn
from identity.tokens import TokenIssuer, key_file_name
from orchestrator.convening import api as core_api
from orchestrator.convening.bodies import IdentificationMethod
from orchestrator.kernel.errors import NotFound
from orchestrator.kernel.journal.chain import format_time
from orchestrator.kernel.journal.listener import woken_worker
from orchestrator.kernel.keys import CLOCK, JOURNAL_LISTENER, POOL, SETTINGS
from orchestrator.kernel.settings import SettingsError
from orchestrator.kernel.web import pages
from orchestrator.kernel.web import validation as v
from orchestrator.kernel.web.auth import (
    AUTHENTICATOR,
    PUBLIC,
    SIGN_IN_FIRST,
    Principal,
    Role,
    admin_only_authenticator,
    bearer_matches,
    principal,
    require_admin,
    require_kind,
    require_participant,
    same_secret,
)
from orchestrator.kernel.web.http import json_response, match_uuid, operation, read_object

log = structlog.get_logger(__name__)

IDENTITY: web.AppKey[IdentityService] = web.AppKey("identity_service", IdentityService)
SENDER: web.AppKey[NoticeSender] = web.AppKey("notice_sender", NoticeSender)
ISSUER: web.AppKey[TokenIssuer] = web.AppKey("token_issuer", TokenIssuer)

COOKIE = "__Host-rada_signin"
"""The sign-in cookie over https: with the ``__Host-`` prefix a browser keeps it only if it is
Secure, for path ``/`` and without a Domain, so no sibling host or plain-http page can set or
shadow it."""
PLAIN_COOKIE = "rada_signin"  # plain http (rada on one's own machine): no Secure, so no prefix


def cookie_name(app: web.Application) -> str:
    return COOKIE if app[SETTINGS].http.public_url.startswith("https://") else PLAIN_COOKIE


SIGNIN_KEY: web.RequestKey[SignIn] = web.RequestKey("signin", SignIn)
"""Where the authenticator leaves the request's sign-in (with its CSRF token)."""
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ALL_ROLES = (Role.CHAIR, Role.SECRETARY, Role.DEPUTY, Role.GUEST)
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
STATIC = Path(__file__).parent / "static"

routes = web.RouteTableDef()


# --- the authenticator ---------------------------------------------------------------------


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_csrf(request: web.Request, expected: str) -> None:
    """A state change made with the sign-in cookie must carry the sign-in's CSRF token and
    come from rada's own origin (Origin, else Referer)."""
    given = request.headers.get(CSRF_HEADER, "")
    if not same_secret(given, expected):
        raise CsrfRefused(f"send the {CSRF_HEADER} header of your sign-in")
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    allowed = {
        _origin(request.app[SETTINGS].http.public_url),
        f"{request.scheme}://{request.host}".lower(),
    }
    if not source or _origin(source) not in allowed:
        raise CsrfRefused("the request does not come from rada's own pages")


async def authenticate(request: web.Request) -> Principal:
    """The admin bearer for council administration, else the personal-link sign-in cookie."""
    if "Authorization" in request.headers:
        return await admin_only_authenticator(request)
    cookie = request.cookies.get(cookie_name(request.app))
    if not cookie:
        return PUBLIC
    signin = await request.app[IDENTITY].signin(cookie)
    if signin is None:
        return PUBLIC
    if request.method not in SAFE_METHODS:
        check_csrf(request, signin.csrf_token)
    request[SIGNIN_KEY] = signin
    return Principal("participant", signin.session_id, signin.participant_id, signin.role)


# --- signing in ----------------------------------------------------------------------------


def role_page(app: web.Application, role: Role, session_id: UUID) -> str:
    """Where a role lands after sign-in. The conduct package may name its consoles
    ``chair_console`` and ``secretary_console``; until then chair and secretary land on the
    identification page and the participant page."""
    named = {Role.CHAIR: "chair_console", Role.SECRETARY: "secretary_console"}.get(role)
    if named is not None and named in app.router.named_resources():
        return str(app.router[named].url_for(session_id=str(session_id)))
    if role is Role.CHAIR:
        return f"/sessions/{session_id}/identify"
    return f"/sessions/{session_id}/participant"


@routes.get("/join/{token}")
async def join(request: web.Request) -> web.Response:
    """Open a personal link: sign this browser in and go to the role's page."""
    address = request.app[SETTINGS].signin.client_address(
        request.remote, request.headers.get("X-Forwarded-For")
    )
    result = await request.app[IDENTITY].open_link(request.match_info["token"], address)
    target = role_page(request.app, result.role, result.session_id)
    response = web.Response(status=303, headers={"Location": target, **NO_STORE})
    response.set_cookie(
        cookie_name(request.app),
        result.cookie,
        httponly=True,
        samesite="Strict",
        secure=request.app[SETTINGS].http.public_url.startswith("https://"),
        path="/",
        expires=result.expires_at.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT"),
    )
    return response


async def _require_signed_in(request: web.Request) -> Principal:
    return await require_kind(
        request, "participant", SIGN_IN_FIRST, "the administrator has no participant sign-in"
    )


@routes.get("/api/v1/me")
@operation("The signed-in participant and the CSRF token for their requests", tag="identity",
           auth="chair,secretary,deputy,guest")  # fmt: skip
async def me(request: web.Request) -> web.Response:
    await _require_signed_in(request)
    signin = request[SIGNIN_KEY]
    return json_response(
        {
            "session_id": str(signin.session_id),
            "participant_id": str(signin.participant_id),
            "role": signin.role.value,
            "csrf_token": signin.csrf_token,
        },
        headers=NO_STORE,
    )


@routes.post("/api/v1/signout")
@operation("End this browser's sign-in", tag="identity", auth="chair,secretary,deputy,guest",
           responses={204: "Signed out"})  # fmt: skip
async def signout(request: web.Request) -> web.Response:
    await _require_signed_in(request)
    await request.app[IDENTITY].sign_out(request.cookies.get(cookie_name(request.app), ""))
    response = web.Response(status=204)
    name = cookie_name(request.app)
    response.del_cookie(name, path="/", secure=name == COOKIE, samesite="Strict")
    return response


# --- links, notices and deliveries -----------------------------------------------------------

ISSUE_BODY = {"application/json": {"schema": {"type": "object", "properties": {
    "participant_ids": {"type": "array", "items": {"type": "string", "format": "uuid"},
                        "description": "omit for everyone on the list"}}}}}  # fmt: skip


@routes.post("/api/v1/sessions/{session_id}/links")
@operation("Re-issue personal links: revoke the current ones and mail new ones (R4, R12)",
           tag="identity", auth="admin", body=ISSUE_BODY,
           responses={202: "Queued for e-mail", 409: "Not announced or ended"})  # fmt: skip
async def issue_links(request: web.Request) -> web.Response:
    by = await require_admin(request)
    session_id = match_uuid(request, "session_id")
    pids: list[UUID] | None = None
    if request.can_read_body:
        body = await read_object(request)
        if body.get("participant_ids") is not None:
            raw = v.array(body, "participant_ids", max_len=2000)
            pids = [v.uuid(x, f"participant_ids[{i}]") for i, x in enumerate(raw)]
    count = await request.app[IDENTITY].reissue(session_id, pids, by)
    request.app[SENDER].wake.set()
    return json_response({"queued": count}, status=202)


@routes.delete("/api/v1/sessions/{session_id}/links/{participant_id}")
@operation("Revoke a participant's personal link at once (journaled)", tag="identity",
           auth="admin", responses={204: "Revoked", 409: "No current link"})  # fmt: skip
async def revoke_link(request: web.Request) -> web.Response:
    by = await require_admin(request)
    session_id = match_uuid(request, "session_id")
    pid = match_uuid(request, "participant_id")
    reason = "revoked by the administrator"
    if request.can_read_body:
        body = await read_object(request)
        reason = v.text(body, "reason", max_len=500, required=False) or reason
    await request.app[IDENTITY].revoke(session_id, pid, reason, by)
    return web.Response(status=204)


@routes.get("/api/v1/sessions/{session_id}/deliveries")
@operation("Delivery status of each participant's convening notice (no addresses)",
           tag="identity", auth="admin,chair,secretary")  # fmt: skip
async def deliveries(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    p = await principal(request)
    if p.kind != "admin":
        await require_participant(request, session_id, (Role.CHAIR, Role.SECRETARY))
    rows = await request.app[IDENTITY].deliveries(session_id)
    return json_response(
        {
            "deliveries": [
                {
                    "participant_id": str(d.participant_id),
                    "name": f"{d.surname} {d.given_name}",
                    "role": d.role,
                    "status": d.status,
                    "attempts": d.attempts,
                    "last_error": d.last_error,
                    "queued_at": d.queued_at.isoformat(),
                    "sent_at": d.sent_at.isoformat() if d.sent_at else None,
                }
                for d in rows
            ]
        }
    )


@routes.get("/api/v1/sessions/{session_id}/notices")
@operation("Convening notices and their delivery status (R4)", tag="convening", auth="admin")
async def get_notices(request: web.Request) -> web.Response:
    await require_admin(request)
    notices = await request.app[IDENTITY].notices(match_uuid(request, "session_id"))
    return json_response(
        [
            {
                "participant_id": str(n.participant_id),
                "kind": n.kind,
                "status": n.status,
                "attempts": n.attempts,
                "last_error": n.last_error,
                "queued_at": format_time(n.queued_at),
                "sent_at": format_time(n.sent_at) if n.sent_at else None,
            }
            for n in notices
        ]
    )


# --- Jitsi ---------------------------------------------------------------------------------


@routes.get("/api/v1/sessions/{session_id}/jitsi-token")
@operation("The signed-in participant's Jitsi token for the session's room", tag="identity",
           auth="chair,secretary,deputy,guest",
           responses={200: "Token", 409: "Outside the session window"})  # fmt: skip
async def jitsi_token(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    p = await require_participant(request, session_id, ALL_ROLES)
    return json_response(await request.app[IDENTITY].jitsi_token(p), headers=NO_STORE)


@routes.get("/api/v1/sessions/{session_id}/jitsi-test-token")
@operation("The signed-in participant's short test token for their own test room (P1 "
           "«Перевірка зв’язку»): no moderator, two minutes, never a session room",
           tag="identity", auth="chair,secretary,deputy,guest",
           responses={200: "Token", 409: "The session has ended"})  # fmt: skip
async def jitsi_test_token(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    p = await require_participant(request, session_id, ALL_ROLES)
    return json_response(await request.app[IDENTITY].jitsi_test_token(p), headers=NO_STORE)


async def public_key(request: web.Request) -> web.Response:
    """The RS256 public key where Prosody's asap_key_server looks for it."""
    issuer = request.app[ISSUER]
    pem = issuer.public_key_pem()
    if pem is None or request.match_info["name"] != key_file_name(issuer.settings.kid):
        raise NotFound("no such key", code="key_not_found")
    return web.Response(body=pem, content_type="application/x-pem-file")


def _check_event_secret(request: web.Request) -> None:
    if not bearer_matches(request, request.app[SETTINGS].jitsi.event_secret):
        raise EventSecretRefused("the event_sync bearer secret is missing or wrong")


def _event_handler(
    act: Callable[[IdentityService, dict[str, Any]], Any], summary: str
) -> Callable[[web.Request], Any]:
    @operation(summary, tag="jitsi", auth="jitsi", responses={200: "Recorded"})
    async def handler(request: web.Request) -> web.Response:
        _check_event_secret(request)
        body = await read_object(request)
        await act(request.app[IDENTITY], dict(body))
        return json_response({"ok": True})

    return handler


EVENTS: dict[str, Callable[[web.Request], Any]] = {
    "occupant/joined": _event_handler(
        IdentityService.occupant_joined, "Prosody event_sync: an occupant joined"
    ),
    "occupant/left": _event_handler(
        IdentityService.occupant_left, "Prosody event_sync: an occupant left"
    ),
    "room/created": _event_handler(
        IdentityService.room_created, "Prosody event_sync: the room was created"
    ),
    "room/destroyed": _event_handler(
        IdentityService.room_destroyed, "Prosody event_sync: the room was destroyed"
    ),
}


@operation("Prosody mod_muc_auth_ban: may this occupant's token still be used? Always 200 "
           '{"access": bool} (any other status lets the occupant in)', tag="jitsi",
           auth="jitsi", responses={200: "The answer"})  # fmt: skip
async def jitsi_access(request: web.Request) -> web.Response:
    """``muc_prosody_jitsi_access_manager_url``: Prosody GETs it with the occupant's own token
    as ``Authorization: Bearer``; ``{"access": false}`` closes that connection and Prosody
    refuses the token for five minutes. A revoked participant is refused on (re)join."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    allowed = (
        scheme.lower() == "bearer"
        and bool(token)
        and (await request.app[IDENTITY].jitsi_access(token.strip()))
    )
    return json_response({"access": allowed}, headers=NO_STORE)


# --- identification (R11) --------------------------------------------------------------------


@routes.post("/api/v1/sessions/{session_id}/participants/{participant_id}/identify")
@operation("The chair confirms a participant seen and heard in the call (R11)",
           tag="identity", auth="chair",
           responses={201: "Identified", 409: "Not in the call or already identified"})  # fmt: skip
async def identify(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    pid = canonical_uuid(request.match_info["participant_id"])
    if pid is None:  # R11: one spelling names the participant identified, as in the journal
        raise NotFound("participant_id must be a canonical UUID", code="not_found")
    by = await require_participant(request, session_id, (Role.CHAIR,))
    await request.app[IDENTITY].identify(session_id, pid, by)
    return json_response({"participant_id": str(pid), "identified": True}, status=201)


@routes.post("/api/v1/sessions/{session_id}/participants/{participant_id}/identify-by-phone")
@operation("E6: the chair or the general department confirms an executive-committee member by "
           "calling back the personal phone on the list",
           tag="identity", auth="chair,secretary",
           responses={201: "Identified", 409: "Not in the call or already identified"})  # fmt: skip
async def identify_by_phone(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    pid = canonical_uuid(request.match_info["participant_id"])
    if pid is None:
        raise NotFound("participant_id must be a canonical UUID", code="not_found")
    by = await require_participant(request, session_id, (Role.CHAIR, Role.SECRETARY))
    await request.app[IDENTITY].identify(session_id, pid, by, IdentificationMethod.PHONE_CALLBACK)
    return json_response(
        {"participant_id": str(pid), "identified": True, "method": "phone_callback"}, status=201
    )


@routes.get("/api/v1/sessions/{session_id}/presence")
@operation("Participants with presence and identification, and unknown occupants",
           tag="identity", auth="chair,secretary")  # fmt: skip
async def presence(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    await require_participant(request, session_id, (Role.CHAIR, Role.SECRETARY))
    return json_response(await request.app[IDENTITY].roll(session_id))


# --- pages ---------------------------------------------------------------------------------


def _page(request: web.Request, template: str) -> web.Response:
    """A page that carries no personal data: it reads everything through the API with the
    sign-in cookie, so it may be served to anyone. It may frame and script the Jitsi domain."""
    session_id = match_uuid(request, "session_id")
    jitsi = f"https://{request.app[SETTINGS].jitsi.domain}"
    response = pages.render(
        request,
        template,
        {"session_id": str(session_id)},
        csp_extra={"script-src": jitsi, "frame-src": jitsi},
    )
    response.headers.update(NO_STORE)
    return response


@routes.get("/sessions/{session_id}/participant")
async def participant_page(request: web.Request) -> web.Response:
    """The deputy's (and guest's) page: the call, the session's state, the answer buttons."""
    return _page(request, "participant.html")


@routes.get("/sessions/{session_id}/identify")
async def identify_page(request: web.Request) -> web.Response:
    """The chair's identification list (R11)."""
    return _page(request, "identify.html")


# --- wiring --------------------------------------------------------------------------------


def configure(*, send_notices: bool = True) -> Callable[[web.Application], None]:
    """A ``setup`` that may leave the notice sender off (tests run it themselves). Identity
    reads its sections (``jitsi``, ``smtp``, ``signin``) from ``app[SETTINGS]``."""

    def setup_with(app: web.Application) -> None:
        jitsi = app[SETTINGS].jitsi
        if jitsi.secret_pending:
            raise SettingsError(
                "RADA_JITSI_APP_SECRET is not set and was not generated (rada serve does that)"
            )
        app[ISSUER] = TokenIssuer(jitsi)
        app[AUTHENTICATOR] = authenticate
        app.add_routes(routes)
        for path, handler in EVENTS.items():
            app.router.add_post(f"{jitsi.events_prefix}/events/{path}", handler)
        app.router.add_get(f"{jitsi.events_prefix}/access", jitsi_access)
        app.router.add_get(f"{jitsi.asap_key_path}/{{name}}", public_key)
        app.router.add_static("/static/identity", STATIC)

        async def identity_ctx(app: web.Application) -> AsyncIterator[None]:
            kicker = Kicker(jitsi.kick_url, app[ISSUER]) if jitsi.kick_url else None
            app[IDENTITY] = IdentityService(
                app[POOL], jitsi, app[ISSUER], clock=app[CLOCK], kicker=kicker
            )
            sender = NoticeSender(
                app[POOL], app[core_api.SERVICE], app[IDENTITY], mail.Mailer(app[SETTINGS].smtp),
                public_url=app[SETTINGS].http.public_url, clock=app[CLOCK],
            )  # fmt: skip
            app[SENDER] = sender
            worker: contextlib.AbstractAsyncContextManager[None] = contextlib.nullcontext()
            if send_notices and app[SETTINGS].smtp.configured:
                # an announcement on any instance queues notices: its append wakes the sender
                worker = woken_worker(
                    app[JOURNAL_LISTENER], sender.run, sender.wake, "notice_sender"
                )
            elif send_notices:
                log.warning("smtp_not_configured", hint="set RADA_SMTP_HOST to mail notices")
            async with worker:
                yield

        app.cleanup_ctx.append(identity_ctx)

    return setup_with


def setup(app: web.Application) -> None:
    """Wire identity from its sections of ``app[SETTINGS]``, with the notice sender."""
    configure()(app)
