"""What the public sees (R3, R12): an unannounced session is the administrator's alone, and
the public journal carries neither the Jitsi room nor an unknown occupant's typed name, while
it still verifies as published."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from orchestrator.kernel.journal.chain import event_from_public, verify_chain
from tests.conftest import ADMIN, make_council, make_session
from tests.fixtures.signin import SessionIds
from tests.integration.identity.test_jitsi import HOOK, PREFIX, occupant


async def test_unannounced_session_is_the_administrators_alone(
    identity_client: TestClient[Any, Any],
) -> None:
    """Convened but not announced: 404 to the public on every read, listed only for the admin."""
    council = await make_council(identity_client)
    sid = (await make_session(identity_client, council))["id"]
    for path in (f"/api/v1/sessions/{sid}", f"/api/v1/sessions/{sid}/journal",
                 f"/api/v1/sessions/{sid}/journal/verify", f"/api/v1/sessions/{sid}/live",
                 f"/api/v1/sessions/{sid}/protocol", f"/api/v1/sessions/{sid}/protocol/status"):  # fmt: skip
        r = await identity_client.get(path)
        assert r.status == 404, (path, await r.text())
        assert (await identity_client.get(path, headers=ADMIN)).status == 200, path
    public = await (await identity_client.get("/api/v1/sessions")).json()
    assert sid not in [s["id"] for s in public]
    admin = await (await identity_client.get("/api/v1/sessions", headers=ADMIN)).json()
    assert sid in [s["id"] for s in admin]
    r = await identity_client.post(f"/api/v1/sessions/{sid}/announce", headers=ADMIN)
    assert r.status == 200
    assert (await identity_client.get(f"/api/v1/sessions/{sid}")).status == 200
    assert (await identity_client.get(f"/api/v1/sessions/{sid}/live")).status == 200
    assert (await identity_client.get(f"/api/v1/sessions/{sid}/protocol")).status == 200


async def test_public_journal_has_no_room_and_no_unknown_names(
    identity_client: TestClient[Any, Any], session_ids: SessionIds
) -> None:
    """The room and a stranger's typed name (maybe an e-mail or a phone) stay out of the
    journal; what is published verifies; the administrator still sees the room."""
    sid = session_ids.session_id
    typed = "petro@example.org +380671234567"
    r = await identity_client.post(
        f"{PREFIX}/occupant/joined",
        json=occupant(session_ids.room, "stranger", typed),
        headers=HOOK,
    )
    assert r.status == 200
    published = await (await identity_client.get(f"/api/v1/sessions/{sid}/journal")).json()
    text = str(published)
    assert session_ids.room not in text
    assert "petro@example.org" not in text and "380671234567" not in text
    assert verify_chain([event_from_public(e) for e in published]) == []
    view = await (await identity_client.get(f"/api/v1/sessions/{sid}", headers=ADMIN)).json()
    assert view["room"] == session_ids.room
    assert "room" not in await (await identity_client.get(f"/api/v1/sessions/{sid}")).json()
