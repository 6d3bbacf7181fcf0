"""Signing and publishing the protocol (R18, R19) and the public archive, over HTTP on a real
PostgreSQL: the journal records each act, the archive folder follows, ``rada verify`` agrees."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from xml.etree import ElementTree as ET

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from icalendar import Calendar

from orchestrator import verify
from orchestrator.app import create_app
from orchestrator.auth import AUTHENTICATOR, PUBLIC, Principal, Role
from orchestrator.journal import parse_time
from orchestrator.publication import api as publication_api
from orchestrator.settings import Settings
from tests.archive_seed import seed, write_media
from tests.journal_builder import PlayedSession, play_session

Client = TestClient[Any, Any]
P7S = b"\x30\x82\x01\x00" + b"detached CMS signature made outside rada" * 4


class Clock:
    """The service's clock, moved by the test (never the wall clock)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def bearer_participants(request: web.Request) -> Principal:
    """Stand-in for the identity package's authenticator: ``Bearer <session>:<participant>:<role>``."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return PUBLIC
    session_id, participant_id, role = header.removeprefix("Bearer ").split(":")
    return Principal("participant", UUID(session_id), UUID(participant_id), Role(role))


@pytest.fixture
def played() -> PlayedSession:
    return play_session(items=2)


@pytest.fixture
def clock(played: PlayedSession) -> Clock:
    return Clock(played.events[-1].at + timedelta(hours=1))


@pytest.fixture
async def archive_client(
    settings: Settings, pool: asyncpg.Pool, played: PlayedSession, clock: Clock
) -> AsyncIterator[Client]:
    await seed(pool, played)
    write_media(settings.data_dir / "media", played)
    app = create_app(settings, clock=clock, extensions=[publication_api.setup])
    app[AUTHENTICATOR] = bearer_participants
    async with TestClient(TestServer(app)) as c:
        yield c


async def seed_another(
    pool: asyncpg.Pool,
    played: PlayedSession,
    other: PlayedSession,
    events: list[Any],
    status: str,
    number: int,
) -> None:
    """A second session of the same council, cut to ``events``."""
    council_id = UUID(played.events[0].payload["council"]["id"])
    await seed(pool, other, events=events, council_id=council_id, status=status, number=number)


def auth(played: PlayedSession, pid: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {played.session_id}:{pid}:{role}"}


def voter(played: PlayedSession) -> str:
    """A deputy who answered in the first vote."""
    answers = played.expected["0"]["answers"]
    return next(pid for pid in played.deputies if answers.get(pid) in ("for", "against"))


async def finalise(c: Client, played: PlayedSession) -> str:
    r = await c.post(
        f"/api/v1/sessions/{played.session_id}/protocol/finalise",
        headers=auth(played, played.secretary, "secretary"),
    )
    assert r.status == 201, await r.text()
    digest: str = (await r.json())["payload"]["protocol_sha256"]
    return digest


async def sign(
    c: Client, played: PlayedSession, pid: str, role: str, digest: str, p7s: bytes | None = None
) -> Any:
    body: dict[str, Any] = {"protocol_sha256": digest}
    if p7s is not None:
        body["p7s"] = base64.b64encode(p7s).decode()
    return await c.post(
        f"/api/v1/sessions/{played.session_id}/protocol/signatures",
        json=body,
        headers=auth(played, pid, role),
    )


async def test_finalise_sign_publish_journals_each_act_and_archive_verifies(
    archive_client: Client, played: PlayedSession, settings: Settings
) -> None:
    """Secretary finalises, chair signs with a .p7s, a voter confirms, publish on time; the
    archive folder verifies and holds the signature file with the journaled hash (R18, R19)."""
    c = archive_client
    digest = await finalise(c, played)
    protocol_json = await c.get(f"/archive/sessions/{played.session_id}/files/protocol.json")
    assert hashlib.sha256(await protocol_json.read()).hexdigest() == digest

    r = await sign(c, played, played.chair, "chair", digest, P7S)
    assert r.status == 201, await r.text()
    assert (await r.json())["payload"] == {
        "by": played.chair,
        "role": "chair",
        "signature_sha256": hashlib.sha256(P7S).hexdigest(),
    }
    member = voter(played)
    r = await sign(c, played, member, "deputy", digest)
    assert r.status == 201, await r.text()
    assert (await r.json())["payload"]["role"] == "member"

    r = await c.post(
        f"/api/v1/sessions/{played.session_id}/protocol/publish",
        headers=auth(played, played.secretary, "secretary"),
    )
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
    assert verify.verify_archive(folder) == []
    journal = json.loads((folder / "journal.json").read_bytes())
    assert [e["type"] for e in journal[-4:]] == [
        "protocol_finalised",
        "protocol_signed",
        "protocol_signed",
        "protocol_published",
    ]
    # the published archive verifies over HTTP too (rada verify URL)
    url = str(c.make_url(f"/archive/sessions/{played.session_id}/files"))
    assert await asyncio.to_thread(verify.run, url) == 0


async def test_signing_is_refused_to_non_voters_wrong_hash_and_twice(
    archive_client: Client, played: PlayedSession
) -> None:
    """R19: an absent deputy and a guest cannot sign; a stale hash and a second signature are
    refused; each refusal is problem+json with a stable code."""
    c = archive_client
    r = await sign(c, played, played.chair, "chair", "a" * 64)
    assert (r.status, (await r.json())["code"]) == (409, "not_finalised")
    digest = await finalise(c, played)
    absent = played.absent[0]
    r = await sign(c, played, absent, "deputy", digest)
    assert (r.status, r.content_type) == (403, "application/problem+json")
    assert (await r.json())["code"] == "did_not_vote"
    guest = next(pid for pid, p in played.people.items() if p["kind"] == "guest")
    r = await sign(c, played, guest, "guest", digest)
    assert r.status == 403
    r = await sign(c, played, played.chair, "chair", "b" * 64)
    assert (r.status, (await r.json())["code"]) == (409, "protocol_changed")
    r = await sign(c, played, played.chair, "chair", digest)
    assert r.status == 201
    r = await sign(c, played, played.chair, "chair", digest)
    assert (r.status, (await r.json())["code"]) == (409, "already_signed")


async def test_acts_need_the_right_person(archive_client: Client, played: PlayedSession) -> None:
    """Finalising is the secretary's (R17); the public must sign in; publishing needs the chair's
    signature first."""
    c = archive_client
    base = f"/api/v1/sessions/{played.session_id}/protocol"
    r = await c.post(f"{base}/finalise", headers=auth(played, voter(played), "deputy"))
    assert r.status == 403
    r = await c.post(f"{base}/finalise")
    assert r.status == 401
    await finalise(c, played)
    r = await c.post(f"{base}/publish", headers=auth(played, played.secretary, "secretary"))
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
    archive_client: Client, played: PlayedSession, body: dict[str, Any]
) -> None:
    """A missing or malformed hash or signature file is refused before any state is read."""
    r = await archive_client.post(
        f"/api/v1/sessions/{played.session_id}/protocol/signatures",
        json=body,
        headers=auth(played, played.chair, "chair"),
    )
    assert (r.status, r.content_type) == (422, "application/problem+json")


async def test_publication_after_24_hours_is_marked_late(
    archive_client: Client, played: PlayedSession, clock: Clock
) -> None:
    """R18: publishing more than 24 hours after the end is journaled and shown as late."""
    c = archive_client
    digest = await finalise(c, played)
    assert (await sign(c, played, played.chair, "chair", digest)).status == 201
    clock.now = played.events[-1].at + timedelta(hours=25)
    r = await c.post(
        f"/api/v1/sessions/{played.session_id}/protocol/publish",
        headers=auth(played, played.chair, "chair"),
    )
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
    assert "Поіменне голосування в порядку виклику" in page
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
    answer = {"for": "за", "against": "проти", "abstain": "утримався"}[
        played.expected["0"]["answers"][member]
    ]
    assert f'class="answer-{played.expected["0"]["answers"][member]}">{answer}<' in page
    absent = played.people[played.absent[0]]["member_id"]
    page = await (await archive_client.get(f"/archive/deputies/{absent}")).text()
    assert "Відсутній." in page


async def test_upcoming_session_is_announced_with_countdown_and_in_feeds(
    archive_client: Client, pool: asyncpg.Pool, played: PlayedSession, clock: Clock
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
    assert "Оголошення (R3)" in page
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
    archive_client: Client, pool: asyncpg.Pool, played: PlayedSession
) -> None:
    """Before the session closes there is no archive folder to serve, and no finalising."""
    other = play_session(items=1, seed=5)
    opened = [e for e in other.events if e.seq <= 40]
    await seed_another(pool, played, other, opened, "opened", 85)
    r = await archive_client.get(f"/archive/sessions/{other.session_id}/files/journal.json")
    assert r.status == 404
    r = await archive_client.post(
        f"/api/v1/sessions/{other.session_id}/protocol/finalise",
        headers={"Authorization": f"Bearer {other.session_id}:{other.secretary}:secretary"},
    )
    assert (r.status, (await r.json())["code"]) == (409, "session_not_closed")
    assert (
        "Триває" in await (await archive_client.get(f"/archive/sessions/{other.session_id}")).text()
    )
