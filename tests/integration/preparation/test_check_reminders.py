"""A participant who has not passed «Перевірка зв’язку» is reminded once (P1): pressing
«remind» again, or two offices at once, sends no second letter (real SMTP server in-process)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import ADMIN
from tests.fixtures.signin import SignIn, convene
from tests.fixtures.smtp import Inbox

Client = TestClient[Any, Any]


@pytest.fixture
def smtp_port(inbox: tuple[Inbox, int]) -> int:
    return inbox[1]


async def test_each_participant_is_reminded_once(
    identity_client: Client, inbox: tuple[Inbox, int], sign_in: SignIn
) -> None:
    ids = await convene(identity_client)
    sid = ids.session_id
    path = f"/api/v1/sessions/{sid}/connection-checks/remind"
    first, second = await asyncio.gather(
        identity_client.post(path, headers=ADMIN), identity_client.post(path, headers=ADMIN)
    )
    assert first.status == second.status == 200
    outcomes = [
        (x["participant_id"], x["outcome"])
        for r in (first, second)
        for x in (await r.json())["reminded"]
    ]
    sent = Counter(pid for pid, outcome in outcomes if outcome == "sent")
    assert len(sent) == 8 and set(sent.values()) == {1}  # everyone once, by one of the two
    reminders = [m for _, m in inbox[0].messages if "Перевірте зв’язок" in str(m["Subject"])]
    assert len(reminders) == 8
    # a participant who passes meanwhile is not counted; the rest were reminded already
    deputy = await sign_in(sid, ids.deputies[0])
    await deputy.post(
        f"/api/v1/sessions/{sid}/connection-check", json={"camera": True, "microphone": True}
    )
    again = await (await identity_client.post(path, headers=ADMIN)).json()
    assert {x["outcome"] for x in again["reminded"]} == {"already"}
    assert ids.deputies[0] not in {x["participant_id"] for x in again["reminded"]}
    assert len([m for _, m in inbox[0].messages if "Перевірте" in str(m["Subject"])]) == 8
