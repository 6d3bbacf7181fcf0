"""The public archive in headless Chromium on the running service: the list, a session page,
the recording (real MP4 parts made with ffmpeg) playing, and a vote's chapter seeking the player
to that vote's offset in the recording (R9). Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
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
from tests.journal_builder import PartFile, PlayedSession, play_session

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


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


@pytest.fixture
def media_played(settings: Settings) -> PlayedSession:
    """A short session whose recording is two real MP4 parts around a technical break."""
    staging = settings.data_dir / "media-staging"
    played = play_session(
        seats=7, items=2, absentees=1, step=timedelta(seconds=2), part_writer=mp4_writer(staging)
    )
    (staging / "manifest.json").write_bytes(played.manifest)
    folder = settings.data_dir / "media" / str(played.session_id)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(folder)
    return played


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
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--autoplay-policy=no-user-gesture-required", "--mute-audio"],
        )
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


async def test_live_session_page_follows_the_live_state(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    """During the session the page renders conduct's WebSocket snapshots (who is called, the
    tally, quorum, item status) in a polite live region; nothing is loaded from elsewhere."""
    from aiohttp import web
    from playwright.async_api import async_playwright

    played = play_session(seats=7, items=2, absentees=1, step=timedelta(seconds=2))
    opened_at = next(e.seq for e in played.events if e.type == "vote_opened")
    await seed(pool, played, events=played.events[:opened_at], status="opened")
    live_media(settings.data_dir / "media" / str(played.session_id), played.events[0].at)
    state = live_state(played)

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "snapshot", "seq": opened_at, "state": state})
        async for _ in ws:
            pass
        return ws

    async def live_handler(request: web.Request) -> web.Response:
        return web.json_response(state)

    def conduct_contract(app: web.Application) -> None:
        """Speaks shared/live-state.md the way conduct serves it (merged separately)."""
        app.router.add_get("/api/v1/sessions/{session_id}/ws", ws_handler)
        app.router.add_get("/api/v1/sessions/{session_id}/live", live_handler)

    app = create_app(settings, extensions=[publication_api.setup, conduct_contract])
    ARTIFACTS.mkdir(exist_ok=True)
    called = played.name(state["current_vote"]["called_participant_id"])
    async with TestServer(app) as srv, async_playwright() as pw:
        base = str(srv.make_url("")).rstrip("/")
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--autoplay-policy=no-user-gesture-required"]
        )
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
