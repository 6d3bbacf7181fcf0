"""JSON endpoints of the protocol: read it, finalise, sign (with an optional ``.p7s``), publish.

``setup(app)`` installs the :class:`PublicationService`, these routes and the public pages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from orchestrator.kernel.errors import NotFound
from orchestrator.kernel.journal import chain as journal
from orchestrator.kernel.keys import CLOCK, POOL, SETTINGS
from orchestrator.kernel.web.auth import Role, principal, require_participant
from orchestrator.kernel.web.http import json_response, match_uuid, operation, read_object
from orchestrator.protocol import order, pages
from orchestrator.protocol.render import to_dict
from orchestrator.protocol.service import (
    PLAN_PDF,
    PUBLICATION,
    PublicationService,
    Snapshot,
    parse_signature,
    publication_json,
)

routes = web.RouteTableDef()

SIGNERS = (Role.CHAIR, Role.SECRETARY, Role.DEPUTY)


def configure(
    *, archive_root: Path | None = None, media_root: Path | None = None
) -> Callable[[web.Application], None]:
    """A ``setup`` with the archive folder and the recorder's media folder (defaults
    ``RADA_DATA_DIR/archive`` and ``RADA_DATA_DIR/media``; the recorder's ``LocalStorage`` root
    must be the media folder: it writes ``<media>/<session_id>/manifest.json`` and the parts)."""

    def setup_with(app: web.Application) -> None:
        async def service_ctx(app: web.Application) -> AsyncIterator[None]:
            data_dir = app[SETTINGS].data_dir
            app[PUBLICATION] = PublicationService(
                app[POOL],
                archive_root=archive_root or data_dir / "archive",
                media_root=media_root or data_dir / "media",
                clock=app[CLOCK],
                recorded=app[SETTINGS].recording.enabled,
                plan_pdf=app.get(PLAN_PDF),
            )
            yield

        app.cleanup_ctx.append(service_ctx)
        app.add_routes(routes)
        pages.setup(app)

    return setup_with


def setup(app: web.Application) -> None:
    """Wire the protocol API and the public archive with the default folders."""
    configure()(app)


def service(request: web.Request) -> PublicationService:
    return request.app[PUBLICATION]


def _event(e: journal.Event) -> dict[str, Any]:
    return e.to_public()


async def announced_snapshot(request: web.Request, svc: PublicationService) -> Snapshot:
    """The session's protocol snapshot; before the announcement (R3) the session is the
    administrator's alone, so anyone else gets the same 404 as for no session at all."""
    session_id = match_uuid(request, "session_id")
    snap = await svc.snapshot(session_id)
    if snap.protocol.announced_at is None and (await principal(request)).kind != "admin":
        raise NotFound(f"no session {session_id}", code="session_not_found")
    return snap


@routes.get("/api/v1/sessions/{session_id}/protocol")
@operation("The protocol as folded from the journal, with its signing status", tag="protocol")
async def get_protocol(request: web.Request) -> web.Response:
    svc = service(request)
    snap = await announced_snapshot(request, svc)
    return json_response(
        {
            "protocol": to_dict(snap.protocol),
            "publication": publication_json(snap.publication, svc.clock()),
        }
    )


@routes.get("/api/v1/sessions/{session_id}/order")
@operation(
    "E1–E3: the order calling an executive committee's remote meeting (public once announced)",
    tag="protocol",
)
async def get_order(request: web.Request) -> web.Response:
    snap = await announced_snapshot(request, service(request))
    return json_response(order.as_json(order.build(snap.events)))


@routes.get("/api/v1/sessions/{session_id}/order.html")
@operation("E1: the calling order as an HTML document", tag="protocol")
async def get_order_html(request: web.Request) -> web.Response:
    snap = await announced_snapshot(request, service(request))
    html = order.to_html(order.build(snap.events))
    return web.Response(
        text=html,
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Security-Policy": order.ORDER_CSP},
    )


@routes.get("/api/v1/sessions/{session_id}/order.pdf")
@operation("E1: the calling order as a PDF document", tag="protocol")
async def get_order_pdf(request: web.Request) -> web.Response:
    snap = await announced_snapshot(request, service(request))
    pdf = order.to_pdf(order.build(snap.events))
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="order-{snap.protocol.number}.pdf"'},
    )


@routes.get("/api/v1/sessions/{session_id}/protocol/status")
@operation("The 24-hour clock (R18) and the signatures (R19)", tag="protocol")
async def get_status(request: web.Request) -> web.Response:
    svc = service(request)
    snap = await announced_snapshot(request, svc)
    return json_response(publication_json(snap.publication, svc.clock()))


@routes.post("/api/v1/sessions/{session_id}/protocol/finalise")
@operation(
    "The secretary finalises the protocol (R17): its SHA-256 is journaled",
    tag="protocol",
    auth="secretary",
    responses={201: "protocol_finalised event", 409: "session open or already finalised"},
)
async def finalise(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    who = await require_participant(request, session_id, (Role.SECRETARY,))
    return json_response(_event(await service(request).finalise(session_id, who)), status=201)


@routes.post("/api/v1/sessions/{session_id}/protocol/signatures")
@operation(
    "Sign the finalised protocol: the chair, or a member who voted (R19)",
    tag="protocol",
    auth="chair,secretary,deputy",
    body={
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["protocol_sha256"],
                "properties": {
                    "protocol_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "p7s": {
                        "type": "string",
                        "description": "detached .p7s made outside rada, base64",
                    },
                },
            }
        }
    },
    responses={201: "protocol_signed event", 403: "did not vote", 409: "not finalised"},
)
async def sign(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    who = await require_participant(request, session_id, SIGNERS)
    digest, p7s = parse_signature(dict(await read_object(request)))
    event = await service(request).sign(session_id, who, digest, p7s)
    return json_response(_event(event), status=201)


@routes.post("/api/v1/sessions/{session_id}/protocol/publish")
@operation(
    "Publish the signed protocol (R18, R20); marked late after 24 hours",
    tag="protocol",
    auth="chair,secretary",
    responses={201: "protocol_published event", 409: "not signed by the chair"},
)
async def publish(request: web.Request) -> web.Response:
    session_id = match_uuid(request, "session_id")
    who = await require_participant(request, session_id, (Role.CHAIR, Role.SECRETARY))
    return json_response(_event(await service(request).publish(session_id, who)), status=201)
