"""The register of decisions (S3) and their distribution (S4) over the running API: real
PostgreSQL, a real SMTP server in-process (aiosmtpd), real sign-in of the presiding person."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from uuid import UUID

from aiohttp.test_utils import TestClient

from orchestrator.decisions import api as decisions_api
from orchestrator.kernel.ukrainian import roman
from orchestrator.protocol.model import build
from tests.conftest import ADMIN
from tests.fixtures.signin import FakeClock, SignIn
from tests.fixtures.smtp import Inbox
from tests.journal_builder import PlayedSession

Client = TestClient[Any, Any]
TEXT = b"%PDF-1.4 the decision as amended\n%%EOF\n"


def adopted(played: PlayedSession) -> tuple[list[int], list[int]]:
    items = build(played.events).items
    yes = [i.number for i in items if i.vote is not None and i.vote.adopted]
    return yes, [i.number for i in items if i.number not in yes]


async def register(client: Client, sid: UUID, item: int) -> Any:
    return await client.post(
        f"/api/v1/sessions/{sid}/decisions/{item}",
        params={"filename": f"rishennia-{item}.pdf"},
        data=TEXT + str(item).encode(),
        headers={**ADMIN, "Content-Type": "application/octet-stream"},
    )


async def office_log(client: Client, sid: UUID) -> list[dict[str, Any]]:
    r = await client.get(f"/api/v1/sessions/{sid}/decisions", headers=ADMIN)
    assert r.status == 200, await r.text()
    decisions: list[dict[str, Any]] = (await r.json())["decisions"]
    return decisions


async def test_register_number_sign_and_distribute(
    client: Client,
    played: PlayedSession,
    sign_in: SignIn,
    inbox: tuple[Inbox, int],
    clock: FakeClock,
) -> None:
    """An adopted question is registered with the council's number and its text's hash; it
    cannot be distributed before it is signed; signing sends it to every executor; a transient
    refusal is retried and a bounce is shown, corrected and sent again (S3, S4)."""
    sid = played.session_id
    r = await client.get(f"/api/v1/sessions/{sid}/protocol", headers=ADMIN)
    protocol_before = (await r.json())["protocol"]
    yes, no = adopted(played)
    assert yes, "the played session adopts at least one question"
    council_id = played.events[0].payload["council"]["id"]
    r = await client.put(
        f"/api/v1/councils/{council_id}/decision-numbering",
        headers=ADMIN,
        json={"pattern": "{seq}-{session_roman}/{convocation_roman}"},
    )
    assert r.status == 200, await r.text()
    r = await client.put(
        f"/api/v1/councils/{council_id}/decision-numbering",
        headers=ADMIN,
        json={"pattern": "{seq.__class__}"},
    )
    assert r.status == 422
    if no:
        r = await register(client, sid, no[0])
        assert r.status == 409 and (await r.json())["code"] == "question_not_adopted"
    r = await register(client, sid, yes[0])
    assert r.status == 201, await r.text()
    decision = await r.json()
    number = played.events[0].payload["number"]
    assert decision["number"] == f"1-{roman(int(number))}/VIII"
    assert decision["sha256"] == hashlib.sha256(TEXT + str(yes[0]).encode()).hexdigest()
    assert (await register(client, sid, yes[0])).status == 409
    did = decision["id"]
    # not signed: not published, not distributed (S4)
    assert (await (await client.get("/api/v1/decisions")).json())["decisions"] == []
    assert (await client.get(f"/api/v1/decisions/{did}/text")).status == 404
    r = await client.post(f"/api/v1/decisions/{did}/distribute", headers=ADMIN, json={})
    assert r.status == 409 and (await r.json())["code"] == "decision_not_signed"
    r = await client.put(
        f"/api/v1/decisions/{did}/distribution",
        headers=ADMIN,
        json={
            "executors": [
                {"name": "Фінансове управління", "email": "finance@rada.test"},
                {"name": "Управління ЖКГ", "email": "zhkg@rada.test"},
            ]
        },
    )
    assert r.status == 200, await r.text()
    distributor = client.app[decisions_api.DISTRIBUTOR]
    assert await distributor.run_once() == 0  # nothing is sent before the signature
    assert inbox[0].messages == []

    chair = await sign_in(str(sid), played.chair)
    r = await chair.post(f"/api/v1/decisions/{did}/signature", json={"sha256": "0" * 64})
    assert r.status == 409 and (await r.json())["code"] == "decision_changed"
    secretary = await sign_in(str(sid), played.secretary)
    r = await secretary.post(
        f"/api/v1/decisions/{did}/signature", json={"sha256": decision["sha256"]}
    )
    assert r.status == 403
    r = await chair.post(f"/api/v1/decisions/{did}/signature", json={"sha256": decision["sha256"]})
    assert r.status == 201, await r.text()
    assert (await r.json())["payload"]["executors"] == 2

    inbox[0].transient_failures = 1  # the first executor's mailbox is busy once
    assert await distributor.run_once() == 2
    log = (await office_log(client, sid))[0]["deliveries"]
    assert [x["status"] for x in log] == ["retrying", "sent"]
    assert log[0]["last_error"].startswith("451") and log[0]["attempts"] == 1
    assert await distributor.run_once() == 0  # the retry waits its delay
    clock.advance(minutes=6)
    assert await distributor.run_once() == 1
    log = (await office_log(client, sid))[0]["deliveries"]
    assert [x["status"] for x in log] == ["sent", "sent"]
    assert not any(x["late"] for x in log)
    received = inbox[0].messages
    assert sorted(r[0][0] for r in received) == ["finance@rada.test", "zhkg@rada.test"]
    subject = received[0][1]["Subject"]
    assert subject.startswith(f"Рішення № {decision['number']}")
    attachment = next(received[0][1].iter_attachments())
    assert attachment.get_content() == TEXT + str(yes[0]).encode()

    # published: the public register, its text, open data (S3, R20)
    listed = (await (await client.get("/api/v1/decisions")).json())["decisions"]
    assert [d["number"] for d in listed] == [decision["number"]]
    assert "email" not in str(listed)
    assert (await client.get(f"/api/v1/decisions/{did}/text")).status == 200
    page = await (await client.get("/decisions")).text()
    assert decision["number"] in page
    csv_text = await (await client.get("/decisions.csv")).text()
    assert csv_text.splitlines()[0].startswith("number,title")

    # a second decision bounces (no such mailbox): shown, late after two days, corrected, sent
    if len(yes) > 1:
        second = await (await register(client, sid, yes[1])).json()
        assert second["number"].startswith("2-")
        await client.put(
            f"/api/v1/decisions/{second['id']}/distribution",
            headers=ADMIN,
            json={"executors": [{"name": "Служба у справах дітей", "email": "typo@rada.test"}]},
        )
        inbox[0].refuse = "550 5.1.1 No such mailbox"
        r = await chair.post(
            f"/api/v1/decisions/{second['id']}/signature", json={"sha256": second["sha256"]}
        )
        assert r.status == 201
        await distributor.run_once()
        clock.advance(days=3)
        entry = next(d for d in await office_log(client, sid) if d["id"] == second["id"])
        assert entry["deliveries"][0]["status"] == "bounced"
        assert entry["deliveries"][0]["last_error"].startswith("550") and entry["late"]
        page = await (await client.get(f"/sessions/{sid}/decisions", headers=ADMIN)).text()
        assert 'class="delivery bounced late"' in page and "550 5.1.1" in page
        inbox[0].refuse = None
        r = await client.post(
            f"/api/v1/decisions/{second['id']}/distribute",
            headers=ADMIN,
            json={"position": 1, "email": "children@rada.test"},
        )
        assert r.status == 200 and (await r.json())["queued"] == 1
        assert await distributor.run_once() == 1
        entry = next(d for d in await office_log(client, sid) if d["id"] == second["id"])
        assert entry["deliveries"][0]["status"] == "sent"
        assert entry["deliveries"][0]["attempts"] == 2
        assert entry["late"]  # delivered, but after the two days (S4)

    # the chain still verifies, and the protocol is as it was: the register's events are
    # outside its fold (a protocol finalised before them keeps its hash)
    r = await client.get(f"/api/v1/sessions/{sid}/journal/verify")
    assert r.status == 200 and (await r.json())["ok"] is True
    after = await (await client.get(f"/api/v1/sessions/{sid}/protocol", headers=ADMIN)).json()
    assert after["protocol"] == protocol_before


async def test_control_of_execution_due_overdue_reported_and_taken_off(
    client: Client, played: PlayedSession, sign_in: SignIn, clock: FakeClock
) -> None:
    """A signed decision goes under control with two executors; past a control date the office
    sees it overdue; a report clears that executor; taking it off control is journaled and
    refused twice (S5)."""
    sid = played.session_id
    yes, _ = adopted(played)
    decision = await (await register(client, sid, yes[0])).json()
    did = decision["id"]
    controls = {
        "controls": [
            {"executor": "Фінансове управління", "due_on": "2099-01-01"},
            {"executor": "Управління ЖКГ", "due_on": ""},
        ]
    }
    r = await client.put(f"/api/v1/decisions/{did}/control", headers=ADMIN, json=controls)
    assert r.status == 422 and (await r.json())["field"] == "controls[1].due_on"
    today = clock.now.date()
    controls["controls"][1]["due_on"] = (today + timedelta(days=3)).isoformat()
    controls["controls"][0]["due_on"] = (today + timedelta(days=30)).isoformat()
    r = await client.put(f"/api/v1/decisions/{did}/control", headers=ADMIN, json=controls)
    assert r.status == 409 and (await r.json())["code"] == "decision_not_signed"
    chair = await sign_in(str(sid), played.chair)
    r = await chair.post(f"/api/v1/decisions/{did}/signature", json={"sha256": decision["sha256"]})
    assert r.status == 201
    r = await client.put(f"/api/v1/decisions/{did}/control", headers=ADMIN, json=controls)
    assert r.status == 200, await r.text()
    assert [x["state"] for x in (await r.json())["executors"]] == ["pending", "due"]
    assert (
        await client.put(f"/api/v1/decisions/{did}/control", headers=ADMIN, json=controls)
    ).status == 409

    clock.advance(days=5)
    listed = await (await client.get("/api/v1/control", headers=ADMIN)).json()
    assert listed["overdue"] == 1
    [entry] = listed["decisions"]
    assert [x["state"] for x in entry["executors"]] == ["pending", "overdue"]
    late_one = entry["executors"][1]["position"]
    r = await client.post(
        f"/api/v1/decisions/{did}/control/{late_one}/reports",
        params={"filename": "zvit.pdf"},
        data=b"%PDF-1.4 executed\n%%EOF\n",
        headers={**ADMIN, "Content-Type": "application/octet-stream"},
    )
    assert r.status == 201, await r.text()
    r = await client.post(
        f"/api/v1/decisions/{did}/control/9/reports",
        params={"filename": "zvit.pdf"},
        data=b"%PDF-1.4\n",
        headers={**ADMIN, "Content-Type": "application/octet-stream"},
    )
    assert r.status == 404
    listed = await (await client.get("/api/v1/control", headers=ADMIN)).json()
    assert listed["overdue"] == 0
    assert [x["state"] for x in listed["decisions"][0]["executors"]] == ["pending", "reported"]

    r = await client.post(
        f"/api/v1/decisions/{did}/control/off", headers=ADMIN, json={"reason": "виконано"}
    )
    assert r.status == 201 and (await r.json())["type"] == "decision_off_control"
    r = await client.post(
        f"/api/v1/decisions/{did}/control/off", headers=ADMIN, json={"reason": "виконано"}
    )
    assert r.status == 409
    listed = await (await client.get("/api/v1/control", headers=ADMIN)).json()
    assert {x["state"] for x in listed["decisions"][0]["executors"]} == {"off"}
    r = await client.get(f"/api/v1/sessions/{sid}/journal", headers=ADMIN)
    kinds = [e["type"] for e in await r.json()]
    assert kinds.count("decision_controlled") == 1 and kinds.count("decision_reported") == 1
