"""Authorization matrix: every identity endpoint × every kind of caller.

Callers: the administrator (bearer), the chair, the secretary, a deputy, a guest (signed in to
this session), a deputy of another session, and the public (no credentials). A new identity
endpoint without a row here fails test_matrix_covers_every_identity_route.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from identity.api import IDENTITY
from orchestrator.kernel.web.openapi import documented_routes
from tests.conftest import ADMIN
from tests.fixtures.signin import EVENT_SECRET, Browser, FakeClock, SessionIds, SignIn, convene

ROLES = ("admin", "chair", "secretary", "deputy", "guest", "other_deputy", "public")


@dataclass
class Row:
    method: str
    path: str  # {sid} this session, {target} the participant acted upon
    allowed: dict[str, int]  # role -> success status; everyone else is refused
    body: dict[str, Any] | None = None


PREFIX = "/api/v1/jitsi/events"
HOOK_BODY = {"room_name": "{room}", "occupant": {"id": "{target}", "name": "Х"}}
MATRIX = [
    Row("GET", "/api/v1/me", {r: 200 for r in ("chair", "secretary", "deputy", "guest", "other_deputy")}),
    Row("POST", "/api/v1/signout", {r: 204 for r in ("chair", "secretary", "deputy", "guest", "other_deputy")}),
    Row("POST", "/api/v1/sessions/{sid}/links", {"admin": 202}, {"participant_ids": ["{target}"]}),
    Row("DELETE", "/api/v1/sessions/{sid}/links/{target}", {"admin": 204}),
    Row("GET", "/api/v1/sessions/{sid}/deliveries", {"admin": 200, "chair": 200, "secretary": 200}),
    Row("GET", "/api/v1/sessions/{sid}/jitsi-token", {r: 200 for r in ("chair", "secretary", "deputy", "guest")}),
    Row("GET", "/api/v1/sessions/{sid}/jitsi-test-token", {r: 200 for r in ("chair", "secretary", "deputy", "guest")}),
    Row("POST", "/api/v1/sessions/{sid}/participants/{target}/identify", {"chair": 201}),
    # E6 is an executive committee's (test_two_bodies.py): in this council session the chair
    # passes the role check and the rule refuses (R11); the secretary is refused by role
    Row("POST", "/api/v1/sessions/{sid}/participants/{target}/identify-by-phone", {"chair": 422}),
    Row("GET", "/api/v1/sessions/{sid}/presence", {"chair": 200, "secretary": 200}),
    Row("POST", f"{PREFIX}/occupant/joined", {}, HOOK_BODY),
    Row("POST", f"{PREFIX}/occupant/left", {}, HOOK_BODY),
    Row("POST", f"{PREFIX}/room/created", {}, {"room_name": "{room}"}),
    Row("POST", f"{PREFIX}/room/destroyed", {}, {"room_name": "{room}"}),
    # Prosody's mod_muc_auth_ban sends only the occupant's own token: everyone gets 200, and
    # {"access": true} only for a valid, unrevoked rada token (test_jitsi_access.py)
    Row("GET", "/api/v1/jitsi/access", {r: 200 for r in ROLES}),
]  # fmt: skip


@dataclass
class Callers:
    ids: SessionIds
    browsers: dict[str, Browser]
    public: aiohttp.ClientSession


@pytest.fixture
async def callers(
    identity_client: TestClient[Any, Any],
    session_ids: SessionIds,
    sign_in: SignIn,
    clock: FakeClock,
) -> AsyncIterator[Callers]:
    other = await convene(identity_client, number=2, council_id=session_ids.council_id)
    clock.set(session_ids.starts_at - timedelta(minutes=5))
    sid = session_ids.session_id
    browsers = {
        "chair": await sign_in(sid, session_ids.chair),
        "secretary": await sign_in(sid, session_ids.secretary),
        "deputy": await sign_in(sid, session_ids.deputies[0]),
        "guest": await sign_in(sid, session_ids.guest),
        "other_deputy": await sign_in(other.session_id, other.deputies[0]),
    }
    public = aiohttp.ClientSession(base_url=str(identity_client.make_url("/")))
    yield Callers(session_ids, browsers, public)
    await public.close()


def fill(value: Any, ids: SessionIds, target: str) -> Any:
    if isinstance(value, str):
        return value.format(sid=ids.session_id, target=target, room=ids.room)
    if isinstance(value, list):
        return [fill(v, ids, target) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, ids, target) for k, v in value.items()}
    return value


async def call(c: Callers, role: str, row: Row, target: str) -> aiohttp.ClientResponse:
    path = fill(row.path, c.ids, target)
    body = fill(row.body, c.ids, target) if row.body is not None else None
    if role in c.browsers:
        b = c.browsers[role]
        send = {"GET": b.get, "POST": b.post, "DELETE": b.delete}[row.method]
        return await send(path, json=body) if body is not None else await send(path)
    headers = ADMIN if role == "admin" else {}
    return await c.public.request(row.method, path, json=body, headers=headers)


@pytest.mark.parametrize("row", MATRIX, ids=[f"{r.method} {r.path}" for r in MATRIX])
async def test_matrix(identity_client: TestClient[Any, Any], callers: Callers, row: Row) -> None:
    """Refused roles get 401 (no credentials) or 403 as problem+json; allowed roles succeed."""
    ids = callers.ids
    target = ids.deputies[1]
    service = identity_client.app[IDENTITY]
    await service.issue_link(UUID(ids.session_id), UUID(target))  # something to revoke
    hook = {"Authorization": f"Bearer {EVENT_SECRET}"}
    await callers.public.post(
        f"{PREFIX}/occupant/joined", headers=hook, json=fill(HOOK_BODY, ids, target)
    )  # present, to be identified
    refused = [r for r in ROLES if r not in row.allowed]
    for role in [*refused, *row.allowed]:  # allowed last: their success may change the state
        r = await call(callers, role, row, target)
        if role in row.allowed:
            assert r.status == row.allowed[role], (role, await r.text())
            continue
        expected = 401 if role == "public" or row.path.startswith(PREFIX) else 403
        assert r.status == expected, (role, r.status, await r.text())
        assert r.content_type == "application/problem+json"


async def test_webhooks_accept_only_the_event_secret(callers: Callers) -> None:
    """The event_sync endpoints accept the shared secret and nothing else (not even the admin)."""
    hook = {"Authorization": f"Bearer {EVENT_SECRET}"}
    body = fill(HOOK_BODY, callers.ids, callers.ids.deputies[2])
    r = await callers.public.post(f"{PREFIX}/occupant/joined", json=body, headers=hook)
    assert r.status == 200
    r = await callers.public.post(f"{PREFIX}/occupant/joined", json=body, headers=ADMIN)
    assert r.status == 401


async def test_deputy_cannot_identify_or_revoke_for_another(callers: Callers) -> None:
    """A deputy acting on another participant is refused (403), whatever the body says."""
    deputy = callers.browsers["deputy"]
    sid, other = callers.ids.session_id, callers.ids.deputies[1]
    assert (
        await deputy.post(f"/api/v1/sessions/{sid}/participants/{other}/identify")
    ).status == 403
    assert (await deputy.delete(f"/api/v1/sessions/{sid}/links/{other}")).status == 403


def test_matrix_covers_every_identity_route(identity_client: TestClient[Any, Any]) -> None:
    """Each /api route identity adds (or the foundation does not own) has a matrix row."""
    identity_routes = {
        (m, p)
        for m, p, note in documented_routes(identity_client.app)
        if note is not None and note["tag"] in ("identity", "jitsi")
    }
    assert identity_routes == {
        (r.method, r.path.replace("{sid}", "{session_id}").replace("{target}", "{participant_id}"))
        for r in MATRIX
    }
