"""Open-loop live fan-out: N sessions × C consoles, one answer per session every 3 s.

    python bench/live_open_loop.py [--sessions 100 500 1469] [--consoles 41] [--seconds 60]
                                   [--workers 2] [--client-processes 4]

For each N: a fresh database, the server (``bench/conduct_server.py``: rada with header
sign-in; ``--workers`` processes sharing one port), N councils of 40 seats plus the mayor, each
session open, everyone present and identified, one roll call open. The consoles (C WebSockets
per session, all of a session in one process) are spread over ``--client-processes`` separate
processes, each from its own loopback address (127.0.0.k: one address has only ~28,000
ephemeral ports). One more process answers: each session answers its roll call one deputy every
3 s (a random phase per session, so ≈ N/3 answers/s overall), whatever the server's pace (open
loop). Measured per answer: from sending the POST to the moment *every* console of that session
holds a frame at or after the answer's journal seq (clocks: CLOCK_MONOTONIC, the same in every
process). Prints p50/p99/max of that latency, answers/s achieved, the server's RSS (all its
processes) and CPU, each client process's CPU, and the machine's load (``/proc/loadavg``),
with p99 ratios to the first N.

File descriptors: every process raises its soft limit to the hard one; a server worker holds
about N×C/workers sockets, a client process N×C/client-processes. When they would not fit, the
run is skipped with a message naming the sizes (run fewer consoles per session, more workers or
more client processes, and say so).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from conduct_load import (  # noqa: E402
    ADMIN_TOKEN,
    SETUP_CONCURRENCY,
    BenchServer,
    _cpu_of,
    prepare,
    wait_workers,
)

from orchestrator.kernel import database  # noqa: E402

SEQ = re.compile(r'"seq": ?(\d+)')
PERIOD_SECONDS = 3.0
FD_SPARE = 300


def load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


def raise_fd_limit() -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


# --- the consoles (a separate process each) -----------------------------------------------------


def consoles_main(
    port: int,
    address: str,
    sessions: list[tuple[str, int]],
    ready: Any,
    go: Any,
    stop: Any,
    out: Any,
) -> None:
    raise_fd_limit()
    out.put(asyncio.run(_consoles(port, address, sessions, ready, go, stop)))


async def _consoles(
    port: int, address: str, sessions: list[tuple[str, int]], ready: Any, go: Any, stop: Any
) -> dict[str, Any]:
    arrivals: dict[str, list[list[tuple[int, float]]]] = {sid: [] for sid, _ in sessions}
    connector = aiohttp.TCPConnector(limit=0, local_addr=(address, 0))
    failures = 0

    async def console(http: aiohttp.ClientSession, sid: str, got: asyncio.Event) -> None:
        nonlocal failures
        mine: list[tuple[int, float]] = []
        arrivals[sid].append(mine)
        seen = 0
        try:
            async with http.ws_connect(f"/api/v1/sessions/{sid}/ws", max_msg_size=0) as ws:
                async for msg in ws:
                    now = time.monotonic()
                    match = SEQ.search(msg.data, 0, 40)
                    if match:
                        seq = int(match[1])
                        if seq > seen:
                            seen = seq
                            mine.append((seq, now))
                            got.set()
        except (aiohttp.ClientError, OSError):
            failures += 1
            got.set()

    async with aiohttp.ClientSession(
        f"http://127.0.0.1:{port}", connector=connector, timeout=aiohttp.ClientTimeout(total=None)
    ) as http:
        tasks = []
        gate = asyncio.Semaphore(64)

        async def one(sid: str) -> None:
            async with gate:
                got = asyncio.Event()
                tasks.append(asyncio.create_task(console(http, sid, got)))
                await got.wait()  # its first frame (or its failure)

        await asyncio.gather(*(one(sid) for sid, count in sessions for _ in range(count)))
        cpu0 = time.process_time()
        ready.put(len(tasks))
        await asyncio.to_thread(go.wait)
        await asyncio.to_thread(stop.wait)  # the answers were sent, and their frames had 5 s
        cpu = time.process_time() - cpu0
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {"arrivals": arrivals, "cpu_s": cpu, "failures": failures, "sockets": len(tasks)}


# --- the answers (one more process) --------------------------------------------------------------


def answers_main(
    port: int, sessions: list[tuple[str, list[str]]], go: Any, out: Any, seconds: float
) -> None:
    raise_fd_limit()
    out.put(asyncio.run(_answers(port, sessions, go, seconds)))


async def _answers(
    port: int, sessions: list[tuple[str, list[str]]], go: Any, seconds: float
) -> dict[str, Any]:
    sent: list[tuple[str, int, float]] = []
    errors = 0
    late = 0
    connector = aiohttp.TCPConnector(limit=0, local_addr=("127.0.0.1", 0))
    async with aiohttp.ClientSession(
        f"http://127.0.0.1:{port}", connector=connector, timeout=aiohttp.ClientTimeout(total=60)
    ) as http:
        await asyncio.to_thread(go.wait)
        began = time.monotonic()
        cpu0 = time.process_time()

        async def session(sid: str, order: list[str]) -> None:
            nonlocal errors, late
            at = began + random.uniform(0, PERIOD_SECONDS)
            for pid in order:
                if at > began + seconds:
                    return
                await asyncio.sleep(max(0.0, at - time.monotonic()))
                t0 = time.monotonic()
                if t0 - at > PERIOD_SECONDS:
                    late += 1  # the client fell behind its own schedule: say so
                try:
                    async with http.post(
                        f"/api/v1/sessions/{sid}/votes/0/ballots",
                        headers={"X-Test-As": pid},
                        json={"participant_id": pid, "answer": "for"},
                    ) as r:
                        body = await r.read()
                        if r.status != 201:
                            errors += 1
                        else:
                            seq = SEQ.search(body.decode(), 0, 200)
                            sent.append((sid, int(seq[1]) if seq else 0, t0))
                except (aiohttp.ClientError, TimeoutError):
                    errors += 1
                at += PERIOD_SECONDS

        await asyncio.gather(*(session(sid, order) for sid, order in sessions))
        elapsed = time.monotonic() - began
        cpu = time.process_time() - cpu0
    return {"sent": sent, "errors": errors, "late": late, "elapsed_s": elapsed, "cpu_s": cpu}


# --- one N ------------------------------------------------------------------------------------------


def _pg_cpu(folder: Path | None) -> float:
    """CPU seconds of the embedded PostgreSQL (its postmaster and backends); 0 if external."""
    if folder is None:
        return 0.0
    postmaster = psutil.Process(int((folder / "postmaster.pid").read_text().split()[0]))
    total = 0.0
    for p in [postmaster, *postmaster.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            pass
    return total


def _rss(pids: list[int]) -> int:
    return sum(psutil.Process(pid).memory_info().rss for pid in pids)


async def run(
    base_uri: str,
    pg_folder: Path | None,
    n: int,
    consoles: int,
    seconds: float,
    workers: int,
    procs: int,
) -> dict[str, Any]:
    name = f"bench_open_{n}_{uuid.uuid4().hex[:6]}"
    url = await database.ensure_database(base_uri, name)
    conn = await asyncpg.connect(url)
    await database.migrate(conn)
    await conn.close()
    folder = Path(tempfile.mkdtemp(prefix="radaopen"))
    server = BenchServer(
        folder,
        env={
            "RADA_DATABASE_URL": url,
            "RADA_DATABASE_POOL_MAX": str(max(4, 40 // workers)),
            "RADA_RECORDING_REQUIRED": "true",
        },
        admin_token=ADMIN_TOKEN,
        serve_args=("--workers", str(workers)) if workers > 1 else (),
    )
    await server.start()
    pids = await wait_workers(server, workers)
    pool = await database.create_pool(url, database.DatabaseSettings(url=url, pool_max=8))
    ctx = mp.get_context("spawn")
    children: list[Any] = []
    try:
        t_setup = time.monotonic()
        async with aiohttp.ClientSession(
            f"http://127.0.0.1:{server.port}",
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=600),
        ) as http:
            gate = asyncio.Semaphore(SETUP_CONCURRENCY * 2)

            async def one(i: int) -> Any:
                async with gate:
                    return await prepare(http, pool, i, 40)

            sessions = await asyncio.gather(*(one(i) for i in range(n)))
        setup_sessions_s = time.monotonic() - t_setup
        ready, go, stop, out = ctx.Queue(), ctx.Event(), ctx.Event(), ctx.Queue()
        shares: list[list[tuple[str, int]]] = [[] for _ in range(procs)]
        for i, s in enumerate(sessions):
            shares[i % procs].append((s.sid, min(consoles, len(s.order))))
        for k, share in enumerate(shares):
            p = ctx.Process(
                target=consoles_main,
                args=(server.port, f"127.0.0.{k + 2}", share, ready, go, stop, out),
            )
            p.start()
            children.append(p)
        answerer_out = ctx.Queue()
        answerer = ctx.Process(
            target=answers_main,
            args=(server.port, [(s.sid, s.order) for s in sessions], go, answerer_out, seconds),
        )
        answerer.start()
        children.append(answerer)
        sockets = 0
        for _ in range(procs):
            sockets += await asyncio.to_thread(ready.get, True, 1800)
        setup_s = time.monotonic() - t_setup
        rss_before = _rss(pids)
        cpu0 = sum(_cpu_of(pid) for pid in pids)
        pg_cpu0 = _pg_cpu(pg_folder)
        go.set()
        rss_max = rss_before
        while answerer_out.empty():
            await asyncio.sleep(1.0)
            rss_max = max(rss_max, _rss(pids))
        answered = await asyncio.to_thread(answerer_out.get, True, 600)
        server_cpu = sum(_cpu_of(pid) for pid in pids) - cpu0
        pg_cpu = _pg_cpu(pg_folder) - pg_cpu0
        await asyncio.sleep(5.0)  # the last answers' frames
        stop.set()
        results = [await asyncio.to_thread(out.get, True, 600) for _ in range(procs)]
    finally:
        for p in children:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
        await pool.close()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    arrivals: dict[str, list[list[tuple[int, float]]]] = {}
    for r in results:
        arrivals.update(r["arrivals"])
    latencies, missing = [], 0
    for sid, seq, sent_at in answered["sent"]:
        worst = 0.0
        for mine in arrivals[sid]:
            first = next((t for s, t in mine if s >= seq), None)
            if first is None:
                worst = -1.0
                break
            worst = max(worst, first - sent_at)
        if worst < 0:
            missing += 1
        else:
            latencies.append(worst)
    latencies.sort()
    return {
        "n": n,
        "consoles_per_session": min(consoles, 41),
        "sockets": sockets,
        "workers": workers,
        "answers": len(answered["sent"]),
        "answers_per_s": len(answered["sent"]) / answered["elapsed_s"],
        "errors": answered["errors"],
        "late_sends": answered["late"],
        "missing": missing,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000
        if latencies
        else float("nan"),
        "max_ms": latencies[-1] * 1000 if latencies else float("nan"),
        "over_250ms": sum(1 for x in latencies if x > 0.25),
        "over_1s": sum(1 for x in latencies if x > 1.0),
        "server_rss_mib": rss_max / 2**20,
        "server_rss_before_mib": rss_before / 2**20,
        "server_cpu_s": server_cpu,
        "server_cpu_per_answer_ms": server_cpu / max(1, len(answered["sent"])) * 1000,
        "answerer_cpu_s": answered["cpu_s"],
        "answers_elapsed_s": answered["elapsed_s"],
        "postgres_cpu_s": pg_cpu,
        "consoles_cpu_s": [round(r["cpu_s"], 1) for r in results],
        "console_failures": sum(r["failures"] for r in results),
        "setup_s": setup_s,
        "setup_sessions_s": setup_sessions_s,
        "load": load(),
    }


async def main(ns: list[int], consoles: int, seconds: float, workers: int, procs: int) -> None:
    hard = raise_fd_limit()
    given = os.environ.get("RADA_DATABASE_URL")
    pg = None
    if given:
        base = given
    else:
        pg = database.EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="radapg")) / "pg")
        base = await asyncio.to_thread(pg.start)
    rows = []
    try:
        for n in ns:
            per_worker = n * consoles / workers * 1.1 + FD_SPARE  # SO_REUSEPORT spreads unevenly
            per_client = -(-n // procs) * consoles + FD_SPARE
            if max(per_worker, per_client) > hard:
                print(
                    f"N={n}: {n * consoles} sockets need ≈{per_worker:.0f} per worker and "
                    f"{per_client} per client process; the limit is {hard}: skipped",
                    flush=True,
                )
                continue
            print(f"N={n}: load before {load()}", flush=True)
            row = await run(
                base, pg.folder if pg is not None else None, n, consoles, seconds, workers, procs
            )
            rows.append(row)
            print(f"N={n}: {row}", flush=True)
    finally:
        if pg is not None:
            await asyncio.to_thread(pg.stop)
            shutil.rmtree(pg.folder.parent, ignore_errors=True)
    if rows:
        first = rows[0]
        print(
            f"\n{'N':>5} {'cons':>4} {'sockets':>7} {'wrk':>3} {'ans/s':>6} {'p50 ms':>7} "
            f"{'p99 ms':>7} {'max ms':>7} {'p99×':>5} {'RSS MiB':>8} {'CPU/ans ms':>10} "
            f"{'miss':>4} {'load':>18}"
        )
        for r in rows:
            print(
                f"{r['n']:>5} {r['consoles_per_session']:>4} {r['sockets']:>7} {r['workers']:>3} "
                f"{r['answers_per_s']:>6.1f} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} "
                f"{r['max_ms']:>7.1f} {r['p99_ms'] / first['p99_ms']:>5.2f} "
                f"{r['server_rss_mib']:>8.0f} {r['server_cpu_per_answer_ms']:>10.2f} "
                f"{r['missing']:>4} {r['load']:>18}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, nargs="+", default=[100, 500, 1469])
    parser.add_argument("--consoles", type=int, default=41, help="WebSockets per session")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long answers are sent")
    parser.add_argument("--workers", type=int, default=2, help="server processes (one port)")
    parser.add_argument("--client-processes", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(
        main(args.sessions, args.consoles, args.seconds, args.workers, args.client_processes)
    )
