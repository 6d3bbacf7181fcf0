"""Guest packets (S2): an invited guest's notice carries the session's documents, and the
office's log shows who received what (real SMTP server in-process, real notice sender)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from identity.api import SENDER
from tests.conftest import ADMIN
from tests.fixtures.signin import SignIn, convene
from tests.fixtures.smtp import Inbox

Client = TestClient[Any, Any]
DRAFT = b"%PDF-1.4 draft decision\n%%EOF\n"


@pytest.fixture
def smtp_port(inbox: tuple[Inbox, int]) -> int:
    return inbox[1]


async def test_guest_receives_the_packet_and_the_log_shows_it(
    identity_client: Client, inbox: tuple[Inbox, int]
) -> None:
    """Before sending, the guest's packet shows nothing received; after the notice is sent it
    lists the draft as received, and the guest's message carries it (S2)."""
    ids = await convene(identity_client, documents=[(0, "proekt-1.pdf", DRAFT)])
    sid = ids.session_id
    body = await (
        await identity_client.get(f"/api/v1/sessions/{sid}/packets", headers=ADMIN)
    ).json()
    [guest] = body["guests"]
    assert guest["organisation"] == "Преса" and guest["status"] == "queued"
    assert [d["received"] for d in guest["documents"]] == [False]
    await identity_client.app[SENDER].run_once()
    body = await (
        await identity_client.get(f"/api/v1/sessions/{sid}/packets", headers=ADMIN)
    ).json()
    [guest] = body["guests"]
    assert guest["status"] == "sent" and guest["sent_at"]
    assert guest["documents"] == [
        {"item": 1, "filename": "proekt-1.pdf", "sha256": guest["documents"][0]["sha256"],
         "received": True}
    ]  # fmt: skip
    to_guest = [m for rcpts, m in inbox[0].messages if rcpts == ["guest1@press.test"]]
    assert next(a.get_filename() for a in to_guest[0].iter_attachments()) == "proekt-1.pdf"
    r = await identity_client.get(f"/api/v1/sessions/{sid}/packets")
    assert r.status == 401


async def test_who_has_not_passed_the_check_is_reminded(
    identity_client: Client, inbox: tuple[Inbox, int], sign_in: SignIn
) -> None:
    """The reminder goes to the official address of each participant without a passed check,
    not to one who passed (P1, R12)."""
    ids = await convene(identity_client)
    sid = ids.session_id
    deputy = await sign_in(sid, ids.deputies[0])
    r = await deputy.post(
        f"/api/v1/sessions/{sid}/connection-check", json={"camera": True, "microphone": True}
    )
    assert r.status == 201 and (await r.json())["payload"]["passed"] is True
    r = await deputy.post(f"/api/v1/sessions/{sid}/connection-checks/remind")
    assert r.status == 403
    r = await identity_client.post(
        f"/api/v1/sessions/{sid}/connection-checks/remind", headers=ADMIN
    )
    assert r.status == 200, await r.text()
    reminded = {x["participant_id"]: x["outcome"] for x in (await r.json())["reminded"]}
    assert ids.deputies[0] not in reminded
    assert reminded[ids.chair] == "sent" and len(reminded) == 7  # 8 on the list, one passed
    subjects = {str(m["Subject"]) for _, m in inbox[0].messages}
    assert subjects == {"Перевірте зв’язок перед засіданням № 1"}
    body = inbox[0].messages[0][1].get_body(preferencelist=("plain",))
    assert body is not None and f"/sessions/{sid}/check" in body.get_content()
