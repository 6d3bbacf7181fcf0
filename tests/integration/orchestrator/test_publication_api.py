"""Signing and publishing the protocol (R18, R19) and the public archive, over HTTP on a real
PostgreSQL: the journal records each act, the archive folder follows, ``rada verify`` agrees."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID
from xml.etree import ElementTree as ET

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from icalendar import Calendar

from orchestrator.app import create_app
from orchestrator.kernel.journal.chain import parse_time
from orchestrator.kernel.settings import Settings
from orchestrator.kernel.ukrainian import Gender, gender_of
from orchestrator.kernel.web.openapi import documented_routes
from orchestrator.protocol import api as publication_api
from orchestrator.protocol import verify
from tests.archive_seed import seed, write_media
from tests.fixtures.signin import Browser, FakeClock, SignIn
from tests.journal_builder import PlayedSession, play_session

Client = TestClient[Any, Any]
P7S = b"\x30\x82\x01\x00" + b"detached CMS signature made outside rada" * 4


@pytest.fixture
def played() -> PlayedSession:
    """A session that ended shortly before now (sign-in cookies expire by the wall clock)."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    return play_session(items=2, start=start)


@pytest.fixture
def identity_app(
    identity_settings: Settings,
    clock: FakeClock,
    identity_setup: Callable[[web.Application], None],
) -> web.Application:
    """The app with identity (personal-link sign-in) and the protocol package."""
    return create_app(
        identity_settings, clock=clock, extensions=[identity_setup, publication_api.setup]
    )


@pytest.fixture
async def archive_client(
    identity_client: Client,
    settings: Settings,
    pool: asyncpg.Pool,
    played: PlayedSession,
    clock: FakeClock,
) -> Client:
    """The running app with the played session stored and its recording in the media folder;
    the clock an hour after the session's last event."""
    # the session ends as planned; links stay valid through the 24-hour signing clock (R18)
    await seed(pool, played, planned_end=played.events[-1].at)
    write_media(settings.data_dir / "media", played)
    clock.set(played.events[-1].at + timedelta(hours=1))
    return identity_client


Act = Callable[..., Awaitable[Browser]]


@pytest.fixture
def act(archive_client: Client, sign_in: SignIn, played: PlayedSession) -> Act:
    """``await act(participant_id)`` → that participant's signed-in browser (real sign-in)."""
    browsers: dict[tuple[str, str], Browser] = {}

    async def get(participant_id: str, session_id: UUID | None = None) -> Browser:
        key = (str(session_id or played.session_id), participant_id)
        if key not in browsers:
            browsers[key] = await sign_in(*key)
        return browsers[key]

    return get


async def seed_another(
    pool: asyncpg.Pool,
    played: PlayedSession,
    other: PlayedSession,
    events: list[Any],
    status: str,
    number: int,
    planned_end: datetime | None = None,
) -> None:
    """A second session of the same council, cut to ``events``."""
    council_id = UUID(played.events[0].payload["council"]["id"])
    await seed(
        pool,
        other,
        events=events,
        council_id=council_id,
        status=status,
        number=number,
        planned_end=planned_end,
    )


def voter(played: PlayedSession) -> str:
    """A deputy who answered in the first vote."""
    answers = played.expected["0"]["answers"]
    return next(pid for pid in played.deputies if answers.get(pid) in ("for", "against"))


async def finalise(act: Act, played: PlayedSession) -> str:
    secretary = await act(played.secretary)
    r = await secretary.post(f"/api/v1/sessions/{played.session_id}/protocol/finalise")
    assert r.status == 201, await r.text()
    digest: str = (await r.json())["payload"]["protocol_sha256"]
    return digest


async def sign(
    act: Act, played: PlayedSession, pid: str, digest: str, p7s: bytes | None = None
) -> Any:
    body: dict[str, Any] = {"protocol_sha256": digest}
    if p7s is not None:
        body["p7s"] = base64.b64encode(p7s).decode()
    browser = await act(pid)
    return await browser.post(
        f"/api/v1/sessions/{played.session_id}/protocol/signatures", json=body
    )


async def test_finalise_sign_publish_journals_each_act_and_archive_verifies(
    archive_client: Client, act: Act, played: PlayedSession, settings: Settings
) -> None:
    """Secretary finalises, chair signs with a .p7s, a voter confirms, publish on time; the
    archive folder verifies and holds the signature file with the journaled hash (R18, R19)."""
    c = archive_client
    digest = await finalise(act, played)
    protocol_json = await c.get(f"/archive/sessions/{played.session_id}/files/protocol.json")
    assert hashlib.sha256(await protocol_json.read()).hexdigest() == digest

    r = await sign(act, played, played.chair, digest, P7S)
    assert r.status == 201, await r.text()
    assert (await r.json())["payload"] == {
        "by": played.chair,
        "role": "chair",
        "signature_sha256": hashlib.sha256(P7S).hexdigest(),
    }
    member = voter(played)
    r = await sign(act, played, member, digest)
    assert r.status == 201, await r.text()
    assert (await r.json())["payload"]["role"] == "member"

    secretary = await act(played.secretary)
    r = await secretary.post(f"/api/v1/sessions/{played.session_id}/protocol/publish")
    assert r.status == 201, await r.text()
    assert (await r.json())["payload"]["late"] is False

    status = await (await c.get(f"/api/v1/sessions/{played.session_id}/protocol/status")).json()
    assert status["chair_signed"] is True
    assert [s["role"] for s in status["signatures"]] == ["chair", "member"]
    assert status["published_at"] is not None
    assert status["late"] is False
    closed = next(e.at for e in played.events if e.type == "session_closed")
    left = closed + timedelta(hours=24) - (played.events[-1].at + timedelta(hours=1))
    assert status["remaining_seconds"] == int(left.total_seconds())

    folder = settings.data_dir / "archive" / str(played.session_id)
    assert (folder / f"signatures/{played.chair}.p7s").read_bytes() == P7S
    assert verify.verify_archive(folder, decode=False) == []  # synthetic parts: no pictures
    journal = json.loads((folder / "journal.json").read_bytes())
    assert [e["type"] for e in journal[-4:]] == [
        "protocol_finalised",
        "protocol_signed",
        "protocol_signed",
        "protocol_published",
    ]
    # the published archive verifies over HTTP too (rada verify URL)
    url = str(c.make_url(f"/archive/sessions/{played.session_id}/files"))
    assert await asyncio.to_thread(partial(verify.run, url, decode=False)) == 0


async def test_signing_is_refused_to_non_voters_wrong_hash_and_twice(
    archive_client: Client, act: Act, played: PlayedSession
) -> None:
    """R19: an absent deputy and a guest cannot sign; a stale hash and a second signature are
    refused; each refusal is problem+json with a stable code."""
    r = await sign(act, played, played.chair, "a" * 64)
    assert (r.status, (await r.json())["code"]) == (409, "not_finalised")
    digest = await finalise(act, played)
    absent = played.absent[0]
    r = await sign(act, played, absent, digest)
    assert (r.status, r.content_type) == (403, "application/problem+json")
    assert (await r.json())["code"] == "did_not_vote"
    guest = next(pid for pid, p in played.people.items() if p["kind"] == "guest")
    r = await sign(act, played, guest, digest)
    assert r.status == 403
    r = await sign(act, played, played.chair, "b" * 64)
    assert (r.status, (await r.json())["code"]) == (409, "protocol_changed")
    r = await sign(act, played, played.chair, digest)
    assert r.status == 201
    r = await sign(act, played, played.chair, digest)
    assert (r.status, (await r.json())["code"]) == (409, "already_signed")


async def test_acts_need_the_right_person(
    archive_client: Client, act: Act, played: PlayedSession
) -> None:
    """Finalising is the secretary's (R17); the public must sign in; publishing needs the chair's
    signature first."""
    c = archive_client
    base = f"/api/v1/sessions/{played.session_id}/protocol"
    r = await (await act(voter(played))).post(f"{base}/finalise")
    assert r.status == 403
    r = await c.post(f"{base}/finalise")
    assert r.status == 401
    await finalise(act, played)
    r = await (await act(played.secretary)).post(f"{base}/publish")
    assert (r.status, (await r.json())["code"]) == (409, "chair_not_signed")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"protocol_sha256": "XYZ"},
        {"protocol_sha256": "a" * 64, "p7s": "not base64!"},
        {"protocol_sha256": "a" * 64, "p7s": base64.b64encode(b"plain text").decode()},
        {"protocol_sha256": "a" * 64, "p7s": 12},
    ],
)
async def test_malformed_sign_requests_are_422(
    archive_client: Client, act: Act, played: PlayedSession, body: dict[str, Any]
) -> None:
    """A missing or malformed hash or signature file is refused before any state is read."""
    chair = await act(played.chair)
    r = await chair.post(f"/api/v1/sessions/{played.session_id}/protocol/signatures", json=body)
    assert (r.status, r.content_type) == (422, "application/problem+json")


async def test_publication_after_24_hours_is_marked_late(
    archive_client: Client, act: Act, played: PlayedSession, clock: FakeClock
) -> None:
    """R18: publishing more than 24 hours after the end is journaled and shown as late."""
    c = archive_client
    digest = await finalise(act, played)
    assert (await sign(act, played, played.chair, digest)).status == 201
    clock.now = played.events[-1].at + timedelta(hours=25)
    chair = await act(played.chair)
    r = await chair.post(f"/api/v1/sessions/{played.session_id}/protocol/publish")
    assert (await r.json())["payload"]["late"] is True
    page = await (await c.get(f"/archive/sessions/{played.session_id}")).text()
    assert "із запізненням" in page


async def test_archive_pages_list_session_and_serve_media_by_range(
    archive_client: Client, played: PlayedSession
) -> None:
    """The list shows the past session; its page has chapters, vote tables and downloads; a part
    is served with byte ranges; hidden or escaping paths are not served."""
    c = archive_client
    listing = await c.get("/archive")
    assert listing.status == 200
    text = await listing.text()
    assert f"/archive/sessions/{played.session_id}" in text
    assert "Проведені" in text
    page = await (await c.get(f"/archive/sessions/{played.session_id}")).text()
    assert 'data-chapter="vote-0"' in page
    assert 'kind="chapters"' in page
    assert "Поіменне голосування в алфавітному порядку прізвищ" in page
    assert "protocol.pdf" in page
    assert "motions.csv" in page
    base = f"/archive/sessions/{played.session_id}/files"
    part = played.part_contents["part-0001.mp4"]
    r = await c.get(f"{base}/parts/part-0001.mp4", headers={"Range": "bytes=10-19"})
    assert r.status == 206
    assert await r.read() == part[10:20]
    assert r.headers["Content-Range"] == f"bytes 10-19/{len(part)}"
    assert r.headers["Content-Type"] == "video/mp4"
    for bad in ("../../journal.json", ".journal-head", "parts/../../x"):
        assert (await c.get(f"{base}/{bad}")).status == 404
    vtt = await c.get(f"{base}/chapters.vtt")
    assert vtt.headers["Content-Type"].startswith("text/vtt")


async def test_deputy_page_shows_attendance_and_every_answer(
    archive_client: Client, played: PlayedSession
) -> None:
    """A deputy's page lists the session, presence and each answer they gave."""
    member = voter(played)
    member_id = played.people[member]["member_id"]
    page = await (await archive_client.get(f"/archive/deputies/{member_id}")).text()
    assert played.name(member) in page
    assert "Участь у засіданнях: 1 з 1" in page
    female = gender_of(played.people[member]["patronymic"]) is Gender.FEMALE
    answer = {"for": "за", "against": "проти", "abstain": "утрималася" if female else "утримався"}[
        played.expected["0"]["answers"][member]
    ]
    assert f'class="answer-{played.expected["0"]["answers"][member]}">{answer}<' in page
    absentee = played.people[played.absent[0]]
    page = await (await archive_client.get(f"/archive/deputies/{absentee['member_id']}")).text()
    # the word agrees with the deputy: Федоренко Ганна Василівна is «Відсутня»
    female = gender_of(absentee["patronymic"]) is Gender.FEMALE
    assert ("Відсутня." if female else "Відсутній.") in page


async def test_upcoming_session_is_announced_with_countdown_and_in_feeds(
    archive_client: Client, pool: asyncpg.Pool, played: PlayedSession, clock: FakeClock
) -> None:
    """An announced session (R3) is listed as upcoming with a countdown and appears in the Atom
    and iCalendar feeds; the feeds parse."""
    later = play_session(items=1, start=clock.now + timedelta(days=3), seed=99)
    announced = later.events[:3]
    assert announced[-1].type == "session_announced"
    await seed_another(pool, played, later, announced, "announced", 84)
    c = archive_client
    text = await (await c.get("/archive")).text()
    assert f"/archive/sessions/{later.session_id}" in text
    assert "data-countdown" in text
    page = await (await c.get(f"/archive/sessions/{later.session_id}")).text()
    assert '<h2 id="h-announce">Оголошення</h2>' in page
    feed = ET.fromstring(await (await c.get("/archive/feed.atom")).read())  # noqa: S314 - ours
    ns = {"a": "http://www.w3.org/2005/Atom"}
    ids = [e.findtext("a:id", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert f"urn:uuid:{later.session_id}" in ids
    r = await c.get("/archive/sessions.ics")
    assert r.content_type == "text/calendar"
    cal = Calendar.from_ical(await r.read())
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    event = events[f"{later.session_id}@rada"]
    assert event.decoded("DTSTART") == parse_time(later.events[0].payload["starts_at"])
    assert "Коростишівська" in str(event["SUMMARY"])


async def test_open_session_has_no_archive_files(
    archive_client: Client,
    act: Act,
    pool: asyncpg.Pool,
    played: PlayedSession,
    clock: FakeClock,
) -> None:
    """Before the session closes there is no archive folder to serve, and no finalising."""
    other = play_session(items=1, seed=5)
    opened = [e for e in other.events if e.seq <= 40]
    await seed_another(
        pool, played, other, opened, "opened", 85, planned_end=clock.now + timedelta(hours=3)
    )
    r = await archive_client.get(f"/archive/sessions/{other.session_id}/files/journal.json")
    assert r.status == 404
    secretary = await act(other.secretary, other.session_id)
    r = await secretary.post(f"/api/v1/sessions/{other.session_id}/protocol/finalise")
    assert (r.status, (await r.json())["code"]) == (409, "session_not_closed")
    assert (
        "Триває" in await (await archive_client.get(f"/archive/sessions/{other.session_id}")).text()
    )


async def test_protocol_routes_are_in_the_openapi_document(archive_client: Client) -> None:
    """Every protocol endpoint is documented and served in /api/v1/openapi.json."""
    routes = documented_routes(archive_client.app)
    protocol = [(m, p, note) for m, p, note in routes if "/protocol" in p]
    assert len(protocol) == 5
    assert all(note is not None for _, _, note in protocol)
    doc = await (await archive_client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/sessions/{session_id}/protocol/signatures" in doc["paths"]


async def test_archive_files_cannot_act_as_pages(
    archive_client: Client, played: PlayedSession, settings: Settings
) -> None:
    """A draft in the published folder is a download that runs nothing, whatever its type;
    the protocol's PDF and rada's own protocol.html show in place, the HTML in a sandbox that
    runs no script; every file is nosniff with a policy of its own."""
    c = archive_client
    base = f"/archive/sessions/{played.session_id}/files"
    pdf = await c.get(f"{base}/protocol.pdf")
    assert pdf.status == 200
    assert pdf.headers["Content-Disposition"].startswith("inline")
    assert "default-src 'none'" in pdf.headers["Content-Security-Policy"]
    drafts = settings.data_dir / "archive" / str(played.session_id) / "documents" / "d1"
    drafts.mkdir(parents=True, exist_ok=True)
    (drafts / "draft.html").write_text("<script>fetch('/api/v1/sessions')</script>")
    (drafts / "draft.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>')
    for name in ("draft.html", "draft.svg"):
        r = await c.get(f"{base}/documents/d1/{name}")
        assert r.status == 200
        assert r.headers["Content-Disposition"].startswith("attachment;")
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in r.headers["Content-Security-Policy"]
    html = await c.get(f"{base}/protocol.html")
    assert html.headers["Content-Disposition"].startswith("inline;")
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert "script-src" not in html.headers["Content-Security-Policy"]
