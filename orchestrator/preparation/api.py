"""The preparation over HTTP: the plan template and plan (P1, S1), attendance (P1, R7), the
presiding script (P1); and their pages (the plan as HTML and PDF, P2; the forecast; the script).

Who: the administrator (the council's office, bearer key) edits templates and may do
everything; the chair and the secretary, signed in through their personal link, tick measures
and read the forecast; a deputy answers for themself. The plan and the script name no person's
contacts and are public once the session is announced (R3), as the session itself is.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from aiohttp import web

from identity import mail
from orchestrator.kernel.errors import Conflict, Invalid, NotFound
from orchestrator.kernel.journal import chain as journal
from orchestrator.kernel.keys import CLOCK, POOL, SETTINGS
from orchestrator.kernel.kyivtime import KYIV
from orchestrator.kernel.ukrainian import plural
from orchestrator.kernel.web import pages
from orchestrator.kernel.web.auth import (
    Principal,
    Role,
    principal,
    require_admin,
    require_participant,
)
from orchestrator.kernel.web.http import json_response, match_uuid, operation, read_object
from orchestrator.preparation import checks, document, plan
from orchestrator.preparation.service import (
    ANSWERABLE,
    Plan,
    PreparationService,
    parse_answer,
    timestamp,
)
from orchestrator.protocol.service import PLAN_PDF

PREPARATION: web.AppKey[PreparationService] = web.AppKey("preparation", PreparationService)
OFFICE = (Role.CHAIR, Role.SECRETARY)
VOTERS = (Role.DEPUTY, Role.SECRETARY, Role.CHAIR)  # a deputy who presides is still a deputy
routes = web.RouteTableDef()


def service(request: web.Request) -> PreparationService:
    return request.app[PREPARATION]


async def require_office(request: web.Request, session_id: UUID) -> Principal:
    """The administrator, or the session's chair or secretary."""
    if (await principal(request)).kind == "admin":
        return await require_admin(request)
    return await require_participant(request, session_id, OFFICE)


async def require_visible(request: web.Request, session_id: UUID) -> None:
    """Before the announcement (R3) a session is the office's alone: anyone else gets 404."""
    session = await service(request).load(session_id)
    if session.row.announced_at is not None:
        return
    who = await principal(request)
    if who.kind == "admin" or (who.session_id == session_id and who.role in OFFICE):
        return
    raise NotFound(f"no session {session_id}", code="session_not_found")


# --- the template -----------------------------------------------------------------------------

MEASURE_SCHEMA = {
    "type": "object",
    "required": ["key", "title", "responsible", "offset_days"],
    "properties": {
        "key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"},
        "title": {"type": "string"},
        "responsible": {"type": "string"},
        "offset_days": {"type": "integer", "minimum": -60, "maximum": 60},
        "at": {"type": ["string", "null"], "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
        "working_days": {"type": "boolean"},
        "auto": {"type": ["string", "null"], "enum": [*(a.value for a in plan.Auto), None]},
    },
}


@routes.get("/api/v1/councils/{council_id}/plan-template")
@operation("The council's plan template (P1): its own, or rada's built-in", tag="preparation",
           auth="admin")  # fmt: skip
async def get_template(request: web.Request) -> web.Response:
    await require_admin(request)
    own, template = await service(request).template(match_uuid(request, "council_id"))
    return json_response({"own": own, "measures": [m.to_json() for m in template]})


@routes.put("/api/v1/councils/{council_id}/plan-template")
@operation(
    "Edit the council's plan template (P1, S1); sessions convened later take it",
    tag="preparation",
    auth="admin",
    body={
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["measures"],
                "properties": {"measures": {"type": "array", "items": MEASURE_SCHEMA}},
            }
        }
    },
)
async def put_template(request: web.Request) -> web.Response:
    await require_admin(request)
    council_id = match_uuid(request, "council_id")
    measures = plan.parse_template((await read_object(request)).get("measures"))
    saved = await service(request).put_template(council_id, measures)
    return json_response({"own": True, "measures": [m.to_json() for m in saved]})


# --- the plan ---------------------------------------------------------------------------------


def plan_json(p: Plan) -> dict[str, Any]:
    return {
        "title": p.title,
        "measures": [
            {
                "no": line.no,
                **line.spec.to_json(),
                "deadline": journal.format_time(line.deadline),
                "deadline_uk": line.deadline_uk,
                "state": line.state.value,
                "state_uk": plan.STATE_UK[line.state],
                "done_at": timestamp(line.done.at) if line.done else None,
                "done_by": line.done.by if line.done else None,
            }
            for line in p.lines
        ],
        "overdue": sum(1 for line in p.lines if line.state is plan.State.OVERDUE),
    }


@routes.get("/api/v1/sessions/{session_id}/plan")
@operation("The session plan (P1): deadlines in Kyiv time, done / overdue", tag="preparation")
async def get_plan(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    await require_visible(request, session_id)
    return json_response(plan_json(await service(request).plan(session_id)))


@routes.post("/api/v1/sessions/{session_id}/plan/measures/{measure}/done")
@operation(
    "The office marks a measure of the plan done (P1); journaled",
    tag="preparation",
    auth="chair,secretary",
    responses={201: "plan_measure_done event", 404: "no such measure", 409: "already done"},
)
async def tick(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    who = await require_office(request, session_id)
    event = await service(request).tick(session_id, request.match_info["measure"], who)
    return json_response(event.to_public(), status=201)


# --- attendance -------------------------------------------------------------------------------


@routes.get("/api/v1/sessions/{session_id}/attendance")
@operation(
    "The attendance forecast against quorum (P1, R7), each deputy's answer and reason",
    tag="preparation",
    auth="chair,secretary",
)
async def get_attendance(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    await require_office(request, session_id)
    forecast, rows = await service(request).forecast(session_id)
    return json_response(
        {
            "total_composition": forecast.total_composition,
            "required": forecast.required,
            "attend": forecast.attend,
            "absent": forecast.absent,
            "unanswered": forecast.unanswered,
            "below_quorum": forecast.below_quorum,
            "warning": forecast.warn,
            "warning_uk": forecast.warning_uk,
            "deputies": rows,
        }
    )


@routes.get("/api/v1/sessions/{session_id}/attendance/mine")
@operation("My answer: will I attend (P1)", tag="preparation", auth="deputy,secretary,chair")
async def get_mine(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    who = await require_participant(request, session_id, VOTERS)
    assert who.participant_id is not None
    reply = await service(request).my_answer(session_id, who.participant_id)
    session = await service(request).load(session_id)
    answerable = session.row.status in ANSWERABLE  # until the sitting begins
    if reply is None:
        return json_response({"answer": None, "reason": "", "at": None, "open": answerable})
    return json_response(
        {
            "answer": reply.answer.value,
            "reason": reply.reason,
            "at": timestamp(reply.at),
            "open": answerable,
        }
    )


@routes.put("/api/v1/sessions/{session_id}/attendance/mine")
@operation(
    "A deputy answers «буду» (attend) or «не зможу» (absent, with a reason) (P1)",
    tag="preparation",
    auth="deputy,secretary,chair",
    body={
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["answer"],
                "properties": {
                    "answer": {"type": "string", "enum": ["attend", "absent"]},
                    "reason": {"type": "string", "maxLength": 500},
                },
            }
        }
    },
    responses={200: "attendance_answered event", 409: "the sitting has begun"},
)
async def put_mine(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    who = await require_participant(request, session_id, VOTERS)
    answer, reason = parse_answer(dict(await read_object(request)))
    event = await service(request).answer(session_id, who, answer, reason)
    return json_response(event.to_public())


# --- the technical check ---------------------------------------------------------------------

ALL_ROLES = (Role.CHAIR, Role.SECRETARY, Role.DEPUTY, Role.GUEST)


@routes.post("/api/v1/sessions/{session_id}/connection-check")
@operation(
    "A participant's «Перевірка зв’язку»: camera and microphone as the browser found them, "
    "and whether it joined the participant's test Jitsi room (P1)",
    tag="preparation",
    auth="chair,secretary,deputy,guest",
    body={
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["camera", "microphone"],
                "properties": {
                    "camera": {"type": "boolean"},
                    "microphone": {"type": "boolean"},
                    "joined": {"type": "boolean"},
                },
            }
        }
    },
    responses={201: "connection_checked event"},
)
async def post_check(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    who = await require_participant(request, session_id, ALL_ROLES)
    body = await read_object(request)
    found = {}
    for name in ("camera", "microphone"):
        value = body.get(name)
        if not isinstance(value, bool):
            raise Invalid(f"{name} must be true or false", field=name)
        found[name] = value
    joined = body.get("joined")
    if joined is not None and not isinstance(joined, bool):
        raise Invalid("joined must be true or false", field="joined")
    event = await service(request).record_check(
        session_id, who, found["camera"], found["microphone"], joined
    )
    return json_response(event.to_public(), status=201)


@routes.get("/api/v1/sessions/{session_id}/connection-checks")
@operation("Who has passed the technical check and who has not (P1)", tag="preparation",
           auth="chair,secretary")  # fmt: skip
async def get_checks(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    await require_office(request, session_id)
    rows = await service(request).checks(session_id)
    return json_response(
        {
            "passed": sum(1 for r in rows if r.passed),
            "not_passed": [r.participant_id for r in rows if not r.passed],
            "participants": [
                {
                    "participant_id": r.participant_id,
                    "name": r.name,
                    "role": r.role,
                    "checked_at": timestamp(r.checked_at),
                    "camera": r.camera,
                    "microphone": r.microphone,
                    "joined": r.joined,
                    "passed": r.passed,
                }
                for r in rows
            ],
        }
    )


@routes.post("/api/v1/sessions/{session_id}/connection-checks/remind")
@operation(
    "Mail a reminder to everyone who has not passed «Перевірка зв’язку» (P1), once each "
    "(outcome already: reminded before)",
    tag="preparation",
    auth="chair,secretary",
    responses={200: "who was reminded, and how each mail went"},
)
async def remind(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    await require_office(request, session_id)
    settings = request.app[SETTINGS]
    if not settings.smtp.configured:
        raise Conflict("no SMTP relay is configured (RADA_SMTP_HOST)", code="smtp_not_configured")
    sent = await service(request).remind(
        session_id, mail.Mailer(settings.smtp), settings.http.public_url
    )
    return json_response(
        {"reminded": [{"participant_id": pid, "outcome": outcome} for pid, outcome in sent]}
    )


# --- guest packets -----------------------------------------------------------------------------


@routes.get("/api/v1/sessions/{session_id}/packets")
@operation(
    "Invited guests' packets of session documents: who received what with their notice (S2)",
    tag="preparation",
    auth="chair,secretary",
)
async def get_packets(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    await require_office(request, session_id)
    return json_response({"guests": await service(request).packets(session_id)})


# --- the script -------------------------------------------------------------------------------


@routes.get("/api/v1/sessions/{session_id}/script")
@operation("The presiding script (P1): the chair's words, step by step", tag="preparation")
async def get_script(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    await require_visible(request, session_id)
    title, steps = await service(request).script(session_id)
    return json_response(
        {
            "title": title,
            "steps": [
                {"no": s.no, "heading": s.heading, "words": s.words, "note": s.note} for s in steps
            ],
        }
    )


# --- pages ------------------------------------------------------------------------------------


async def plan_page(request: web.Request) -> web.Response:
    """The plan as the office reads it: overdue measures highlighted (P1)."""
    session_id = match_uuid(request, "session_id")
    await require_visible(request, session_id)
    p = await service(request).plan(session_id)
    now = request.app[CLOCK]().astimezone(KYIV)
    return pages.render(
        request,
        "preparation_plan.html",
        {"plan": p, "session_id": str(session_id), "now": now, "state_uk": plan.STATE_UK},
    )


async def plan_pdf(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    await require_visible(request, session_id)
    p = await service(request).plan(session_id)
    # ~0.3 s of fpdf layout (the first one ~1.4 s, loading the font): off the event loop
    data = await asyncio.to_thread(document.plan_pdf, p.title, p.lines, request.app[CLOCK]())
    return web.Response(
        body=data,
        content_type="application/pdf",
        headers={"Content-Disposition": 'inline; filename="plan.pdf"'},
    )


async def script_page(request: web.Request) -> web.Response:
    """The presiding script as a document to print (P1)."""
    session_id = match_uuid(request, "session_id")
    await require_visible(request, session_id)
    title, steps = await service(request).script(session_id)
    return pages.render(request, "preparation_script.html", {"title": title, "steps": steps})


async def attendance_page(request: web.Request) -> web.Response:
    """The forecast for the office and the chair, with the warning below quorum (P1, R7)."""
    session_id = match_uuid(request, "session_id")
    await require_office(request, session_id)
    forecast, rows = await service(request).forecast(session_id)
    response = pages.render(
        request, "preparation_attendance.html", {"forecast": forecast, "rows": rows}
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def check_page(request: web.Request) -> web.Response:
    """«Перевірка зв’язку»: camera, microphone and speaker in the browser, then a short join
    to the participant's test Jitsi room (P1). Like the participant's page it carries no
    personal data: it reads and writes through the API; it may script and frame Jitsi."""
    session_id = match_uuid(request, "session_id")
    jitsi = f"https://{request.app[SETTINGS].jitsi.domain}"
    response = pages.render(
        request,
        "preparation_check.html",
        {"session_id": str(session_id)},
        csp_extra={"script-src": jitsi, "frame-src": jitsi},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def checks_page(request: web.Request) -> web.Response:
    """The office's summary of «Перевірка зв’язку» (P1): who passed, each device and the test
    join, when (Kyiv time); who has not checked at all."""
    session_id = match_uuid(request, "session_id")
    await require_office(request, session_id)
    session = await service(request).load(session_id)
    rows = checks.summary(session.events)
    response = pages.render(
        request,
        "preparation_checks.html",
        {
            "rows": rows,
            "ingest": checks.ingest_tests(session.events)[-1:],
            "plural": plural,
            "passed": sum(1 for r in rows if r.passed),
            "session_id": str(session_id),
            "kyiv": KYIV,
        },
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def setup(app: web.Application) -> None:
    async def service_ctx(app: web.Application) -> AsyncIterator[None]:
        app[PREPARATION] = PreparationService(app[POOL], clock=app[CLOCK])
        yield

    async def plan_at_publication(session_id: UUID) -> bytes | None:
        """The plan's PDF the publication copies into the archive (P2)."""
        svc = app.get(PREPARATION)
        if svc is None:
            return None
        p = await svc.plan(session_id)
        return await asyncio.to_thread(document.plan_pdf, p.title, p.lines, app[CLOCK]())

    app[PLAN_PDF] = plan_at_publication

    app.cleanup_ctx.append(service_ctx)
    app.add_routes(routes)
    app.router.add_get("/sessions/{session_id}/plan", plan_page, name="session_plan")
    app.router.add_get("/sessions/{session_id}/plan.pdf", plan_pdf)
    app.router.add_get("/sessions/{session_id}/script", script_page, name="session_script")
    app.router.add_get("/sessions/{session_id}/attendance", attendance_page)
    app.router.add_get("/sessions/{session_id}/check", check_page, name="connection_check")
    app.router.add_get("/sessions/{session_id}/checks", checks_page, name="connection_checks")
