"""The rehearsal player drives a whole session through the real HTTP/WebSocket API."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.web.auth import Principal, Role
from orchestrator.rehearsal.play import Client, Player, Refused
from orchestrator.rehearsal.scenario import demo, parse
from tests.conftest import ADMIN_TOKEN
from tests.integration.conduct.world import AS

pytestmark = pytest.mark.slow


def _now() -> str:
    from datetime import UTC, datetime

    from orchestrator.kernel.journal.chain import format_time

    return format_time(datetime.now(UTC))


class JournalPorts:
    """Sign-in by test header; presence, identification and media through the journal, as
    identity and the recorder append them."""

    def __init__(self, pool: asyncpg.Pool, people: dict[str, Principal]) -> None:
        self.pool = pool
        self.people = people
        self.part = 0

    async def _append(self, player: Player, type_: str, payload: dict[str, Any]) -> None:
        from datetime import UTC, datetime

        async with self.pool.acquire() as conn, conn.transaction():
            await journal_store.append_event(
                conn, UUID(player.session_id), type_, payload, actor="system", at=datetime.now(UTC)
            )

    async def sign_in(self, player: Player, who: Client) -> None:
        self.people[who.participant_id] = Principal(
            "participant", UUID(player.session_id), UUID(who.participant_id), Role(who.role)
        )
        who.headers = {AS: who.participant_id}

    async def join(self, player: Player, who: Client) -> None:
        await self._append(
            player,
            ev.PRESENCE_JOINED,
            {
                "participant_id": who.participant_id,
                "occupant_id": who.participant_id,
                "name": who.email,
            },
        )

    async def leave(self, player: Player, who: Client) -> None:
        await self._append(
            player,
            ev.PRESENCE_LEFT,
            {"participant_id": who.participant_id, "occupant_id": who.participant_id},
        )

    async def identify(self, player: Player, chair: Client, who: Client) -> None:
        await self._append(
            player,
            ev.PARTICIPANT_IDENTIFIED,
            {"participant_id": who.participant_id, "confirmed_by": chair.participant_id},
        )

    async def recording_start(self, player: Player) -> None:
        self.part += 1
        await self._append(player, ev.RECORDING_STARTED, {"part": self.part, "started_at": _now()})

    async def outage(self, player: Player, seconds: float) -> None:
        await self._append(
            player,
            ev.RECORDING_LOST,
            {"part": self.part, "cause": "stall", "last_media_at": _now()},
        )
        await player.by_role("chair").console.until(lambda s: s["phase"] == "break")
        await asyncio.sleep(seconds)
        self.part += 1
        await self._append(player, ev.RECORDING_RESUMED, {"part": self.part, "started_at": _now()})


def player(
    client: TestClient[Any, Any],
    pool: asyncpg.Pool,
    people: dict[str, Principal],
    raw: dict[str, Any],
    out: Path,
) -> Player:
    return Player(
        str(client.make_url("")).rstrip("/"),
        ADMIN_TOKEN,
        parse(raw),
        JournalPorts(pool, people),
        out,
        log=lambda line: None,
    )


async def test_demo_plays_to_a_protocol(
    client: TestClient[Any, Any],
    pool: asyncpg.Pool,
    people: dict[str, Principal],
    tmp_path: Path,
) -> None:
    """The demo: amendment then text, roll calls in Ukrainian order, an outage break between
    items, a skipped deputy; the protocol JSON shows order, answers, tallies and the break."""
    path = await player(client, pool, people, demo(), tmp_path).play()
    protocol = json.loads(path.read_text(encoding="utf-8"))
    votes = [
        vote
        for item in protocol["agenda"]
        for vote in [*(a["vote"] for a in item["amendments"]), item["vote"]]
    ]
    assert [v["vote_id"] for v in votes] == ["0.a0", "0", "1"]
    first = votes[0]
    called = [r for r in first["roll_call"] if r["answer"] != "absent"]
    assert [r["name"] for r in called[:4]] == [
        "Андрієнко Ольга Миколаївна",
        "Бондар Роман Іванович",
        "Гнатюк Світлана Богданівна",
        "Ґудзь Богдан Ігорович",
    ]
    assert len(called) == 21  # 20 deputies + the mayor
    assert first["totals"]["absent"] == 6
    last = votes[2]
    assert last["totals"]["not_voted"] == 1
    assert [b["cause"] for b in protocol["breaks"]] == ["recording_lost"]
    assert protocol["breaks"][0]["ended_at"] is not None
    assert all(isinstance(v["adopted"], bool) for v in votes)


def _secret_ballot(raw: dict[str, Any]) -> None:
    raw["session"]["agenda"][1]["secret_ballot"] = True


def _thirteen_deputies(raw: dict[str, Any]) -> None:
    raw["attend"] = raw["attend"][:14]  # the mayor and 13 of 26 deputies


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [(_secret_ballot, 422, None), (_thirteen_deputies, 409, "no_quorum")],
)
async def test_forbidden_scenarios_end_with_the_refusal(
    client: TestClient[Any, Any],
    pool: asyncpg.Pool,
    people: dict[str, Principal],
    tmp_path: Path,
    change: Any,
    status: int,
    code: str | None,
) -> None:
    """R2 (secret ballot at convening) and R7 (no quorum at the first item) end the rehearsal
    with the service's refusal, not a crash."""
    raw = copy.deepcopy(demo())
    change(raw)
    with pytest.raises(Refused) as err:
        await player(client, pool, people, raw, tmp_path).play()
    assert err.value.problem["status"] == status
    if code is not None:
        assert err.value.problem["code"] == code
