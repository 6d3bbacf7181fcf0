"""Conducting a session over HTTP and WebSocket, and the consoles.

Parse, authorise, call :class:`ConductService`, serialise; nothing else. Every act answers
``201`` with the events it appended and the live state, only after the transaction committed.
Refusals are domain errors, turned into problem+json by the foundation's middleware.

Settings: :class:`orchestrator.settings.ConductSettings` (``RADA_RECORDING_REQUIRED``), read once
at start-up with the others.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any
from uuid import UUID

import orjson
from aiohttp import WSMsgType, web

from orchestrator.conduct.decide import Policy
from orchestrator.conduct.live import LiveHub
from orchestrator.conduct.service import ConductService, Outcome
from orchestrator.conduct.state import SessionState, snapshot
from orchestrator.convening.bodies import body_title
from orchestrator.kernel.errors import Invalid, NotFound
from orchestrator.kernel.keys import CLOCK, JOURNAL_LISTENER, POOL, SETTINGS
from orchestrator.kernel.web import pages
from orchestrator.kernel.web.auth import Principal, Role, principal, require_participant
from orchestrator.kernel.web.http import (
    json_response,
    match_int,
    match_uuid,
    operation,
    read_object,
)

CONDUCT: web.AppKey[ConductService] = web.AppKey("conduct_service", ConductService)
LIVE: web.AppKey[LiveHub] = web.AppKey("live_hub", LiveHub)

routes = web.RouteTableDef()
BASE = "/api/v1/sessions/{session_id}"
CHAIR = {Role.CHAIR}
CHAIR_OR_SECRETARY = {Role.CHAIR, Role.SECRETARY}
VOTERS = {Role.CHAIR, Role.SECRETARY, Role.DEPUTY}

JSON = "application/json"


def _body(props: Mapping[str, Any], required: list[str]) -> dict[str, Any]:
    return {JSON: {"schema": {"type": "object", "required": required, "properties": props}}}


def _answer(outcome: Outcome) -> web.Response:
    """201 after commit: what was appended and the state now (orjson: the answer carries the
    whole snapshot, and every answer of a roll call is one)."""
    body = {
        "seq": outcome.state.last_seq,
        "events": [e.to_public() for e in outcome.events],
        "state": outcome.view(),  # the live hub's snapshot of the same state, if it made one
    }
    return web.Response(body=orjson.dumps(body), status=201, content_type=JSON, charset="utf-8")


async def _sid(request: web.Request) -> UUID:
    return match_uuid(request, "session_id")


async def _who(request: web.Request, roles: set[Role]) -> tuple[UUID, Principal]:
    sid = await _sid(request)
    return sid, await require_participant(request, sid, roles)


# --- reading the live state (public: the session is broadcast openly, R3) -------------------


@routes.get(BASE + "/live")
@operation("The live state of a session (live-state contract)", tag="conduct")
async def live_state(request: web.Request) -> web.Response:
    sid = await _sid(request)
    state = await request.app[CONDUCT].state(sid)
    await _announced_or_admin(request, state)
    return json_response({"seq": state.last_seq, "state": snapshot(state)})


async def _announced_or_admin(request: web.Request, state: SessionState) -> None:
    """R3: the session is public once announced; before that, the administrator's alone."""
    if not state.announced and (await principal(request)).kind != "admin":
        raise NotFound(f"no session {state.session_id}", code="session_not_found")


@routes.get(BASE + "/ws")
@operation(
    "WebSocket: a snapshot on connect and after every journal append (a client that does not "
    "read gets only the newest and is cut off if it stays behind; public sockets are limited "
    "per address and in total)",
    tag="conduct",
    responses={429: "Too many public live connections from this address or in all"},
)
async def live_socket(request: web.Request) -> web.WebSocketResponse:
    sid = await _sid(request)
    hub = request.app[LIVE]
    # 404 before the upgrade if there is no such session, or it is not public yet
    await _announced_or_admin(request, await request.app[CONDUCT].state(sid))
    public = (await principal(request)).kind == "public"
    address = (
        request.app[SETTINGS].signin.client_address(
            request.remote, request.headers.get("X-Forwarded-For")
        )
        if public
        else None
    )
    hub.admit(address)  # 429 before the upgrade when its address or the process is full
    try:
        # compress=False: every console gets the same frame; deflating it once per client
        # would cost more CPU than the bytes it saves
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=4096, compress=False)
        await ws.prepare(request)
        try:
            await hub.attach(sid, ws, address, request.transport)
            async for msg in ws:  # clients listen, and may ask for a fresh snapshot
                if msg.type == WSMsgType.ERROR:
                    break
                if msg.type == WSMsgType.TEXT:
                    hub.received(sid, ws, msg.data)
        finally:
            hub.detach(sid, ws)
    finally:
        hub.release(address)
    return ws


# --- the chair's acts -------------------------------------------------------------------------


@routes.post(BASE + "/open")
@operation("Open the announced session", tag="conduct", auth="chair", responses={201: "Opened"})
async def open_session(request: web.Request) -> web.Response:
    sid, who = await _who(request, CHAIR)
    return _answer(await request.app[CONDUCT].open_session(sid, who))


@routes.post(BASE + "/competent")
@operation(
    "Declare the session competent (R7)", tag="conduct", auth="chair", responses={201: "Competent"}
)
async def declare_competent(request: web.Request) -> web.Response:
    sid, who = await _who(request, CHAIR)
    return _answer(await request.app[CONDUCT].declare_competent(sid, who))


@routes.post(BASE + "/items/{item}/open")
@operation("Open the next agenda item", tag="conduct", auth="chair", responses={201: "Opened"})
async def open_item(request: web.Request) -> web.Response:
    sid, who = await _who(request, CHAIR)
    return _answer(await request.app[CONDUCT].open_item(sid, who, match_int(request, "item")))


@routes.post(BASE + "/items/{item}/close")
@operation(
    "Close the open item after its vote", tag="conduct", auth="chair", responses={201: "Closed"}
)
async def close_item(request: web.Request) -> web.Response:
    sid, who = await _who(request, CHAIR)
    return _answer(await request.app[CONDUCT].close_item(sid, who, match_int(request, "item")))


@routes.post(BASE + "/discussion")
@operation(
    "Limit discussion time (R14)",
    tag="conduct",
    auth="chair",
    body=_body(
        {"scope": {"enum": ["item", "speaker"]}, "seconds": {"type": "integer"}},
        ["scope", "seconds"],
    ),
    responses={201: "Limited"},
)
async def limit_discussion(request: web.Request) -> web.Response:
    sid, who = await _who(request, CHAIR)
    body = await read_object(request)
    return _answer(
        await request.app[CONDUCT].limit_discussion(
            sid, who, body.get("scope"), body.get("seconds")
        )
    )


PROPOSAL = _body({"text": {"type": "string"}, "by_participant_id": {"type": "string"}}, ["text"])


@routes.post(BASE + "/remarks")
@operation(
    "Record a remark on the open item (R19)",
    tag="conduct",
    auth="chair,secretary",
    body=PROPOSAL,
    responses={201: "Recorded"},
)
async def record_remark(request: web.Request) -> web.Response:
    sid, who = await _who(request, CHAIR_OR_SECRETARY)
    body = await read_object(request)
    return _answer(
        await request.app[CONDUCT].record_remark(
            sid, who, body.get("text"), body.get("by_participant_id")
        )
    )


@routes.post(BASE + "/amendments")
@operation(
    "Record a proposed amendment to the open item (R16)",
    tag="conduct",
    auth="chair,secretary",
    body=PROPOSAL,
    responses={201: "Recorded"},
)
async def propose_amendment(request: web.Request) -> web.Response:
    sid, who = await _who(request, CHAIR_OR_SECRETARY)
    body = await read_object(request)
    return _answer(
        await request.app[CONDUCT].propose_amendment(
            sid, who, body.get("text"), body.get("by_participant_id")
        )
    )


@routes.post(BASE + "/votes")
@operation(
    "Open the roll call on the open item or one of its amendments (R13, R15)",
    tag="conduct",
    auth="chair",
    body=_body({"amendment": {"type": ["integer", "null"]}}, []),
    responses={201: "Opened; the first voter is called"},
)
async def open_vote(request: web.Request) -> web.Response:
    sid, who = await _who(request, CHAIR)
    body = await read_object(request)
    return _answer(await request.app[CONDUCT].open_vote(sid, who, body.get("amendment")))


def _vote_id(request: web.Request) -> str:
    raw = request.match_info["vote_id"]
    if len(raw) > 20:
        raise Invalid("vote_id is too long", field="vote_id")
    return raw


@routes.post(BASE + "/votes/{vote_id}/ballots")
@operation(
    "Answer when called (the deputy) or enter the spoken answer (the secretary, R17)",
    tag="conduct",
    auth="chair,secretary,deputy",
    body=_body(
        {"participant_id": {"type": "string"}, "answer": {"enum": ["for", "against", "abstain"]}},
        ["participant_id", "answer"],
    ),
    responses={201: "Recorded and committed"},
)
async def ballot(request: web.Request) -> web.Response:
    sid, who = await _who(request, VOTERS)
    body = await read_object(request)
    return _answer(
        await request.app[CONDUCT].ballot(
            sid, who, _vote_id(request), body.get("participant_id"), body.get("answer")
        )
    )


@routes.post(BASE + "/votes/{vote_id}/skip")
@operation(
    "Skip the called voter who does not answer (не голосував)",
    tag="conduct",
    auth="chair",
    responses={201: "Skipped; the next is called"},
)
async def skip(request: web.Request) -> web.Response:
    sid, who = await _who(request, CHAIR)
    return _answer(await request.app[CONDUCT].skip(sid, who, _vote_id(request)))


@routes.post(BASE + "/votes/{vote_id}/call-next")
@operation(
    "Call the first voter not yet answered", tag="conduct", auth="chair", responses={201: "Called"}
)
async def call_next(request: web.Request) -> web.Response:
    sid, who = await _who(request, CHAIR)
    return _answer(await request.app[CONDUCT].call_next(sid, who, _vote_id(request)))


@routes.post(BASE + "/votes/{vote_id}/close")
@operation(
    "Close the roll call and count (R13); an executive committee's simultaneous vote is closed "
    "by the general department or the chair (E7)",
    tag="conduct",
    auth="chair,secretary",
    responses={201: "Closed with its result"},
)
async def close_vote(request: web.Request) -> web.Response:
    # who may close is the body's rule (decide_close_vote): the chair, or E7's department
    sid, who = await _who(request, CHAIR_OR_SECRETARY)
    return _answer(await request.app[CONDUCT].close_vote(sid, who, _vote_id(request)))


@routes.post(BASE + "/breaks")
@operation(
    "Declare a break (R10)",
    tag="conduct",
    auth="chair",
    body=_body(
        {"cause": {"enum": ["chair", "recording_lost", "storage"]}, "reason": {"type": "string"}},
        ["cause"],
    ),
    responses={201: "Declared"},
)
async def declare_break(request: web.Request) -> web.Response:
    sid, who = await _who(request, CHAIR)
    body = await read_object(request)
    return _answer(
        await request.app[CONDUCT].declare_break(sid, who, body.get("cause"), body.get("reason"))
    )


@routes.post(BASE + "/breaks/end")
@operation(
    "End the break (needs the recording and quorum)",
    tag="conduct",
    auth="chair",
    responses={201: "Resumed"},
)
async def end_break(request: web.Request) -> web.Response:
    sid, who = await _who(request, CHAIR)
    return _answer(await request.app[CONDUCT].end_break(sid, who))


@routes.post(BASE + "/close")
@operation("Close the session", tag="conduct", auth="chair", responses={201: "Closed"})
async def close_session(request: web.Request) -> web.Response:
    sid, who = await _who(request, CHAIR)
    return _answer(await request.app[CONDUCT].close_session(sid, who))


# --- consoles (Ukrainian pages) ------------------------------------------------------------


async def _page(request: web.Request, template: str, *, call: bool = False) -> web.Response:
    """A console or the watch page. ``call``: the page embeds the session's Jitsi call, so its
    Content-Security-Policy lets it script and frame the council's Jitsi domain (no other)."""
    sid = await _sid(request)
    state = await request.app[CONDUCT].state(sid)
    context = {
        "session_id": str(sid),
        "title": state.title,
        "number": state.number,
        "council_name": str(state.council.get("name", "")),
        "phase": state.phase.value,
        # the body's own words (E1–E8): «Виконавчий комітет … міської ради», «засідання»
        "body": state.body,
        "body_name": body_title(state.rules, str(state.council.get("name", ""))),
        "words": state.rules.words,
    }
    extra = None
    if call:
        jitsi = f"https://{request.app[SETTINGS].jitsi.domain}"
        extra = {"script-src": jitsi, "frame-src": jitsi}
    response = pages.render(request, template, context, csp_extra=extra)
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.get("/sessions/{session_id}/chair", name="chair_console")
@operation("Chair console (Ukrainian page)", tag="pages", auth="chair")
async def chair_console(request: web.Request) -> web.Response:
    await _who(request, CHAIR)
    return await _page(request, "conduct_chair.html", call=True)


@routes.get("/sessions/{session_id}/secretary", name="secretary_console")
@operation("Secretary console (Ukrainian page)", tag="pages", auth="secretary")
async def secretary_console(request: web.Request) -> web.Response:
    await _who(request, {Role.SECRETARY})
    return await _page(request, "conduct_secretary.html", call=True)


@routes.get("/sessions/{session_id}/watch", name="public_view")
@operation("Public live view (Ukrainian page)", tag="pages")
async def public_view(request: web.Request) -> web.Response:
    return await _page(request, "conduct_public.html")


# --- wiring -----------------------------------------------------------------------------------


def setup(app: web.Application) -> None:
    """Routes, the conduct service and the live hub (after the foundation's database context)."""

    conduct_settings = app[SETTINGS].conduct
    policy = Policy(
        recording_required=conduct_settings.recording_required,
        open_early=timedelta(minutes=conduct_settings.open_early_minutes),
        open_late=timedelta(minutes=conduct_settings.open_late_minutes),
    )

    async def conduct_ctx(app: web.Application) -> AsyncIterator[None]:
        service = ConductService(app[POOL], clock=app[CLOCK], policy=policy)
        hub = LiveHub(service, app[SETTINGS].live)
        app[CONDUCT] = service
        app[LIVE] = hub
        listener = app[JOURNAL_LISTENER]
        subscription = listener.subscribe(hub.appended, hub.reconnected, name="live_hub")
        try:
            yield
        finally:
            listener.unsubscribe(subscription)
            await hub.close()

    app.cleanup_ctx.append(conduct_ctx)
    app.add_routes(routes)
