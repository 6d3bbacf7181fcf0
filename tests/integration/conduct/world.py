"""The conduct tests' world: the app with the conduct package, a convened and announced session,
a test authenticator standing in for identity's personal-link sign-in, and journal appends
standing in for the packages conduct listens to (identity's presence and identification, the
recorder's media reports): those packages talk to conduct through the journal only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from aiohttp import web
from aiohttp.test_utils import TestClient

from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.web.auth import (
    AUTHENTICATOR,
    PUBLIC,
    Principal,
    Role,
    admin_only_authenticator,
)
from tests.conftest import ADMIN, make_council, make_session

AS = "X-Test-As"


def install_test_auth(app: web.Application, people: dict[str, Principal]) -> None:
    """Authenticate ``X-Test-As: <participant_id>`` as that participant (tests only); anything
    else goes to the foundation's authenticator (the admin key, else the public)."""

    async def authenticate(request: web.Request) -> Principal:
        who = request.headers.get(AS)
        if who:
            return people.get(who, PUBLIC)
        return await admin_only_authenticator(request)

    app[AUTHENTICATOR] = authenticate


@dataclass
class World:
    client: TestClient[Any, Any]
    pool: asyncpg.Pool
    session_id: str
    pids: dict[str, str]  # surname → participant_id
    roles: dict[str, str]
    people: dict[str, Principal] = field(default_factory=dict)

    @property
    def sid(self) -> UUID:
        return UUID(self.session_id)

    def as_(self, surname: str) -> dict[str, str]:
        return {AS: self.pids[surname]}

    async def post(self, path: str, surname: str, body: Mapping[str, Any] | None = None) -> Any:
        return await self.client.post(
            f"/api/v1/sessions/{self.session_id}{path}",
            json=dict(body or {}),
            headers=self.as_(surname),
        )

    async def act(self, path: str, surname: str, body: Mapping[str, Any] | None = None) -> Any:
        r = await self.post(path, surname, body)
        assert r.status == 201, await r.text()
        return await r.json()

    async def journal(self, type_: str, payload: dict[str, Any], actor: str = "system") -> int:
        """Append an event as another package would (in its own transaction)."""
        async with self.pool.acquire() as conn, conn.transaction():
            event = await journal_store.append_event(
                conn, self.sid, type_, payload, actor=actor, at=datetime.now(UTC)
            )
        return event.seq

    async def join_and_identify(self, *surnames: str) -> None:
        chair = self.pids["Коваленко"]
        for s in surnames:
            await self.journal(
                ev.PRESENCE_JOINED,
                {"participant_id": self.pids[s], "occupant_id": f"occ-{s}", "name": s},
            )
            await self.journal(
                ev.PARTICIPANT_IDENTIFIED,
                {"participant_id": self.pids[s], "confirmed_by": chair},
                actor=f"participant:{chair}",
            )

    async def live(self) -> dict[str, Any]:
        r = await self.client.get(f"/api/v1/sessions/{self.session_id}/live")
        assert r.status == 200, await r.text()
        body: dict[str, Any] = await r.json()
        return body

    async def live_until(self, check: Any, attempts: int = 600) -> dict[str, Any]:
        """Poll the live state until ``check(state)`` (NOTIFY is asynchronous)."""
        for _ in range(attempts):
            body = await self.live()
            if check(body["state"]):
                return body
            await asyncio.sleep(0.05)
        raise AssertionError(f"the live state never matched: {body['state']['phase']}")

    async def journal_types(self) -> list[str]:
        async with self.pool.acquire() as conn:
            return [e.type for e in await journal_store.load_events(conn, self.sid)]


VOTERS = ["Коваленко", "Ґудзь", "Єрмоленко", "Іваненко", "Їжакевич", "Д'яченко", "Петренко-Лисенко"]
# R15 order of the roster in tests/conftest.py (the mayor takes part):
ORDER = ["Ґудзь", "Д'яченко", "Єрмоленко", "Іваненко", "Їжакевич", "Коваленко", "Петренко-Лисенко"]


async def make_world(
    client: TestClient[Any, Any],
    pool: asyncpg.Pool,
    people: dict[str, Principal],
    *,
    total: int = 7,
    items: int = 2,
) -> World:
    """A 7-seat council (quorum 4), an announced session, people signed in, recording on."""
    council_id = await make_council(client, total=total)
    session = await make_session(
        client,
        council_id,
        agenda=[{"title": f"Питання {i + 1}", "category": "urgent_budget"} for i in range(items)],
    )
    sid = session["id"]
    r = await client.post(f"/api/v1/sessions/{sid}/announce", headers=ADMIN)
    assert r.status == 200, await r.text()
    view = await (await client.get(f"/api/v1/sessions/{sid}")).json()
    pids = {p["surname"]: p["participant_id"] for p in view["participants"]}
    roles = {p["surname"]: p["role"] for p in view["participants"]}
    world = World(client, pool, sid, pids, roles, people)
    for surname, pid in pids.items():
        people[pid] = Principal("participant", UUID(sid), UUID(pid), Role(roles[surname]))
    return world
