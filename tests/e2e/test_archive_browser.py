"""The public archive in headless Chromium on the running service: the list, a session page,
the recording (real MP4 parts made with ffmpeg) playing, and a vote's chapter seeking the player
to that vote's offset in the recording (R9). Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from orchestrator.app import create_app
from orchestrator.protocol import build
from orchestrator.publication import api as publication_api
from orchestrator.settings import Settings
from recording.binary import ffmpeg_path
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


def mp4_writer(folder: Path) -> Any:
    """A part writer that encodes a real H.264 MP4 of the part's duration with ffmpeg."""
    (folder / "parts").mkdir(parents=True, exist_ok=True)

    def write(part: int, duration_ms: int) -> PartFile:
        name = f"part-{part:04d}.mp4"
        target = folder / "parts" / name
        subprocess.run(
            [
                ffmpeg_path(),
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=160x90:rate=5",
                "-t",
                f"{duration_ms / 1000:.3f}",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
                "-g",
                "5",
                "-movflags",
                "+faststart",
                str(target),
            ],
            check=True,
            timeout=120,
        )
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
            await page.keyboard.press("Enter")  # keyboard use (issue 6, item 6)
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
    assert track.endswith("/chapters/part-0002.vtt")  # chapters and captions follow the part
    # seeking lands on the vote's offset; playback may have moved it on by a moment since
    assert vote.offset.ms <= position <= vote.offset.ms + 1500
    assert vote.offset.part_ms / 1000 <= current <= vote.offset.part_ms / 1000 + 1.5
