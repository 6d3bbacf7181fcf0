"""Who said «не зможу» is the office's and the chair's, not the public's (P1, issue 16): the
public journal, the public session and its public pages carry no deputy's answer nor reason;
the forecast still has both."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient

from tests.fixtures.signin import SessionIds, SignIn

Client = TestClient[Any, Any]
REASON = "лікарняний до кінця тижня"


async def test_rsvps_are_on_no_public_page_or_feed(
    identity_client: Client, session_ids: SessionIds, sign_in: SignIn
) -> None:
    sid = session_ids.session_id
    absent, present = session_ids.deputies[0], session_ids.deputies[1]
    for pid, body in (
        (absent, {"answer": "absent", "reason": REASON}),
        (present, {"answer": "attend"}),
    ):
        deputy = await sign_in(sid, pid)
        r = await deputy.http.put(
            f"/api/v1/sessions/{sid}/attendance/mine", json=body, headers=deputy._headers(None)
        )
        assert r.status == 200, await r.text()
        assert "answer" not in (await r.json())["payload"]

    r = await identity_client.get(f"/api/v1/sessions/{sid}/journal")
    assert r.status == 200
    events = await r.json()
    answered = [e["payload"] for e in events if e["type"] == "attendance_answered"]
    assert sorted(p["participant_id"] for p in answered) == sorted([absent, present])
    assert all(set(p) == {"participant_id"} for p in answered)
    public = [json.dumps(events, ensure_ascii=False)]
    for path in (
        f"/api/v1/sessions/{sid}",
        f"/sessions/{sid}/watch",
        f"/sessions/{sid}/plan",
        f"/api/v1/sessions/{sid}/plan",
        "/archive",
        "/",
    ):
        r = await identity_client.get(path)
        assert r.status == 200, path
        public.append(await r.text())
    for text in public:
        assert REASON not in text and '"absent"' not in text and "не зможу" not in text.lower()
    assert (await identity_client.get(f"/api/v1/sessions/{sid}/attendance")).status == 401

    chair = await sign_in(sid, session_ids.chair)
    forecast = await (await chair.get(f"/api/v1/sessions/{sid}/attendance")).json()
    rows = {d["participant_id"]: d for d in forecast["deputies"]}
    assert (rows[absent]["answer"], rows[absent]["reason"]) == ("absent", REASON)
    assert rows[present]["answer"] == "attend"
