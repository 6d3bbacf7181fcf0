"""The plan (P1, P2) and attendance (P1, R7) over the running API, with real PostgreSQL."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pypdf
from aiohttp.test_utils import TestClient

from tests.conftest import ADMIN, make_council, make_session
from tests.fixtures.signin import FakeClock, SessionIds, SignIn, convene

Client = TestClient[Any, Any]


async def test_plan_is_made_at_convening_from_the_councils_template(
    identity_client: Client,
) -> None:
    """A session convened after the council edited its template gets that template; one
    convened before keeps the built-in one (the plan is frozen at convening, S1)."""
    council_id = await make_council(identity_client)
    before = await make_session(identity_client, council_id, number=1)
    measures = [
        {"key": "hall", "title": "Підготувати зал", "responsible": "Господарчий відділ",
         "offset_days": -1, "at": "12:00"},
        {"key": "announce", "title": "Оприлюднити порядок денний", "responsible": "Прес-служба",
         "offset_days": -3, "at": "09:00", "auto": "announce"},
    ]  # fmt: skip
    r = await identity_client.put(
        f"/api/v1/councils/{council_id}/plan-template", headers=ADMIN, json={"measures": measures}
    )
    assert r.status == 200, await r.text()
    after = await make_session(identity_client, council_id, number=2)
    r = await identity_client.get(f"/api/v1/sessions/{after['id']}/plan", headers=ADMIN)
    assert [m["key"] for m in (await r.json())["measures"]] == ["hall", "announce"]
    r = await identity_client.get(f"/api/v1/sessions/{before['id']}/plan", headers=ADMIN)
    body = await r.json()
    assert len(body["measures"]) == 12 and body["measures"][0]["key"] == "announce"
    # not announced yet: the plan is the office's alone
    r = await identity_client.get(f"/api/v1/sessions/{after['id']}/plan")
    assert r.status == 404


async def test_plan_ticks_overdue_and_pdf_table(
    identity_client: Client, session_ids: SessionIds, sign_in: SignIn, clock: FakeClock
) -> None:
    """Announcing ticks rada's measures; the secretary ticks one; a day later the measures due
    are overdue on the page; the PDF's table reads №, захід, термін, відповідальні (P1, P2)."""
    sid = session_ids.session_id
    secretary = await sign_in(sid, session_ids.secretary)
    r = await secretary.post(f"/api/v1/sessions/{sid}/plan/measures/packets/done")
    assert r.status == 201, await r.text()
    r = await secretary.post(f"/api/v1/sessions/{sid}/plan/measures/packets/done")
    assert r.status == 409
    deputy = await sign_in(sid, session_ids.deputies[0])
    r = await deputy.post(f"/api/v1/sessions/{sid}/plan/measures/script/done")
    assert r.status == 403
    clock.set(session_ids.starts_at - timedelta(hours=1))
    r = await identity_client.get(f"/api/v1/sessions/{sid}/plan")
    assert r.status == 200
    states = {m["key"]: m["state"] for m in (await r.json())["measures"]}
    assert states["announce"] == states["notify"] == states["packets"] == "done"
    assert states["script"] == states["check"] == "overdue"
    assert states["sign"] == states["distribute"] == "due"
    page = await (await identity_client.get(f"/sessions/{sid}/plan")).text()
    assert 'class="measure overdue" data-key="script"' in page
    assert (
        "проведення I (позачергової) сесії Коростишівської міської ради восьмого скликання" in page
    )
    r = await identity_client.get(f"/sessions/{sid}/plan.pdf")
    assert r.status == 200 and r.content_type == "application/pdf"
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(await r.read())).pages)
    flat = " ".join(text.split())
    assert "№ Захід Термін Відповідальні Стан" in flat
    assert "Сформувати пакети документів для депутатів і запрошених" in flat
    assert "Коростишівської міської ради восьмого скликання" in flat
    assert "прострочено" in flat and "виконано" in flat


async def test_rsvp_forecast_below_quorum_warns_the_day_before(
    identity_client: Client, session_ids: SessionIds, sign_in: SignIn, clock: FakeClock
) -> None:
    """Deputies answer «буду» / «не зможу» (a reason required); the forecast counts them
    against quorum and, the day before, warns that it is below quorum (P1, R7)."""
    sid = session_ids.session_id
    first = await sign_in(sid, session_ids.deputies[0])
    second = await sign_in(sid, session_ids.deputies[1])
    r = await first.http.put(
        f"/api/v1/sessions/{sid}/attendance/mine", json={"answer": "attend"},
        headers=first._headers(None),
    )  # fmt: skip
    assert r.status == 200, await r.text()
    r = await second.http.put(
        f"/api/v1/sessions/{sid}/attendance/mine", json={"answer": "absent"},
        headers=second._headers(None),
    )  # fmt: skip
    assert r.status == 422 and (await r.json())["field"] == "reason"
    r = await second.http.put(
        f"/api/v1/sessions/{sid}/attendance/mine",
        json={"answer": "absent", "reason": "відрядження"},
        headers=second._headers(None),
    )
    assert r.status == 200
    guest = await sign_in(sid, session_ids.guest)
    r = await guest.http.put(
        f"/api/v1/sessions/{sid}/attendance/mine", json={"answer": "attend"},
        headers=guest._headers(None),
    )  # fmt: skip
    assert r.status == 403
    chair = await sign_in(sid, session_ids.chair)
    body = await (await chair.get(f"/api/v1/sessions/{sid}/attendance")).json()
    assert (body["attend"], body["absent"], body["required"]) == (1, 1, 14)
    assert body["below_quorum"] and not body["warning"]  # two days ahead: no warning yet
    reasons = {d["name"]: d["reason"] for d in body["deputies"] if d["answer"]}
    assert "відрядження" in reasons.values()
    assert (await first.get(f"/api/v1/sessions/{sid}/attendance")).status == 403
    clock.set(session_ids.starts_at - timedelta(hours=20))
    body = await (await chair.get(f"/api/v1/sessions/{sid}/attendance")).json()
    assert body["warning"] and "Кворуму може не бути" in body["warning_uk"]
    page = await (await chair.get(f"/sessions/{sid}/attendance")).text()
    assert 'id="quorum-warning"' in page
    script = await (await identity_client.get(f"/api/v1/sessions/{sid}/script")).json()
    headings = [s["heading"] for s in script["steps"]]
    assert headings[:3] == ["Відкриття", "Ідентифікація учасників", "Кворум"]
    assert "Поіменне голосування з питання 2" in headings


async def test_another_councils_session_plans_are_apart(identity_client: Client) -> None:
    """Two sessions of two councils each get their own plan row (trigger at convening)."""
    a = await convene(identity_client, number=1)
    b = await convene(identity_client, number=1)
    for ids in (a, b):
        r = await identity_client.get(f"/api/v1/sessions/{ids.session_id}/plan")
        assert r.status == 200
