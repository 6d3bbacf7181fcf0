"""Archive media throughput: a recording part served by the public archive route
(``/archive/sessions/{id}/files/parts/…``: session lookup, journal-head check, FileResponse with
byte ranges) next to a minimal static aiohttp handler serving the same file (the baseline, same
process, same loopback). Prints MB/s for whole-file downloads and requests/s for 1 MiB ranges.

    .venv/bin/python bench/archive_media.py [--size-mb 200] [--rounds 5] [--ranges 200]

Needs nothing running: it starts rada's embedded PostgreSQL in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from orchestrator.app import create_app
from orchestrator.kernel import database
from orchestrator.kernel.settings import DatabaseSettings, HttpSettings, RecordingSettings, Settings
from orchestrator.protocol import api as publication_api
from tests.archive_seed import seed
from tests.journal_builder import PartFile, play_session

MiB = 1024 * 1024


def big_parts(folder: Path, size: int):  # type: ignore[no-untyped-def]
    (folder / "parts").mkdir(parents=True, exist_ok=True)

    def write(part: int, duration_ms: int) -> PartFile:
        name = f"part-{part:04d}.mp4"
        digest = hashlib.sha256()
        with (folder / "parts" / name).open("wb") as f:
            for _ in range(size // MiB):
                chunk = os.urandom(MiB)
                digest.update(chunk)
                f.write(chunk)
        return PartFile(name, size // MiB * MiB, digest.hexdigest())

    return write


async def measure(base: str, path: str, size: int, rounds: int, ranges: int) -> tuple[float, float]:
    async with aiohttp.ClientSession() as http:
        start = time.perf_counter()
        for _ in range(rounds):
            async with http.get(base + path) as r:
                assert r.status == 200, r.status
                got = 0
                async for chunk in r.content.iter_chunked(MiB):
                    got += len(chunk)
                assert got == size
        whole = rounds * size / MiB / (time.perf_counter() - start)
        start = time.perf_counter()
        for k in range(ranges):
            offset = (k * 7 * MiB) % (size - MiB)
            headers = {"Range": f"bytes={offset}-{offset + MiB - 1}"}
            async with http.get(base + path, headers=headers) as r:
                assert r.status == 206, r.status
                assert len(await r.read()) == MiB
        per_second = ranges / (time.perf_counter() - start)
    return whole, per_second


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ranges", type=int, default=200)
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    size = args.size_mb * MiB
    with tempfile.TemporaryDirectory(prefix="radabench") as tmp:
        root = Path(tmp)
        pg = database.EmbeddedPostgres(root / "pg")
        url = pg.start()
        try:
            staging = root / "data" / "staging"
            played = play_session(
                items=1,
                seats=7,
                absentees=1,
                step=timedelta(seconds=2),
                part_writer=big_parts(staging, size),
            )
            (staging / "manifest.json").write_bytes(played.manifest)
            media = root / "data" / "media" / str(played.session_id)
            media.parent.mkdir(parents=True)
            staging.rename(media)
            settings = Settings(
                data_dir=root / "data",
                database=DatabaseSettings(url=url),
                http=HttpSettings(public_url="http://127.0.0.1"),
                recording=RecordingSettings(enabled=False),  # no recorder wired: none sealing
            )
            app = create_app(settings, extensions=[publication_api.setup])
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            pool = await database.create_pool(url, settings.database)
            try:
                await seed(pool, played)
            finally:
                await pool.close()
            port = runner.addresses[0][1]
            path = f"/archive/sessions/{played.session_id}/files/parts/part-0001.mp4"
            archive_base = f"http://127.0.0.1:{port}"
            page = archive_base + f"/archive/sessions/{played.session_id}"
            async with aiohttp.ClientSession() as http, http.get(page) as r:  # builds the archive
                assert r.status == 200, await r.text()
            served = root / "data" / "archive" / str(played.session_id) / "parts/part-0001.mp4"

            async def static(request: web.Request) -> web.FileResponse:
                return web.FileResponse(served)

            baseline = web.Application()
            baseline.router.add_get("/file", static)
            base_runner = web.AppRunner(baseline, access_log=None)
            await base_runner.setup()
            base_site = web.TCPSite(base_runner, "127.0.0.1", 0)
            await base_site.start()
            static_base = f"http://127.0.0.1:{base_runner.addresses[0][1]}"

            await measure(static_base, "/file", size, 1, 10)  # warm the page cache and both
            await measure(archive_base, path, size, 1, 10)
            static_runs, archive_runs = [], []
            for _ in range(args.trials):  # interleaved, best of each: the machine is shared
                static_runs.append(
                    await measure(static_base, "/file", size, args.rounds, args.ranges)
                )
                archive_runs.append(
                    await measure(archive_base, path, size, args.rounds, args.ranges)
                )
            s_whole = max(r[0] for r in static_runs)
            s_ranges = max(r[1] for r in static_runs)
            a_whole = max(r[0] for r in archive_runs)
            a_ranges = max(r[1] for r in archive_runs)
            print(
                f"file: {args.size_mb} MiB, {args.rounds} whole downloads, "
                f"{args.ranges} 1 MiB range requests, best of {args.trials} interleaved trials"
            )
            print(f"static handler (baseline): {s_whole:8.1f} MiB/s  {s_ranges:7.1f} ranges/s")
            print(f"archive route:             {a_whole:8.1f} MiB/s  {a_ranges:7.1f} ranges/s")
            print(
                f"ratio archive/static: whole {a_whole / s_whole:.2f}, "
                f"ranges {a_ranges / s_ranges:.2f}"
            )
            await base_runner.cleanup()
            await runner.cleanup()
        finally:
            pg.stop()


if __name__ == "__main__":
    asyncio.run(main())
