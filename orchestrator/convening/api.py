"""Councils, rosters, convening and the journal over HTTP: parse, call the service, serialise."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aiohttp import web

from orchestrator.convening.bodies import BodyKind
from orchestrator.convening.categories import CATEGORY_UK
from orchestrator.convening.roster import MemberRow, write_csv
from orchestrator.convening.rules import parse_guest
from orchestrator.convening.service import (
    CouncilService,
    check_upload,
    draft_content_type,
    parse_body,
    parse_council_settings,
    parse_draft,
)
from orchestrator.convening.store import SessionRow
from orchestrator.kernel.errors import Invalid, NotFound
from orchestrator.kernel.journal import chain as journal
from orchestrator.kernel.journal.chain import GENESIS, verify_chain
from orchestrator.kernel.web import files
from orchestrator.kernel.web import validation as v
from orchestrator.kernel.web.auth import principal, require_admin
from orchestrator.kernel.web.http import (
    json_response,
    match_int,
    match_uuid,
    operation,
    read_json,
    read_object,
)

SERVICE: web.AppKey[CouncilService] = web.AppKey("council_service", CouncilService)
SETTINGS_LIMIT: web.AppKey[int] = web.AppKey("max_upload_bytes", int)
routes = web.RouteTableDef()

JSON = "application/json"
COUNCIL_BODY = {
    JSON: {
        "schema": {
            "type": "object",
            "required": ["name", "convocation", "total_composition"],
            "properties": {
                "name": {"type": "string"},
                "convocation": {"type": "integer", "minimum": 1},
                "total_composition": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "R7: the legal number of deputies",
                },
                "oblast": {
                    "type": "string",
                    "description": "the protocol's heading: «Житомирської області»",
                },
                "place": {
                    "type": "string",
                    "description": "the protocol's heading: «м. Коростишів»",
                },
                "emblem": {
                    "type": ["string", "null"],
                    "contentEncoding": "base64",
                    "description": "PNG or JPEG, at most 64 KiB; printed above the heading",
                },
                "citations": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "rule (R1–R20) → the article of the council's Регламент "
                    'or of the law that documents cite for it; "" cites nothing',
                },
            },
        }
    }
}
COUNCIL_PATCH_BODY = {JSON: {"schema": {**COUNCIL_BODY[JSON]["schema"], "required": []}}}
MEMBER_SCHEMA = {
    "type": "object",
    "required": ["surname", "given_name", "role", "email", "phone"],
    "properties": {
        "surname": {"type": "string"},
        "given_name": {"type": "string"},
        "patronymic": {"type": "string"},
        "role": {"enum": ["mayor", "deputy", "secretary"]},
        "email": {"type": "string", "format": "email"},
        "phone": {"type": "string"},
    },
}
ROSTER_BODY = {
    "text/csv": {
        "schema": {
            "type": "string",
            "description": "UTF-8 CSV, header: surname,given_name,patronymic,role,email,phone",
        }
    },
    JSON: {"schema": {"type": "array", "items": MEMBER_SCHEMA}},
}
CONVENE_BODY = {
    JSON: {
        "schema": {
            "type": "object",
            "required": ["title", "number", "starts_at", "agenda"],
            "properties": {
                "title": {"type": "string"},
                "number": {"type": "integer"},
                "starts_at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "R3: ≥ 24 h ahead",
                },
                "planned_end": {"type": "string", "format": "date-time"},
                "agenda": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["title", "category"],
                        "properties": {
                            "title": {"type": "string"},
                            "category": {"enum": [c.value for c in CATEGORY_UK]},
                            "description": {"type": "string"},
                            "secret_ballot": {"const": False, "description": "R2"},
                        },
                    },
                },
                "guests": {"type": "array", "items": {"type": "object"}},
                "chair_member_id": {
                    "type": "string",
                    "format": "uuid",
                    "description": "R5 stand-in",
                },
                "chair_reason": {"type": "string"},
                "body": {
                    "enum": [b.value for b in BodyKind],
                    "description": "E1–E8: the executive committee meets; default the council",
                },
            },
        }
    }
}
BODY_COMPOSITION_BODY = {
    JSON: {
        "schema": {
            "type": "object",
            "required": ["total_composition"],
            "properties": {
                "total_composition": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "E4: the body's legal number of members, the mayor included",
                }
            },
        }
    }
}
PARTICIPANT_BODY = {JSON: {"schema": {"type": "object", "required": ["person", "reason"]}}}
REASON_BODY = {
    JSON: {
        "schema": {
            "type": "object",
            "required": ["reason"],
            "properties": {"reason": {"type": "string"}},
        }
    }
}


def _session_json(s: SessionRow) -> dict[str, Any]:
    return {
        "id": str(s.id),
        "council_id": str(s.council_id),
        "title": s.title,
        "body": s.body,
        "number": s.number,
        "status": s.status,
        "starts_at": journal.format_time(s.starts_at),
        "planned_end": journal.format_time(s.planned_end),
        "announced_at": journal.format_time(s.announced_at) if s.announced_at else None,
    }


def _member_json(member_id: str, r: MemberRow) -> dict[str, Any]:
    return {
        "id": member_id,
        "surname": r.surname,
        "given_name": r.given_name,
        "patronymic": r.patronymic,
        "role": r.kind,
        "email": r.email,
        "phone": r.phone,
    }


@routes.get("/api/v1/categories")
@operation("The agenda categories a remote session may consider (R1)", tag="convening")
async def list_categories(request: web.Request) -> web.Response:
    return json_response([{"code": c.value, "name_uk": name} for c, name in CATEGORY_UK.items()])


@routes.post("/api/v1/councils")
@operation(
    "Create a council", tag="councils", auth="admin", body=COUNCIL_BODY, responses={201: "created"}
)
async def create_council(request: web.Request) -> web.Response:
    await require_admin(request)
    body = await read_object(request)
    fields = parse_council_settings(body, partial=False)
    council = await request.app[SERVICE].create_council(
        fields.pop("name"), fields.pop("convocation"), fields.pop("total_composition"), fields
    )
    return json_response(council.to_json(), status=201)


@routes.patch("/api/v1/councils/{council_id}")
@operation(
    "Change a council's settings (the protocol's heading, the citations)",
    tag="councils",
    auth="admin",
    body=COUNCIL_PATCH_BODY,
)
async def update_council(request: web.Request) -> web.Response:
    await require_admin(request)
    body = await read_object(request)
    changes = parse_council_settings(body, partial=True)
    council = await request.app[SERVICE].update_council(match_uuid(request, "council_id"), changes)
    return json_response(council.to_json())


@routes.get("/api/v1/councils")
@operation("List councils", tag="councils")
async def list_councils(request: web.Request) -> web.Response:
    return json_response([c.to_json() for c in await request.app[SERVICE].councils()])


@routes.get("/api/v1/councils/{council_id}")
@operation("One council", tag="councils")
async def get_council(request: web.Request) -> web.Response:
    council = await request.app[SERVICE].council(match_uuid(request, "council_id"))
    return json_response(council.to_json())


async def _put_roster(request: web.Request, body: BodyKind) -> web.Response:
    await require_admin(request)
    council_id = match_uuid(request, "council_id")
    service = request.app[SERVICE]
    if request.content_type == "text/csv":
        report = await service.import_roster_csv(council_id, await request.read(), body)
    else:
        rows = await read_json(request)
        if not isinstance(rows, list):
            raise Invalid("the roster must be a JSON array of members", field="body")
        report = await service.import_roster_rows(council_id, rows, body)
    return json_response(
        {"added": report.added, "updated": report.updated, "retired": report.retired}
    )


async def _get_roster(request: web.Request, body: BodyKind) -> web.Response:
    await require_admin(request)
    members = await request.app[SERVICE].members(match_uuid(request, "council_id"), body)
    if "text/csv" in request.headers.get("Accept", ""):
        return web.Response(
            body=write_csv(m.row for m in members),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="roster.csv"'},
        )
    return json_response([_member_json(str(m.id), m.row) for m in members])


def _body_of(request: web.Request) -> BodyKind:
    return parse_body(request.match_info["body"], "body")


@routes.put("/api/v1/councils/{council_id}/roster")
@operation(
    "Replace the roster from CSV or JSON; a file with any error imports nothing (R6)",
    tag="councils",
    auth="admin",
    body=ROSTER_BODY,
)
async def put_roster(request: web.Request) -> web.Response:
    return await _put_roster(request, BodyKind.COUNCIL)


@routes.get("/api/v1/councils/{council_id}/roster")
@operation(
    "Export the roster (CSV with Accept: text/csv, else JSON), contacts included",
    tag="councils",
    auth="admin",
)
async def get_roster(request: web.Request) -> web.Response:
    return await _get_roster(request, BodyKind.COUNCIL)


@routes.put("/api/v1/councils/{council_id}/bodies/{body}")
@operation(
    "Set the total composition of one of the council's bodies (E4: executive_committee)",
    tag="councils",
    auth="admin",
    body=BODY_COMPOSITION_BODY,
)
async def put_body(request: web.Request) -> web.Response:
    await require_admin(request)
    body = _body_of(request)
    total = v.integer(await read_object(request), "total_composition", lo=1, hi=1000)
    council_id = match_uuid(request, "council_id")
    await request.app[SERVICE].set_body_composition(council_id, body, total)
    return json_response({"body": body.value, "total_composition": total})


@routes.get("/api/v1/councils/{council_id}/bodies/{body}")
@operation("One of the council's bodies and its total composition (R7, E4)", tag="councils")
async def get_body(request: web.Request) -> web.Response:
    body = _body_of(request)
    total = await request.app[SERVICE].body_composition(match_uuid(request, "council_id"), body)
    return json_response({"body": body.value, "total_composition": total})


@routes.put("/api/v1/councils/{council_id}/bodies/{body}/roster")
@operation(
    "Replace a body's roster from CSV or JSON (E3, E6: the e-mail and phone each member gave "
    "personally); a file with any error imports nothing",
    tag="councils",
    auth="admin",
    body=ROSTER_BODY,
)
async def put_body_roster(request: web.Request) -> web.Response:
    return await _put_roster(request, _body_of(request))


@routes.get("/api/v1/councils/{council_id}/bodies/{body}/roster")
@operation("Export a body's roster, contacts included", tag="councils", auth="admin")
async def get_body_roster(request: web.Request) -> web.Response:
    return await _get_roster(request, _body_of(request))


@routes.post("/api/v1/councils/{council_id}/sessions")
@operation(
    "Convene a remote session (R1–R6)",
    tag="convening",
    auth="admin",
    body=CONVENE_BODY,
    responses={201: "convened"},
)
async def convene(request: web.Request) -> web.Response:
    by = await require_admin(request)
    council_id = match_uuid(request, "council_id")
    draft = parse_draft(await read_object(request))
    session = await request.app[SERVICE].convene(council_id, draft, by)
    return json_response(await request.app[SERVICE].session_view(session.id), status=201)


async def _is_admin(request: web.Request) -> bool:
    return (await principal(request)).kind == "admin"


async def visible_session(request: web.Request, session_id: UUID) -> None:
    """R3: a session becomes public when it is announced; before that it is the
    administrator's alone (404 to anyone else, as if it did not exist)."""
    session = await request.app[SERVICE].session(session_id)
    if session.announced_at is None and not await _is_admin(request):
        raise NotFound(f"no session {session_id}", code="session_not_found")


@routes.get("/api/v1/sessions")
@operation(
    "List sessions, newest first (unannounced ones: the administrator only)", tag="convening"
)
async def list_sessions(request: web.Request) -> web.Response:
    council = request.query.get("council_id")
    council_id = v.uuid(council, "council_id") if council is not None else None
    rows = await request.app[SERVICE].sessions(council_id)
    if not await _is_admin(request):
        rows = [s for s in rows if s.announced_at is not None]
    return json_response([_session_json(s) for s in rows])


@routes.get("/api/v1/sessions/{session_id}")
@operation("A session: agenda, documents, participants without contacts", tag="convening")
async def get_session(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    await visible_session(request, session_id)
    view = await request.app[SERVICE].session_view(session_id)
    if await _is_admin(request):  # the Jitsi room is not public (rehearsals need it)
        view["room"] = (await request.app[SERVICE].session(session_id)).room
    return json_response(view)


@routes.post("/api/v1/sessions/{session_id}/items/{item}/documents")
@operation(
    "Attach a draft document to an agenda item (raw body, ?filename=)",
    tag="convening",
    auth="admin",
    body={"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    responses={201: "stored with its sha256"},
)
async def attach_document(request: web.Request) -> web.Response:
    by = await require_admin(request)
    session_id = match_uuid(request, "session_id")
    item = match_int(request, "item")
    limit = request.app[SETTINGS_LIMIT]
    if request.content_length is not None and request.content_length > limit:
        raise Invalid(
            f"the document is larger than {limit} bytes", field="file", code="payload_too_large"
        )
    content = await request.read()
    filename = check_upload(request.query.get("filename", ""), len(content), limit)
    doc = await request.app[SERVICE].attach_document(
        session_id,
        item,
        filename,
        draft_content_type(filename, content),  # sniffed: never the uploader's say-so
        content,
        by,
    )
    return json_response(
        {
            "id": str(doc.id),
            "item": doc.item,
            "filename": doc.filename,
            "size": doc.size,
            "sha256": doc.sha256,
        },
        status=201,
    )


@routes.get("/api/v1/documents/{document_id}")
@operation("Download a draft document", tag="convening")
async def get_document(request: web.Request) -> web.Response:
    doc, content = await request.app[SERVICE].document(match_uuid(request, "document_id"))
    await visible_session(request, doc.session_id)
    return web.Response(
        body=content,
        headers={
            **files.file_headers(doc.filename, doc.content_type, download=True),
            "X-Content-SHA256": doc.sha256,
        },
    )


@routes.post("/api/v1/sessions/{session_id}/announce")
@operation(
    "Announce: publish and queue one notice per participant (R3, R4)", tag="convening", auth="admin"
)
async def announce(request: web.Request) -> web.Response:
    by = await require_admin(request)
    session_id = match_uuid(request, "session_id")
    await request.app[SERVICE].announce(session_id, by)
    return json_response(await request.app[SERVICE].announcement(session_id))


@routes.get("/api/v1/sessions/{session_id}/announcement")
@operation("The public announcement in Ukrainian (R3)", tag="convening")
async def get_announcement(request: web.Request) -> web.Response:
    return json_response(await request.app[SERVICE].announcement(match_uuid(request, "session_id")))


@routes.get("/api/v1/sessions/{session_id}/contacts")
@operation("The participant list with contact data (R6)", tag="convening", auth="admin")
async def get_contacts(request: web.Request) -> web.Response:
    await require_admin(request)
    people = await request.app[SERVICE].contacts(match_uuid(request, "session_id"))
    return json_response(
        [{**p.public(), "email": p.person.email, "phone": p.person.phone} for p in people]
    )


@routes.post("/api/v1/sessions/{session_id}/participants")
@operation(
    "Add an invited guest to the list, with a reason (journaled, R6)",
    tag="convening",
    auth="admin",
    body=PARTICIPANT_BODY,
    responses={201: "added"},
)
async def add_participant(request: web.Request) -> web.Response:
    by = await require_admin(request)
    session_id = match_uuid(request, "session_id")
    body = await read_object(request)
    person = parse_guest(v.obj(body.get("person"), "person"), "person.")
    reason = v.text(body, "reason", max_len=1000)
    added = await request.app[SERVICE].add_participant(session_id, person, reason, by)
    return json_response(added.public(), status=201)


@routes.delete("/api/v1/sessions/{session_id}/participants/{participant_id}")
@operation(
    "Remove a participant from the list, with a reason (journaled, R6)",
    tag="convening",
    auth="admin",
    body=REASON_BODY,
    responses={204: "removed"},
)
async def remove_participant(request: web.Request) -> web.Response:
    by = await require_admin(request)
    session_id = match_uuid(request, "session_id")
    pid = match_uuid(request, "participant_id")
    reason = v.text(await read_object(request), "reason", max_len=1000)
    await request.app[SERVICE].remove_participant(session_id, pid, reason, by)
    return web.Response(status=204)


@routes.get("/api/v1/sessions/{session_id}/journal")
@operation("The session's journal (public, hash-chained); ?after=seq", tag="journal")
async def get_journal(request: web.Request) -> web.Response:
    after_raw = request.query.get("after", "0")
    if not after_raw.isdigit() or len(after_raw) > 9:
        raise Invalid("after must be a sequence number", field="after")
    session_id = match_uuid(request, "session_id")
    await visible_session(request, session_id)
    events = await request.app[SERVICE].events(session_id, int(after_raw))
    return json_response([e.to_public() for e in events])


@routes.get("/api/v1/sessions/{session_id}/journal/verify")
@operation("Recompute the journal's hash chain", tag="journal")
async def verify_journal(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    await visible_session(request, session_id)
    service = request.app[SERVICE]
    events = await service.events(session_id)
    faults = verify_chain(events)
    return json_response(
        {
            "ok": not faults,
            "events": len(events),
            "last_hash": events[-1].hash if events else GENESIS,
            "faults": [{"seq": f.seq, "reason": f.reason} for f in faults],
        }
    )


@routes.get("/api/v1/whoami")
@operation("Who the server thinks you are", tag="auth")
async def whoami(request: web.Request) -> web.Response:
    p = await principal(request)
    return json_response(
        {
            "kind": p.kind,
            "session_id": str(p.session_id) if p.session_id else None,
            "participant_id": str(p.participant_id) if p.participant_id else None,
            "role": p.role.value if p.role else None,
        }
    )
