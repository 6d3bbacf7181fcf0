"""The OpenAPI 3.1 document, built from the routes themselves and their ``@operation`` notes."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "stable machine-readable error code"},
        "field": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
        "request_id": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail", "code"],
}


def documented_routes(app: web.Application) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(method, path, operation note or None) for every API route (paths under /api/)."""
    out = []
    for route in app.router.routes():
        if route.method in ("HEAD", "OPTIONS"):
            continue
        info = route.resource.canonical if route.resource is not None else ""
        if not info.startswith("/api/"):
            continue
        note = getattr(route.handler, "__rada_operation__", None)
        out.append((route.method, info, note))
    return out


def build(app: web.Application, *, version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, note in documented_routes(app):
        if note is None:
            continue
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", path)
        ]
        op: dict[str, Any] = {
            "summary": note["summary"],
            "tags": [note["tag"]],
            "operationId": f"{method.lower()}_{re.sub(r'[^a-z0-9]+', '_', path.lower()).strip('_')}",
            "parameters": params,
            "responses": {
                str(code): {"description": text} for code, text in note["responses"].items()
            },
            "x-auth": note["auth"],
        }
        op["responses"]["default"] = {
            "description": "an error",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        if note["auth"] == "admin":
            op["security"] = [{"adminBearer": []}]
        elif note["auth"] in ("jitsi", "jibri"):  # a shared bearer secret of the peer
            op["security"] = [{"webhookBearer": []}]
        elif note["auth"] not in ("public",):
            op["security"] = [{"participantCookie": []}]
        if note["body"] is not None:
            op["requestBody"] = {"required": True, "content": note["body"]}
        paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "rada",
            "version": version,
            "description": "Remote plenary sessions of a Ukrainian city council on Jitsi Meet.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Problem": PROBLEM_SCHEMA},
            "securitySchemes": {
                "adminBearer": {"type": "http", "scheme": "bearer"},
                "webhookBearer": {"type": "http", "scheme": "bearer"},
                "participantCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "rada_signin",
                    "description": "__Host-rada_signin when RADA_PUBLIC_URL is https",
                },
            },
        },
    }
