"""The public archive in headless Chromium on the running service: the list, a session page,
the recording (real MP4 parts made with ffmpeg) playing, and a vote's chapter seeking the player
to that vote's offset in the recording (R9). Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from orchestrator.app import create_app
from orchestrator.kernel.ffmpeg import ffmpeg_path
from orchestrator.kernel.settings import Settings
from orchestrator.protocol import api as publication_api
from orchestrator.protocol.model import build
from tests.archive_seed import seed
from tests.fixtures.browser import ARTIFACTS, NEEDS_CHROMIUM, launch
from tests.journal_builder import PartFile, PlayedSession, play_session

pytestmark = [*NEEDS_CHROMIUM, pytest.mark.slow]


def encode(seconds: float, rate: int, *output: str) -> None:
    """A test-pattern H.264 clip of ``seconds`` (keyframe every second) into ``output``."""
    subprocess.run(
        [
            *(ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-y"),
            *("-f", "lavfi", "-i", f"testsrc2=size=160x90:rate={rate}", "-t", f"{seconds:.3f}"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(rate)),
            *output,
        ],
        check=True,
        timeout=120,
    )


def mp4_writer(folder: Path) -> Any:
    """A part writer that encodes a real H.264 MP4 of the part's duration with ffmpeg."""
    (folder / "parts").mkdir(parents=True, exist_ok=True)

    def write(part: int, duration_ms: int) -> PartFile:
        name = f"part-{part:04d}.mp4"
        target = folder / "parts" / name
        encode(duration_ms / 1000, 5, "-movflags", "+faststart", str(target))
        data = target.read_bytes()
        return PartFile(name, len(data), hashlib.sha256(data).hexdigest())

    return write


def recorded(
    settings: Settings, writer: Any, files: dict[str, bytes] | None = None
) -> PlayedSession:
    """A short session (two parts around a technical break) whose parts ``writer`` writes
    into ``media-staging/``, moved to the session's media folder with the manifest and the
    recorder's ``files``."""
    staging = settings.data_dir / "media-staging"
    played = play_session(
        seats=7,
        items=2,
        absentees=1,
        step=timedelta(seconds=2),
        part_writer=writer,
        recorder_files=files,
    )
    (staging / "manifest.json").write_bytes(played.manifest)
    for name, data in (files or {}).items():
        (staging / name).write_bytes(data)
    folder = settings.data_dir / "media" / str(played.session_id)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(folder)
    return played


@pytest.fixture
def media_played(settings: Settings) -> PlayedSession:
    """A short session whose recording is two real MP4 parts around a technical break."""
    return recorded(settings, mp4_writer(settings.data_dir / "media-staging"))


@pytest.fixture
async def server(
    settings: Settings, pool: asyncpg.Pool, media_played: PlayedSession
) -> AsyncIterator[TestServer]:
    await seed(pool, media_played)
    app = create_app(settings, extensions=[publication_api.setup])
    async with TestServer(app) as srv:
        yield srv


async def test_session_page_plays_and_a_vote_chapter_seeks_to_its_offset(
    server: TestServer, media_played: PlayedSession
) -> None:
    """Load /archive, open the session, play, click the vote after the break: the player is in
    part 2 at exactly that vote's offset."""
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    p = build(media_played.events)
    vote = p.items[1].vote
    assert vote is not None
    assert vote.offset is not None
    assert vote.offset.part == 2
    base = str(server.make_url(""))
    async with async_playwright() as pw:
        browser = await launch(pw, "--autoplay-policy=no-user-gesture-required", "--mute-audio")
        try:
            page = await browser.new_page(viewport={"width": 412, "height": 915})
            requested: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            await page.goto(f"{base}/archive")
            await page.screenshot(path=ARTIFACTS / "archive-list.png", full_page=True)
            await page.get_by_role("link", name="засідання № 83", exact=False).click()
            await page.wait_for_selector("video#player")
            assert await page.locator("main").count() == 1
            await page.evaluate(
                "() => new Promise(r => { const v = document.getElementById('player');"
                " if (v.readyState >= 1) r(); else v.addEventListener('loadedmetadata', r); })"
            )
            await page.evaluate("() => document.getElementById('player').play()")
            await page.wait_for_function(
                "() => document.getElementById('player').currentTime > 0.3", timeout=15000
            )
            await page.screenshot(path=ARTIFACTS / "archive-session-playing.png")
            button = page.locator(f'button[data-chapter="vote-{vote.vote_id}"]')
            await button.focus()
            await page.keyboard.press("Enter")  # keyboard use
            await page.wait_for_function(
                "() => window.radaPlayer.part() === 2"
                " && document.getElementById('player').readyState >= 1",
                timeout=15000,
            )
            position = await page.evaluate("() => window.radaPlayer.position()")
            current = await page.evaluate("() => document.getElementById('player').currentTime")
            src = await page.evaluate("() => document.getElementById('player').currentSrc")
            track = await page.evaluate("() => document.querySelector('#player track').src")
            await page.screenshot(path=ARTIFACTS / "archive-session-vote-chapter.png")
        finally:
            await browser.close()
    assert src.endswith("/parts/part-0002.mp4")
    assert all(u.startswith(base) for u in requested)  # nothing loaded from outside
    assert track.endswith("/chapters/part-0002.vtt")  # chapters and captions follow the part
    # seeking lands on the vote's offset; playback may have moved it on by a moment since
    assert vote.offset.ms <= position <= vote.offset.ms + 1500
    assert vote.offset.part_ms / 1000 <= current <= vote.offset.part_ms / 1000 + 1.5


def hls_writer(folder: Path, recorder_files: dict[str, bytes]) -> Any:
    """A part writer that records as the recorder does (ffmpeg's HLS muxer: one fragmented MP4
    a part, 1 s fragments, a byte-range playlist) and keeps ``recorder_files["index.m3u8"]``,
    the archive's VOD playlist over the parts written so far."""
    from recording.media import hls

    (folder / "parts").mkdir(parents=True, exist_ok=True)
    scratch = folder / "playlists"
    scratch.mkdir(exist_ok=True)
    timelines: list[hls.PartTimeline] = []

    def write(part: int, duration_ms: int) -> PartFile:
        name = f"part-{part:04d}"
        target = folder / "parts" / f"{name}.mp4"
        encode(
            duration_ms / 1000,
            5,
            *("-f", "hls", "-hls_time", "1", "-hls_list_size", "0", "-hls_playlist_type", "vod"),
            *("-hls_segment_type", "fmp4", "-hls_flags", "single_file+independent_segments"),
            *("-hls_segment_filename", str(target), str(scratch / f"{name}.m3u8")),
        )
        playlist = hls.parse((scratch / f"{name}.m3u8").read_text())
        started = datetime(2026, 11, 23, 10, tzinfo=UTC) + timedelta(minutes=part)
        timelines.append(hls.PartTimeline(started, playlist))
        recorder_files["index.m3u8"] = hls.render(timelines, final=True).encode()
        data = target.read_bytes()
        return PartFile(target.name, len(data), hashlib.sha256(data).hexdigest())

    return write


@pytest.fixture
async def hls_server(
    settings: Settings, pool: asyncpg.Pool
) -> AsyncIterator[tuple[TestServer, PlayedSession]]:
    """The archive of a session recorded as the recorder records: two fMP4 parts around a
    technical break and the VOD playlist joining them."""
    files: dict[str, bytes] = {}
    staging = settings.data_dir / "media-staging"
    played = recorded(settings, hls_writer(staging, files), files)
    await seed(pool, played)
    app = create_app(settings, extensions=[publication_api.setup])
    async with TestServer(app) as srv:
        yield srv, played


async def test_the_archive_playlist_plays_in_chromium_and_a_vote_chapter_seeks_into_part_2(
    hls_server: tuple[TestServer, PlayedSession],
) -> None:
    """The session page plays the archive's VOD playlist through the bundled hls.js (Media
    Source Extensions; the browser's own HLS only where they are missing): one timeline over
    both parts; the vote after the break
    seeks the player to that vote's offset, in part 2, with no request to another host."""
    from playwright.async_api import async_playwright

    server, played = hls_server
    p = build(played.events)
    vote = p.items[1].vote
    assert vote is not None and vote.offset is not None and vote.offset.part == 2
    base = str(server.make_url("")).rstrip("/")
    async with async_playwright() as pw:
        browser = await launch(pw, "--autoplay-policy=no-user-gesture-required", "--mute-audio")
        try:
            page = await browser.new_page()
            requested: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{base}/archive/sessions/{played.session_id}")
            await page.evaluate("() => document.getElementById('player').play()")
            await page.wait_for_function(
                "() => document.getElementById('player').currentTime > 0.5", timeout=20000
            )
            await page.locator(f'button[data-chapter="vote-{vote.vote_id}"]').click()
            await page.wait_for_function(
                "() => { const v = document.getElementById('player');"
                f" return !v.seeking && v.readyState >= 3 && v.currentTime >= {vote.offset.ms / 1000}; }}",
                timeout=20000,
            )
            landed = await page.evaluate(
                "() => [window.radaPlayer.position(), window.radaPlayer.part(),"
                " document.getElementById('player').currentSrc]"
            )
            await page.screenshot(path=ARTIFACTS / "archive-session-hls-vote.png")
        finally:
            await browser.close()
    position, part, src = landed
    assert src.startswith("blob:")  # hls.js over Media Source Extensions, wherever they exist
    assert errors == []
    assert part == 2
    assert vote.offset.ms <= position <= vote.offset.ms + 1500
    files = f"{base}/archive/sessions/{played.session_id}/files"
    assert f"{files}/parts/index.m3u8" in requested
    assert f"{files}/parts/part-0002.mp4" in requested
    assert all(u.startswith(base) for u in requested)  # nothing loaded from outside


def live_media(folder: Path, started_at: datetime) -> None:
    """What the recorder writes while live: byte-range fMP4 HLS parts (8 s, then 2 s after a
    technical break) and ``live.m3u8`` joining them with a discontinuity."""
    from recording.media import hls

    folder.mkdir(parents=True, exist_ok=True)
    timelines = []
    for number, seconds in ((1, 8), (2, 2)):
        name = f"part-{number:04d}"
        encode(
            seconds,
            10,
            *("-f", "hls", "-hls_time", "1", "-hls_list_size", "0", "-hls_playlist_type", "event"),
            *("-hls_segment_type", "fmp4", "-hls_flags", "single_file+independent_segments"),
            *("-hls_segment_filename", str(folder / f"{name}.mp4"), str(folder / f"{name}.m3u8")),
        )
        part = hls.parse((folder / f"{name}.m3u8").read_text())
        timelines.append(hls.PartTimeline(started_at + timedelta(minutes=number), part))
    (folder / "live.m3u8").write_text(hls.render(timelines, final=False))


def live_state(played: PlayedSession) -> dict[str, Any]:
    """A snapshot as conduct sends it (shared/live-state.md): the first vote, third deputy called."""
    order = [pid for pid in played.expected["0"]["answers"]]
    return {
        "session_id": str(played.session_id),
        "title": "Позачергова дистанційна сесія",
        "number": 83,
        "phase": "voting",
        "agenda": [
            {
                "index": 0,
                "title": "Про бюджет",
                "category": "urgent_budget",
                "category_uk": "Невідкладні зміни до місцевого бюджету",
                "status": "voting",
            },
            {
                "index": 1,
                "title": "Про покрівлю",
                "category": "emergency_works",
                "category_uk": "Невідкладні роботи",
                "status": "pending",
            },
        ],
        "current_item": 0,
        "current_vote": {
            "vote_id": "0",
            "item": 0,
            "amendment": None,
            "order": order,
            "called_participant_id": order[2],
            "position": 3,
            "answers": {order[0]: "for", order[1]: "against"},
            "tally": {"for": 1, "against": 1, "abstain": 0, "not_voted": 0, "absent": 1},
            "required": 5,
        },
        "break": None,
        "quorum": {"present_deputies": 6, "total_composition": 7, "required": 4, "holds": True},
        "participants": [
            {
                "participant_id": pid,
                "name": played.name(pid),
                "role": p["role"],
                "present": True,
                "identified": True,
            }
            for pid, p in played.people.items()
        ],
        "recording": {"status": "receiving", "since": None, "parts": 1},
        "discussion": None,
    }


async def live_session(
    settings: Settings, pool: asyncpg.Pool
) -> tuple[PlayedSession, int, dict[str, Any]]:
    """A session stored up to its first vote's opening, the recorder's live files, and the live
    state conduct would send (the played session, the seq it stops at, the state)."""
    played = play_session(seats=7, items=2, absentees=1, step=timedelta(seconds=2))
    opened_at = next(e.seq for e in played.events if e.type == "vote_opened")
    await seed(pool, played, events=played.events[:opened_at], status="opened")
    live_media(settings.data_dir / "media" / str(played.session_id), played.events[0].at)
    return played, opened_at, live_state(played)


def conduct_contract(state: dict[str, Any], seq: int) -> Any:
    """A setup that speaks shared/live-state.md the way conduct serves it, with ``state``."""
    from aiohttp import web

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "snapshot", "seq": seq, "state": state})
        async for _ in ws:
            pass
        return ws

    async def live_handler(request: web.Request) -> web.Response:
        return web.json_response(state)

    def setup(app: web.Application) -> None:
        app.router.add_get("/api/v1/sessions/{session_id}/ws", ws_handler)
        app.router.add_get("/api/v1/sessions/{session_id}/live", live_handler)

    return setup


async def test_live_session_page_follows_the_live_state(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    """During the session the page renders conduct's WebSocket snapshots (who is called, the
    tally, quorum, item status) in a polite live region; nothing is loaded from elsewhere."""
    from playwright.async_api import async_playwright

    played, opened_at, state = await live_session(settings, pool)

    app = create_app(
        settings, extensions=[publication_api.setup, conduct_contract(state, opened_at)]
    )
    ARTIFACTS.mkdir(exist_ok=True)
    called = played.name(state["current_vote"]["called_participant_id"])
    async with TestServer(app) as srv, async_playwright() as pw:
        base = str(srv.make_url("")).rstrip("/")
        browser = await launch(pw, "--autoplay-policy=no-user-gesture-required")
        try:
            page = await browser.new_page()
            requested: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            await page.goto(f"{base}/archive/sessions/{played.session_id}")
            await page.wait_for_function(
                "() => document.querySelector('[data-live=phase]').textContent"
                " === 'поіменне голосування'",
                timeout=15000,
            )
            vote = await page.text_content("[data-live=vote]")
            item = await page.text_content('[data-live-item="0"]')
            quorum = await page.text_content("[data-live=quorum]")
            # the live broadcast plays through the bundled player (Media Source Extensions),
            # joining at the last three segments: across the break into part 2
            await page.wait_for_function(
                "() => { const v = document.getElementById('live-player');"
                " return v.buffered.length === 1 && v.buffered.end(0) - v.buffered.start(0) > 2.5"
                " && v.currentTime > v.buffered.start(0) + 1.2; }",
                timeout=20000,
            )
            live_src = await page.evaluate("() => document.getElementById('live-player').src")
            await page.screenshot(path=ARTIFACTS / "archive-session-live.png", full_page=True)
        finally:
            await browser.close()
    assert vote is not None
    assert f"викликано: {called}" in vote
    assert "за — 1, проти — 1" in vote
    assert item == "голосування"
    assert quorum == "присутні 6 з 7 (потрібно 4), кворум є"
    assert live_src.startswith("blob:")  # Media Source Extensions, not the native player
    assert requested
    assert all(u.startswith(base) or u.startswith("ws://127.0.0.1") for u in requested)


async def test_the_embed_page_plays_beside_the_live_vote_framed_only_by_a_listed_origin(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    """A council website on a listed origin frames /embed/sessions/{id}: the broadcast plays
    beside the live vote; the same page on an origin not listed gets no frame (CSP
    frame-ancestors), and nothing is loaded from a third host."""
    from aiohttp import web
    from playwright.async_api import async_playwright

    played, opened_at, state = await live_session(settings, pool)
    embed: dict[str, str] = {}

    async def website(request: web.Request) -> web.Response:
        body = (
            '<!doctype html><html lang="uk"><title>Сайт ради</title>'
            f'<iframe title="Трансляція" src="{embed["url"]}" width="960" height="540"></iframe>'
        )
        return web.Response(text=body, content_type="text/html")

    site_app = web.Application()
    site_app.router.add_get("/", website)
    async with TestServer(site_app) as site, async_playwright() as pw:
        listed = f"http://127.0.0.1:{site.port}"
        http = dataclasses.replace(settings.http, embed_origins=(listed,))
        app = create_app(
            dataclasses.replace(settings, http=http),
            extensions=[publication_api.setup, conduct_contract(state, opened_at)],
        )
        async with TestServer(app) as srv:
            base = str(srv.make_url("")).rstrip("/")
            embed["url"] = f"{base}/embed/sessions/{played.session_id}"
            browser = await launch(pw, "--autoplay-policy=no-user-gesture-required")
            try:
                page = await browser.new_page()
                requested: list[str] = []
                page.on("request", lambda r: requested.append(r.url))
                await page.goto(f"{listed}/")
                frame = next(f for f in page.frames if f.url == embed["url"])
                await frame.wait_for_function(
                    "() => document.querySelector('[data-live=phase]').textContent"
                    " === 'поіменне голосування'",
                    timeout=15000,
                )
                await frame.wait_for_function(
                    "() => document.getElementById('live-player').currentTime > 0.5",
                    timeout=20000,
                )
                vote = await frame.text_content("[data-live=vote]")
                await page.screenshot(path=ARTIFACTS / "embed-live.png")

                other = await browser.new_page()
                await other.goto(f"http://localhost:{site.port}/")  # another origin
                await other.wait_for_timeout(500)
                children = len(other.frames) - 1
                framed = [f for f in other.frames if f.url == embed["url"]]
                shown = [await f.evaluate("() => document.body.innerText") for f in framed]
            finally:
                await browser.close()
    called = played.name(state["current_vote"]["called_participant_id"])
    assert vote is not None and f"викликано: {called}" in vote
    assert children == 1  # the other origin's page has its frame, refused: nothing of ours
    assert all("засідання" not in text for text in shown)
    assert all(u.startswith((base, listed, "ws://127.0.0.1")) for u in requested)
