"""The register of decisions over HTTP (S3, S4) and its public pages (R20: the council's site
and open data).

Who: the administrator (the council's office) or the session's secretary registers a decision,
makes its distribution list and sends it again; the presiding person signs it (with an optional
``.p7s``); everyone reads the signed decisions, their texts and the open-data register.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from aiohttp import web

from orchestrator.convening.service import check_upload, draft_content_type
from orchestrator.decisions import register
from orchestrator.decisions import service as decisions
from orchestrator.decisions.service import DecisionService, Distributor, View
from orchestrator.decisions.store import Decision
from orchestrator.kernel.errors import Invalid, NotFound
from orchestrator.kernel.journal import chain as journal
from orchestrator.kernel.journal.listener import woken_worker
from orchestrator.kernel.keys import CLOCK, JOURNAL_LISTENER, POOL, SETTINGS
from orchestrator.kernel.kyivtime import KYIV
from orchestrator.kernel.web import files, pages
from orchestrator.kernel.web.auth import (
    Principal,
    Role,
    principal,
    require_admin,
    require_participant,
)
from orchestrator.kernel.web.http import (
    json_response,
    match_int,
    match_uuid,
    operation,
    read_object,
)
from orchestrator.protocol.service import parse_signature

DECISIONS: web.AppKey[DecisionService] = web.AppKey("decisions", DecisionService)
DISTRIBUTOR: web.AppKey[Distributor] = web.AppKey("distributor", Distributor)
routes = web.RouteTableDef()
MAX_TEXT_BYTES = 20 * 1024 * 1024


def service(request: web.Request) -> DecisionService:
    return request.app[DECISIONS]


async def require_office(request: web.Request, session_id: UUID) -> Principal:
    """The administrator, or the session's secretary (S3: the secretariat keeps the register)."""
    if (await principal(request)).kind == "admin":
        return await require_admin(request)
    return await require_participant(request, session_id, (Role.SECRETARY, Role.CHAIR))


async def office_decision(request: web.Request) -> tuple[UUID, View, Principal]:
    """The decision the path names, once the caller is its session's office (S3)."""
    decision_id = match_uuid(request, "decision_id")
    view = await service(request).view(decision_id)
    return decision_id, view, await require_office(request, view.decision.session_id)


def list_body(key: str, item: dict[str, dict[str, str]]) -> dict[str, Any]:
    """An OpenAPI JSON body ``{key: [{...}, ...]}``, every field of an item required."""
    schema = {
        "type": "object",
        "required": [key],
        "properties": {
            key: {
                "type": "array",
                "items": {"type": "object", "required": list(item), "properties": item},
            }
        },
    }
    return {"application/json": {"schema": schema}}


def fmt(at: Any) -> str | None:
    return None if at is None else journal.format_time(at)


def public_json(d: Decision) -> dict[str, Any]:
    """What the register publishes (S3, R20): no executor, no address."""
    return {
        "id": str(d.id),
        "number": d.number,
        "title": d.title,
        "session_id": str(d.session_id),
        "item": d.item + 1,
        "convocation": d.convocation,
        "registered_at": fmt(d.registered_at),
        "signed_at": fmt(d.signed_at),
        "sha256": d.sha256,
        "signature_sha256": d.signature_sha256,
        "filename": d.filename,
        "size": d.size,
        "url": f"/api/v1/decisions/{d.id}/text",
    }


def office_json(view: View, now: Any) -> dict[str, Any]:
    d = view.decision
    deliveries = [
        {
            "position": x.position,
            "name": x.name,
            "email": x.email,
            "status": x.status,
            "attempts": x.attempts,
            "last_error": x.last_error,
            "next_attempt_at": fmt(x.next_attempt_at),
            "sent_at": fmt(x.sent_at),
            "late": decisions.late(d, x, now),
        }
        for x in view.deliveries
    ]
    deadline = None if d.signed_at is None else register.distribution_deadline(d.signed_at)
    return {
        **public_json(d),
        "distribution_deadline": fmt(deadline),
        "late": any(x["late"] for x in deliveries),
        "deliveries": deliveries,
    }


# --- numbering --------------------------------------------------------------------------------


@routes.get("/api/v1/councils/{council_id}/decision-numbering")
@operation("The council's numbering of decisions in its convocation (S3)", tag="decisions",
           auth="admin")  # fmt: skip
async def get_numbering(request: web.Request) -> web.Response:
    await require_admin(request)
    convocation, pattern = await service(request).pattern(match_uuid(request, "council_id"))
    return json_response({"convocation": convocation, "pattern": pattern})


@routes.put("/api/v1/councils/{council_id}/decision-numbering")
@operation(
    "Set the numbering of decisions for the council's convocation, e.g. {seq}-{session_roman}/"
    "{convocation_roman} (S3)",
    tag="decisions",
    auth="admin",
    body={
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["pattern"],
                "properties": {"pattern": {"type": "string", "maxLength": 100}},
            }
        }
    },
)
async def put_numbering(request: web.Request) -> web.Response:
    await require_admin(request)
    raw = (await read_object(request)).get("pattern")
    if not isinstance(raw, str):
        raise Invalid("pattern must be a string", field="pattern")
    convocation, pattern = await service(request).put_pattern(
        match_uuid(request, "council_id"), raw
    )
    return json_response({"convocation": convocation, "pattern": pattern})


# --- the register -----------------------------------------------------------------------------


@routes.post("/api/v1/sessions/{session_id}/decisions/{item}")
@operation(
    "Register an adopted question's decision with its final text (raw body, ?filename=; S3)",
    tag="decisions",
    auth="secretary",
    body={"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    responses={201: "registered with its number and sha256", 409: "not closed or not adopted"},
)
async def register_decision(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    by = await require_office(request, session_id)
    item = match_int(request, "item")
    if request.content_length is not None and request.content_length > MAX_TEXT_BYTES:
        raise Invalid("the text is too large", field="file", code="payload_too_large")
    content = await request.read()
    filename = check_upload(request.query.get("filename", ""), len(content), MAX_TEXT_BYTES)
    decision = await service(request).register(
        session_id, item - 1, filename, draft_content_type(filename, content), content, by
    )
    return json_response(public_json(decision), status=201)


@routes.get("/api/v1/sessions/{session_id}/decisions")
@operation("The session's decisions with their distribution log (S3, S4)", tag="decisions",
           auth="secretary,chair")  # fmt: skip
async def session_decisions(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    await require_office(request, session_id)
    now = request.app[CLOCK]()
    views = await service(request).of_session(session_id)
    return json_response({"decisions": [office_json(v, now) for v in views]})


@routes.put("/api/v1/decisions/{decision_id}/distribution")
@operation(
    "The author's distribution list: the executors (S4), before signing",
    tag="decisions",
    auth="secretary",
    body=list_body(
        "executors", {"name": {"type": "string"}, "email": {"type": "string", "format": "email"}}
    ),
    responses={200: "the list", 409: "already signed"},
)
async def put_distribution(request: web.Request) -> web.Response:
    decision_id, _, _ = await office_decision(request)
    executors = decisions.parse_executors((await read_object(request)).get("executors"))
    await service(request).set_distribution(decision_id, executors)
    return json_response(
        office_json(await service(request).view(decision_id), request.app[CLOCK]())
    )


@routes.post("/api/v1/decisions/{decision_id}/signature")
@operation(
    "The presiding person signs the decision naming its sha256, optional .p7s (S3)",
    tag="decisions",
    auth="chair",
    body={
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["sha256"],
                "properties": {
                    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "p7s": {"type": "string", "description": "detached .p7s, base64"},
                },
            }
        }
    },
    responses={201: "decision_signed event", 409: "signed already or another text"},
)
async def sign(request: web.Request) -> web.Response:
    decision_id = match_uuid(request, "decision_id")
    view = await service(request).view(decision_id)
    who = await require_participant(request, view.decision.session_id, (Role.CHAIR,))
    body = dict(await read_object(request))
    try:
        digest, p7s = parse_signature(
            {"protocol_sha256": body.get("sha256"), "p7s": body.get("p7s")}
        )
    except Invalid as exc:
        field = "sha256" if exc.field == "protocol_sha256" else exc.field
        raise Invalid(exc.detail.replace("protocol_sha256", "sha256"), field=field) from None
    event = await service(request).sign(decision_id, who, digest, p7s)
    return json_response(event.to_public(), status=201)


@routes.post("/api/v1/decisions/{decision_id}/distribute")
@operation(
    "Send the signed decision (again) to its executors, or to one with a corrected address (S4)",
    tag="decisions",
    auth="secretary",
    body={
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "position": {"type": "integer", "minimum": 1},
                    "email": {"type": "string", "format": "email"},
                },
            }
        }
    },
    responses={200: "how many queued", 409: "not signed yet"},
)
async def distribute(request: web.Request) -> web.Response:
    decision_id, _, _ = await office_decision(request)
    body = await read_object(request) if request.can_read_body else {}
    position = body.get("position")
    if position is not None and (type(position) is not int or position < 1):
        raise Invalid("position must be a positive integer", field="position")
    email = body.get("email")
    if email is not None:
        if position is None:
            raise Invalid("name the executor's position to correct an address", field="position")
        email = decisions.check_email(email, "email")
    queued = await service(request).distribute(decision_id, position, email)
    return json_response({"queued": queued})


@routes.get("/api/v1/decisions")
@operation("Open data: the register of signed decisions (S3, R20)", tag="decisions")
async def register_json(request: web.Request) -> web.Response:
    return json_response(
        {"decisions": [public_json(d) for d in await service(request).published()]}
    )


@routes.get("/api/v1/decisions/{decision_id}/text")
@operation("The signed decision's text (S3, R20)", tag="decisions")
async def decision_text(request: web.Request) -> web.Response:
    decision, content = await service(request).text(match_uuid(request, "decision_id"))
    if decision.signed_at is None:
        who = await principal(request)
        office = who.kind == "admin" or (
            who.session_id == decision.session_id and who.role in (Role.SECRETARY, Role.CHAIR)
        )
        if not office:
            raise NotFound(f"no decision {decision.id}", code="decision_not_found")
    return web.Response(
        body=content,
        headers={
            **files.file_headers(decision.filename, decision.content_type, download=True),
            "X-Content-SHA256": decision.sha256,
        },
    )


# --- control of execution (S5) ----------------------------------------------------------------


def control_json(decision: Decision, rows: list[Any], today: Any) -> dict[str, Any]:
    executors = []
    for c in rows:
        state = register.control_state(c.due_on, c.reports > 0, c.off_control_at is not None, today)
        executors.append(
            {
                "position": c.position,
                "executor": c.executor,
                "due_on": c.due_on.isoformat(),
                "reports": c.reports,
                "last_report_at": fmt(c.last_report_at),
                "state": state,
                "state_uk": register.CONTROL_STATE_UK[state],
            }
        )
    return {
        "id": str(decision.id),
        "number": decision.number,
        "title": decision.title,
        "off_control_at": fmt(rows[0].off_control_at if rows else None),
        "overdue": any(x["state"] == "overdue" for x in executors),
        "executors": executors,
    }


@routes.put("/api/v1/decisions/{decision_id}/control")
@operation(
    "Place a signed decision under control: executors and control dates (S5); journaled",
    tag="decisions",
    auth="secretary",
    body=list_body(
        "controls", {"executor": {"type": "string"}, "due_on": {"type": "string", "format": "date"}}
    ),
    responses={200: "the control", 409: "not signed or already under control"},
)
async def put_control(request: web.Request) -> web.Response:
    decision_id, view, by = await office_decision(request)
    controls = decisions.parse_controls((await read_object(request)).get("controls"))
    rows = await service(request).control(decision_id, controls, by)
    today = request.app[CLOCK]().astimezone(KYIV).date()
    return json_response(control_json(view.decision, rows, today))


@routes.post("/api/v1/decisions/{decision_id}/control/{position}/reports")
@operation(
    "Attach an executor's report (raw body, ?filename=; S5); journaled with its sha256",
    tag="decisions",
    auth="secretary",
    body={"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    responses={201: "attached", 404: "no such executor under control", 409: "off control"},
)
async def post_report(request: web.Request) -> web.Response:
    position = match_int(request, "position")
    decision_id, _, by = await office_decision(request)
    if request.content_length is not None and request.content_length > MAX_TEXT_BYTES:
        raise Invalid("the report is too large", field="file", code="payload_too_large")
    content = await request.read()
    filename = check_upload(request.query.get("filename", ""), len(content), MAX_TEXT_BYTES)
    digest = await service(request).report(
        decision_id, position, filename, draft_content_type(filename, content), content, by
    )
    return json_response({"position": position, "sha256": digest}, status=201)


@routes.post("/api/v1/decisions/{decision_id}/control/off")
@operation(
    "Take the decision off control (S5: executed); journaled",
    tag="decisions",
    auth="secretary",
    body={
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["reason"],
                "properties": {"reason": {"type": "string", "maxLength": 500}},
            }
        }
    },
    responses={201: "decision_off_control event", 409: "not under control or already off"},
)
async def post_off_control(request: web.Request) -> web.Response:
    decision_id, _, by = await office_decision(request)
    reason = (await read_object(request)).get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        raise Invalid("reason: 1–500 characters", field="reason")
    if any(ord(c) < 32 for c in reason):
        raise Invalid("reason contains control characters", field="reason")
    event = await service(request).off_control(decision_id, reason.strip(), by)
    return json_response(event.to_public(), status=201)


@routes.get("/api/v1/control")
@operation("The office's control of execution: what is due and overdue (S5)", tag="decisions",
           auth="admin")  # fmt: skip
async def get_control(request: web.Request) -> web.Response:
    await require_admin(request)
    today = request.app[CLOCK]().astimezone(KYIV).date()
    listed = [control_json(d, rows, today) for d, rows in await service(request).control_list()]
    return json_response(
        {
            "overdue": sum(1 for d in listed if d["overdue"] and not d["off_control_at"]),
            "decisions": listed,
        }
    )


# --- pages ------------------------------------------------------------------------------------

CSV_FIELDS = ("number", "title", "item", "convocation", "signed_at", "sha256", "url")


async def register_page(request: web.Request) -> web.Response:
    """The public register of decisions (S3, R20)."""
    rows = [
        (d, d.signed_at.astimezone(KYIV) if d.signed_at else None)
        for d in await service(request).published()
    ]
    return pages.render(request, "decisions_register.html", {"rows": rows})


async def register_csv(request: web.Request) -> web.Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for d in await service(request).published():
        writer.writerow(public_json(d))
    return web.Response(
        text=out.getvalue(), content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="decisions.csv"'},
    )  # fmt: skip


async def distribution_page(request: web.Request) -> web.Response:
    """The office's distribution log: each executor's delivery, bounces, what is late (S4)."""
    session_id = match_uuid(request, "session_id")
    await require_office(request, session_id)
    now = request.app[CLOCK]()
    views = [office_json(v, now) for v in await service(request).of_session(session_id)]
    response = pages.render(request, "decisions_distribution.html", {"decisions": views})
    response.headers["Cache-Control"] = "no-store"
    return response


async def control_page(request: web.Request) -> web.Response:
    """The office's control of execution (S5): decisions under control with their executors,
    control dates (Kyiv), reports; due and overdue highlighted; «зняти з контролю». The whole
    council's at ``/control`` (the administrator), one session's at
    ``/sessions/{id}/control`` (its office: the chair, the secretary)."""
    session_id = match_uuid(request, "session_id") if "session_id" in request.match_info else None
    if session_id is None:
        await require_admin(request)
    else:
        await require_office(request, session_id)
    today = request.app[CLOCK]().astimezone(KYIV).date()
    listed = []
    for d, rows in await service(request).control_list():
        if session_id is not None and d.session_id != session_id:
            continue
        entry = control_json(d, rows, today)
        for x, c in zip(entry["executors"], rows, strict=True):
            x["due_on_uk"] = f"{c.due_on:%d.%m.%Y}"
            last = c.last_report_at
            x["last_report_uk"] = f"{last.astimezone(KYIV):%d.%m.%Y %H:%M}" if last else ""
        off = rows[0].off_control_at if rows else None
        entry["off_uk"] = f"{off.astimezone(KYIV):%d.%m.%Y %H:%M}" if off else ""
        listed.append(entry)
    overdue = sum(1 for d in listed if d["overdue"] and not d["off_control_at"])
    response = pages.render(
        request,
        "decisions_control.html",
        {"decisions": listed, "overdue": overdue, "today": today, "kyiv": KYIV},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def configure(*, distribute: bool = True) -> Any:
    """A ``setup``; ``distribute=False`` leaves the background distributor off (tests run it)."""

    def setup_with(app: web.Application) -> None:
        async def service_ctx(app: web.Application) -> AsyncIterator[None]:
            svc = DecisionService(app[POOL], clock=app[CLOCK])
            app[DECISIONS] = svc
            app[DISTRIBUTOR] = Distributor(svc, app[SETTINGS].smtp)
            worker: contextlib.AbstractAsyncContextManager[None] = contextlib.nullcontext()
            if distribute and app[SETTINGS].smtp.configured:
                # another instance's signature wakes this one's distributor at once
                worker = woken_worker(
                    app[JOURNAL_LISTENER], app[DISTRIBUTOR].run, svc.wake, "decision_distributor"
                )
            async with worker:
                yield

        app.cleanup_ctx.append(service_ctx)
        app.add_routes(routes)
        app.router.add_get("/decisions", register_page, name="decisions_register")
        app.router.add_get("/decisions.csv", register_csv)
        app.router.add_get("/sessions/{session_id}/decisions", distribution_page)
        app.router.add_get("/control", control_page, name="control")
        app.router.add_get("/sessions/{session_id}/control", control_page)

    return setup_with


def setup(app: web.Application) -> None:
    configure()(app)
