"""What ``rada demo`` shows before and after the sitting (issue 16): two deputies' answers
«буду» / «не зможу», one participant's failed «Перевірка зв’язку» and everyone's test token
for the short join (checked as Prosody's mod_muc_auth_ban asks rada: the demo has no Jitsi),
the recorder's ingest tested end to end (a short simulated call pushed with the session's stream
key, recorded as a test part outside the archive), the presiding script; then
two registered decisions with their numbers, signed by the presiding person and distributed to
their executors (delivered to the rehearsal's SMTP sink), and the plan with rada's own measures
ticked. Everything goes through the public HTTP API, as the office and the people would.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from orchestrator.kernel.ffmpeg import ffmpeg_path
from orchestrator.kernel.ukrainian import plural
from orchestrator.rehearsal.mailsink import MailSink
from recording.media.ingest import simulated_call_args

if TYPE_CHECKING:
    from orchestrator.rehearsal.play import Client, Player

WAIT_SECONDS = 60
STATUS_UK = {
    "listed": "у списку",
    "queued": "у черзі",
    "retrying": "повторна спроба",
    "sent": "доставлено",
    "bounced": "не доставлено",
}
EXECUTORS = (
    ("Фінансове управління", "finance@executors.rada.test"),
    ("Управління житлово-комунального господарства", "zhkg@executors.rada.test"),
)


async def before_sitting(player: Player) -> None:
    """Two deputies answer; one participant fails the technical check; the script is made."""
    base = f"/api/v1/sessions/{player.session_id}"
    deputies = [c for c in player.clients.values() if c.role == "deputy"]
    if len(deputies) >= 3:
        await deputies[0].put(f"{base}/attendance/mine", {"answer": "attend"})
        await deputies[1].put(
            f"{base}/attendance/mine",
            {"answer": "absent", "reason": "службове відрядження"},
        )
        forecast = await player.as_admin("GET", f"{base}/attendance")
        for d in forecast["deputies"]:
            if d["answer"]:
                reason = f" ({d['reason']})" if d["reason"] else ""
                player.log(f"присутність: {d['name']} — «{d['answer_uk']}»{reason}")
        player.log(
            f"прогноз: «буду» {forecast['attend']}, «не зможу» {forecast['absent']}, "
            f"без відповіді {forecast['unanswered']}; для кворуму {forecast['required']}"
        )
        joined = {c.participant_id: await test_join(player, c) for c in player.clients.values()}
        player.log(
            f"тестове під’єднання: пропуск до власної тестової кімнати прийнято для "
            f"{sum(joined.values())} із {len(joined)} учасників"
        )
        await deputies[2].post(
            f"{base}/connection-check",
            {"camera": True, "microphone": False, "joined": joined[deputies[2].participant_id]},
        )
        for c in player.clients.values():
            if c is not deputies[2]:
                await c.post(
                    f"{base}/connection-check",
                    {"camera": True, "microphone": True, "joined": joined[c.participant_id]},
                )
        checks = await player.as_admin("GET", f"{base}/connection-checks")
        failed = [p["name"] for p in checks["participants"] if p["checked_at"] and not p["passed"]]
        player.log(
            f"перевірка зв’язку: пройшли {checks['passed']}; не пройшли: {', '.join(failed)} "
            "(мікрофон не передає звук)"
        )
    await test_ingest(player)
    secretary = player.by_role("secretary")
    for measure in ("packets", "script", "check"):  # the office's own measures (P1)
        await secretary.post(f"{base}/plan/measures/{measure}/done")
    player.log(
        "секретар відмітив виконаними: пакети документів, порядок ведення, перевірку зв’язку"
    )
    script = await player.as_admin("GET", f"{base}/script")
    player.log(f"порядок ведення: {script['title']} — {len(script['steps'])} кроків")
    for step in script["steps"][:3]:
        player.log(f"  {step['no']}. {step['heading']}: {step['words'][:90]}…")


async def test_join(player: Player, client: Client) -> bool:
    """The participant's test token, and whether rada's access check (what Prosody's
    mod_muc_auth_ban asks) lets it into their own test room."""
    base = f"/api/v1/sessions/{player.session_id}"
    async with client.http.get(f"{base}/jitsi-test-token", headers=client.headers) as r:
        if r.status != 200:
            return False
        token = await r.json()
    async with client.http.get(
        "/api/v1/jitsi/access", headers={"Authorization": f"Bearer {token['jwt']}"}
    ) as r:
        body = await r.json(content_type=None)
    return bool(token["room"].startswith("radacheck-") and body.get("access") is True)


async def test_ingest(player: Player) -> None:
    """The office tests the recorder's ingest: three seconds of a simulated call pushed with the
    session's stream key; the test part's result as journaled (never in the archive)."""
    path = f"/api/v1/sessions/{player.session_id}/recording/ingest-test"
    try:
        started = await player.as_admin("POST", path)
    except Exception as exc:  # play.Refused (play imports this module): recording is off
        player.log(f"перевірка запису: не виконано ({getattr(exc, 'problem', {}).get('code')})")
        return
    publisher = await asyncio.create_subprocess_exec(
        *simulated_call_args(ffmpeg_path(""), started["url"], seconds=3, size="320x180"),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.wait_for(publisher.wait(), WAIT_SECONDS)
    for _ in range(WAIT_SECONDS * 2):
        results = (await player.as_admin("GET", path))["results"]
        if results:
            break
        await asyncio.sleep(0.5)
    else:
        player.log("перевірка запису: результату немає")
        return
    r = results[-1]
    outcome = "записано" if r["ok"] else "не записано"
    player.log(
        f"перевірка запису: тестову трансляцію {outcome} — "
        f"{plural(r['frames'], 'кадр', 'кадри', 'кадрів')}, "
        f"{r['duration_ms'] / 1000:.1f} с, SHA-256 {r['sha256'][:12]}…; до архіву не входить"
    )


async def after_sitting(player: Player, sink: MailSink | None) -> None:
    """Two adopted questions become decisions; signed, distributed; the plan as it stands."""
    base = f"/api/v1/sessions/{player.session_id}"
    protocol = (await player.as_admin("GET", f"{base}/protocol"))["protocol"]
    adopted = [
        item["number"]
        for item in protocol["agenda"]
        if item.get("vote") and item["vote"].get("adopted") is True
    ][:2]
    chair = player.by_role("chair")
    for number in adopted:
        text = f"%PDF-1.4\n% рішення з питання {number} з урахуванням поправок\n%%EOF\n"
        decision = await player.as_admin(
            "POST",
            f"{base}/decisions/{number}",
            params={"filename": f"rishennia-{number}.pdf"},
            data=text.encode(),
            headers={"Content-Type": "application/octet-stream"},
        )
        await player.as_admin(
            "PUT",
            f"/api/v1/decisions/{decision['id']}/distribution",
            json={"executors": [{"name": n, "email": e} for n, e in EXECUTORS]},
        )
        await chair.post(
            f"/api/v1/decisions/{decision['id']}/signature", {"sha256": decision["sha256"]}
        )
        player.log(
            f"рішення № {decision['number']} «{decision['title']}» зареєстровано й підписано"
        )
    for _ in range(WAIT_SECONDS * 2):
        log = (await player.as_admin("GET", f"{base}/decisions"))["decisions"]
        if all(x["status"] in ("sent", "bounced") for d in log for x in d["deliveries"]):
            break
        await asyncio.sleep(0.5)
    for d in log:
        for x in d["deliveries"]:
            player.log(
                f"розсилка № {d['number']}: {x['name']} — {STATUS_UK[x['status']]} "
                f"(спроб: {x['attempts']})"
            )
    if sink is not None:
        player.log(f"у поштовому сервері репетиції листів із рішеннями: {sink.decisions}")
    plan = await player.as_admin("GET", f"{base}/plan")
    player.log(plan["title"])
    for m in plan["measures"]:
        mark = "✓" if m["state"] == "done" else ("!" if m["state"] == "overdue" else " ")
        who = " — відмітила rada" if m["done_by"] == "rada" else ""
        player.log(f"  [{mark}] {m['no']}. {m['title']} — {m['deadline_uk']}{who}")
