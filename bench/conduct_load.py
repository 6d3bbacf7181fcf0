"""Roll-call load: N concurrent sessions of 40 deputies against rada (one process, or
``--workers`` processes sharing the port).

    python bench/conduct_load.py [--sessions 10 100 500] [--deputies 40]

For each N: a fresh database, one server process (``bench/conduct_server.py``: rada's
app with participants signed in by header, so the bench measures conduct, not e-mail), N
councils of ``deputies`` seats (the secretary among them) plus the mayor, each session opened,
everyone present and identified, the recording on, one roll-call vote open. Every participant
holds a WebSocket (the consoles: chair, secretary, each deputy's page), all in this client
process. Each session then answers its whole roll call, one deputy after another (a closed
loop per session, N loops at once). Measured per answer: from sending the POST to the moment
*every* console of that session holds a snapshot at or after the answer's journal seq.

Prints answers/second and p50/p99 of that latency per N, and the ratio to N's first value.
Uses RADA_DATABASE_URL if set (a superuser URL: databases are created), else an embedded
PostgreSQL in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestrator.kernel import database  # noqa: E402
from orchestrator.kernel.journal import events as ev  # noqa: E402
from orchestrator.kernel.journal import store as journal_store  # noqa: E402
from orchestrator.rehearsal.play import LocalService  # noqa: E402

ADMIN_TOKEN = secrets.token_urlsafe(24)
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class BenchServer(LocalService):
    """``bench/conduct_server.py`` (rada + header sign-in) instead of ``rada serve``."""

    def spawn(self) -> None:
        env = {
            **os.environ,
            "RADA_DATA_DIR": str(self.data_dir),
            "RADA_PORT": str(self.port),
            "RADA_ADMIN_TOKEN": self.admin_token,
            "RADA_LOG_LEVEL": "warning",
            # the bench drives media state through the journal as the recorder would; a real
            # recorder with no stream would (rightly) declare a technical break
            "RADA_RECORDING_ENABLED": "0",
            # sessions are convened 48 h ahead (R3) and opened at once
            "RADA_OPEN_EARLY_MINUTES": str(7 * 24 * 60),
            # every console connects from 127.0.0.x without signing in: public sockets
            "RADA_LIVE_PUBLIC_PER_ADDRESS": "1000000",
            "RADA_LIVE_PUBLIC_TOTAL": "1000000",
            **self.env,
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        profile = os.environ.get("BENCH_PROFILE")  # a path: write the server's cProfile there
        prefix = ["-m", "cProfile", "-o", profile] if profile else []
        with (self.data_dir / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    *prefix,
                    str(ROOT / "bench" / "conduct_server.py"),
                    *self.serve_args,
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )


SEQ = re.compile(r'"seq": ?(\d+)')  # a snapshot or a patch (compact JSON)
SETUP_CONCURRENCY = 16
SURNAMES = [
    "Ґудзь",
    "Єрмоленко",
    "Іваненко",
    "Їжакевич",
    "Д'яченко",
    "Петренко-Лисенко",
    "Коваль",
    "Бондар",
    "Шевчук",
    "Мʼясоїд",
    "Ярош",
    "Антоненко",
    "Юрченко",
    "Щербак",
]


@dataclass
class Session:
    sid: str
    chair: str
    order: list[str] = field(default_factory=list)
    clients: list[Client] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    target: int = 0  # the seq the roll call waits for (0: any frame wakes it)
    behind: int = 0  # consoles that have not reached target yet


@dataclass
class Client:
    """One console: remembers when it first saw each journal position."""

    seen: int = 0
    arrivals: list[tuple[int, float]] = field(default_factory=list)

    def first_at_or_after(self, seq: int) -> float | None:
        found = None
        for s, t in reversed(self.arrivals):  # the newest first: one or two steps
            if s < seq:
                break
            found = t
        return found


def _suffix(i: int) -> str:
    letters = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
    return "Ко" + letters[i % 33] + letters[(i // 33) % 33]


def roster(deputies: int) -> list[dict[str, str]]:
    rows = [
        {
            "surname": "Мер",
            "given_name": "Олег",
            "patronymic": "",
            "role": "mayor",
            "email": "mayor@bench.test",
            "phone": "+380500000000",
        }
    ]
    for i in range(deputies):
        rows.append(
            {
                "surname": SURNAMES[i % len(SURNAMES)] + "-" + _suffix(i),
                "given_name": "Іван",
                "patronymic": "",
                "role": "secretary" if i == 0 else "deputy",
                "email": f"d{i}@bench.test",
                "phone": f"+3805000{i:05d}",
            }
        )
    return rows


async def make_session(http: aiohttp.ClientSession, n: int, deputies: int) -> tuple[str, dict]:
    r = await http.post(
        "/api/v1/councils",
        headers=ADMIN,
        json={"name": f"Рада {n}", "convocation": 8, "total_composition": deputies},
    )
    council = (await r.json())["id"]
    r = await http.put(f"/api/v1/councils/{council}/roster", headers=ADMIN, json=roster(deputies))
    assert r.status == 200, await r.text()
    starts = (datetime.now(UTC) + timedelta(hours=48)).isoformat()
    r = await http.post(
        f"/api/v1/councils/{council}/sessions",
        headers=ADMIN,
        json={
            "title": "Навантажувальна сесія",
            "number": 1,
            "starts_at": starts,
            "agenda": [{"title": "Бюджет", "category": "urgent_budget"}],
        },
    )
    assert r.status == 201, await r.text()
    sid = (await r.json())["id"]
    r = await http.post(f"/api/v1/sessions/{sid}/announce", headers=ADMIN)
    assert r.status == 200, await r.text()
    view = await (await http.get(f"/api/v1/sessions/{sid}")).json()
    return sid, view


async def prepare(
    http: aiohttp.ClientSession, pool: asyncpg.Pool, n: int, deputies: int
) -> Session:
    sid, view = await make_session(http, n, deputies)
    chair = view["chair_participant_id"]
    as_chair = {"X-Test-As": chair}
    r = await http.post(f"/api/v1/sessions/{sid}/open", headers=as_chair, json={})
    assert r.status == 201, await r.text()
    now = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():  # what identity and the recorder append
        await journal_store.append_event(
            conn,
            uuid.UUID(sid),
            ev.RECORDING_STARTED,
            {"part": 1, "started_at": "x"},
            actor="system",
            at=now,
        )
        for p in view["participants"]:
            pid = p["participant_id"]
            await journal_store.append_event(
                conn,
                uuid.UUID(sid),
                ev.PRESENCE_JOINED,
                {"participant_id": pid, "occupant_id": pid, "name": "x"},
                actor="system",
                at=now,
            )
            await journal_store.append_event(
                conn,
                uuid.UUID(sid),
                ev.PARTICIPANT_IDENTIFIED,
                {"participant_id": pid, "confirmed_by": chair},
                actor=f"participant:{chair}",
                at=now,
            )
    r = await http.post(f"/api/v1/sessions/{sid}/items/0/open", headers=as_chair, json={})
    assert r.status == 201, await r.text()
    r = await http.post(f"/api/v1/sessions/{sid}/votes", headers=as_chair, json={})
    assert r.status == 201, await r.text()
    order = (await r.json())["state"]["current_vote"]["order"]
    return Session(sid, chair, order)


SEQ_BYTES = re.compile(rb'"seq": ?(\d+)')
PONG_EMPTY = b"\x8a\x80\x00\x00\x00\x00"  # a client's frames are masked: a zero mask


class Console(asyncio.Protocol):
    """One console's WebSocket, read by a bare protocol: the upgrade, then each text frame's
    ``seq`` (at most 40 bytes in) and its arrival time, pings answered. As cheap a client as
    Python gives (aiohttp's client cost ~4 ms of this process's CPU per answer at 41
    consoles, which on a 2-core machine competes with the server it measures)."""

    def __init__(self, session: Session, path: str, host: str) -> None:
        self.session = session
        self.client = Client()
        session.clients.append(self.client)
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: cmFkYWJlbmNoY29uc29sZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self.buffer = bytearray()
        self.upgraded = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(exc or ConnectionError("closed before the upgrade"))

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buffer = self.buffer
        buffer += data
        if not self.upgraded.done():
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if b" 101 " not in buffer[:end]:
                self.upgraded.set_exception(RuntimeError(bytes(buffer[:end]).decode()))
                return
            del buffer[: end + 4]
            self.upgraded.set_result(None)
        while len(buffer) >= 2:
            size, start = buffer[1] & 0x7F, 2
            if size == 126:
                if len(buffer) < 4:
                    return
                size, start = int.from_bytes(buffer[2:4], "big"), 4
            elif size == 127:
                if len(buffer) < 10:
                    return
                size, start = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < start + size:
                return
            opcode = buffer[0] & 0x0F
            if opcode == 1:
                match = SEQ_BYTES.search(buffer, start, start + 40)
                if match:
                    self._seen(int(match[1]), now)
            elif opcode == 9 and self.transport is not None:  # ping (heartbeat): pong
                self.transport.write(PONG_EMPTY)
            del buffer[: start + size]

    def _seen(self, seq: int, now: float) -> None:
        client = self.client
        if seq > client.seen:
            before, client.seen = client.seen, seq
            client.arrivals.append((seq, now))
            session = self.session
            if before < session.target <= seq:  # one console fewer to wait for
                session.behind -= 1
                if session.behind <= 0:
                    session.changed.set()
            elif session.target == 0:
                session.changed.set()


async def console(port: int, session: Session) -> asyncio.Transport:
    """Connect one console of ``session``; returns once upgraded."""
    loop = asyncio.get_running_loop()
    path = f"/api/v1/sessions/{session.sid}/ws"
    transport, protocol = await loop.create_connection(
        lambda: Console(session, path, f"127.0.0.1:{port}"), "127.0.0.1", port
    )
    await protocol.upgraded
    return transport


async def roll_call(http: aiohttp.ClientSession, session: Session, latencies: list[float]) -> int:
    answered = 0
    for pid in session.order:
        t0 = time.perf_counter()
        r = await http.post(
            f"/api/v1/sessions/{session.sid}/votes/0/ballots",
            headers={"X-Test-As": pid},
            json={"participant_id": pid, "answer": "for"},
        )
        if r.status != 201:
            raise RuntimeError(await r.text())
        seq = int(SEQ.search(await r.text())[1])  # type: ignore[index]
        session.target = seq  # counted at once: no frame can arrive in between
        session.behind = sum(1 for c in session.clients if c.seen < seq)
        while session.behind > 0:
            session.changed.clear()
            await session.changed.wait()
        latencies.append(max(c.first_at_or_after(seq) or t0 for c in session.clients) - t0)
        answered += 1
    return answered


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


PG_FOLDER: Path | None = None  # the embedded server's data folder (None: RADA_DATABASE_URL)


def _postgres_cpu() -> float:
    """CPU seconds of the embedded PostgreSQL now: its postmaster and every backend (those
    that ended meanwhile are not counted); 0 for a server given by RADA_DATABASE_URL."""
    if PG_FOLDER is None:
        return 0.0
    try:
        pid = int((PG_FOLDER / "postmaster.pid").read_text().split()[0])
        main = psutil.Process(pid)
        procs = [main, *main.children()]
    except (OSError, ValueError, psutil.Error):
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


async def wait_workers(server: LocalService, workers: int) -> list[int]:
    """The pids of the server's processes once all ``workers`` listen on its port."""
    assert server.process is not None
    parent = psutil.Process(server.process.pid)
    for _ in range(1200):
        procs = parent.children() if workers > 1 else [parent]
        if len(procs) == workers and all(
            any(c.status == psutil.CONN_LISTEN and c.laddr.port == server.port
                for c in p.net_connections())
            for p in procs
        ):  # fmt: skip
            return [parent.pid, *(p.pid for p in procs if p.pid != parent.pid)]
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{workers} workers did not all listen")


async def run(
    base_uri: str, n: int, deputies: int, durable: bool, workers: int = 1
) -> dict[str, Any]:
    name = f"bench_conduct_{n}_{uuid.uuid4().hex[:6]}"
    url = await database.ensure_database(base_uri, name)
    conn = await asyncpg.connect(url)
    await database.migrate(conn)
    if not durable:  # comparison only: acknowledged answers could be lost in a crash
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    await conn.close()
    folder = Path(tempfile.mkdtemp(prefix="radabench"))
    server = BenchServer(
        folder,
        env={
            "RADA_DATABASE_URL": url,
            "RADA_DATABASE_POOL_MAX": "20",
            "RADA_RECORDING_REQUIRED": "true",
        },
        admin_token=ADMIN_TOKEN,
    )
    # set after, not passed: this bench also runs in older checkouts (main against a branch),
    # whose LocalService takes no serve_args
    server.serve_args = ("--workers", str(workers)) if workers > 1 else ()
    await server.start()
    assert server.process is not None
    pids = await wait_workers(server, workers)
    port = server.port
    pool = await database.create_pool(url, database.DatabaseSettings(url=url, pool_max=8))
    conn_limit = aiohttp.TCPConnector(limit=0)
    try:
        async with aiohttp.ClientSession(
            f"http://127.0.0.1:{port}",
            connector=conn_limit,
            timeout=aiohttp.ClientTimeout(total=600),
        ) as http:
            gate = asyncio.Semaphore(SETUP_CONCURRENCY)

            async def one(i: int) -> Session:
                async with gate:
                    return await prepare(http, pool, i, deputies)

            t_setup = time.perf_counter()
            sessions = await asyncio.gather(*(one(i) for i in range(n)))
            consoles: list[asyncio.Transport] = []
            for s in sessions:
                for _ in range(len(s.order)):
                    consoles.append(await console(port, s))
            for s in sessions:  # every console has its first snapshot
                while any(c.seen == 0 for c in s.clients):
                    s.changed.clear()
                    await s.changed.wait()
            setup_s = time.perf_counter() - t_setup
            latencies: list[float] = []
            cpu0 = resource.getrusage(resource.RUSAGE_SELF)
            server_cpu0 = sum(_cpu_of(pid) for pid in pids)
            db_cpu0 = _postgres_cpu()
            print(f"N={n}: roll call begins (server pids {pids})", flush=True)
            t0 = time.perf_counter()
            answers = sum(await asyncio.gather(*(roll_call(http, s, latencies) for s in sessions)))
            elapsed = time.perf_counter() - t0
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            server_cpu = sum(_cpu_of(pid) for pid in pids) - server_cpu0
            db_cpu = _postgres_cpu() - db_cpu0
            for transport in consoles:
                transport.close()
    finally:
        await pool.close()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    latencies.sort()
    return {
        "n": n,
        "consoles": sum(len(s.order) for s in sessions),
        "answers": answers,
        "answers_per_s": answers / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "setup_s": setup_s,
        "server_cpu_s": server_cpu,
        "db_cpu_s": db_cpu,
        "elapsed_s": elapsed,
        "client_cpu_s": cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime,
    }


async def main(ns: list[int], deputies: int, durable: bool, workers: int = 1) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max(ns) * (deputies + 1) + 1000
    try:  # root (or CAP_SYS_RESOURCE) may raise the hard limit; the server inherits it
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, wanted), max(hard, wanted)))
        hard = max(hard, wanted)
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    given = os.environ.get("RADA_DATABASE_URL")
    server = None
    if given:
        base = given
    else:
        server = database.EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="radapg")) / "pg")
        base = await asyncio.to_thread(server.start)
        global PG_FOLDER
        PG_FOLDER = server.folder
    rows = []
    try:
        for n in ns:
            needed = n * (deputies + 1) + 200
            if needed > hard:
                print(
                    f"N={n}: needs about {needed} sockets in each process, the limit is "
                    f"{hard} (RLIMIT_NOFILE): skipped",
                    flush=True,
                )
                continue
            row = await run(base, n, deputies, durable, workers)
            rows.append(row)
            print(f"N={n}: {row}", flush=True)
    finally:
        if server is not None:
            await asyncio.to_thread(server.stop)
            shutil.rmtree(server.folder.parent, ignore_errors=True)
    if rows:
        first = rows[0]
        print(
            f"\n{'N':>5} {'consoles':>9} {'answers':>8} {'answers/s':>10} {'p50 ms':>8} "
            f"{'p99 ms':>8} {'p99 ratio':>9}"
        )
        for r in rows:
            print(
                f"{r['n']:>5} {r['consoles']:>9} {r['answers']:>8} {r['answers_per_s']:>10.1f} "
                f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['p99_ms'] / first['p99_ms']:>9.2f}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--deputies", type=int, default=40)
    parser.add_argument(
        "--no-sync-commit",
        action="store_true",
        help="for comparison only: synchronous_commit=off (not crash safe)",
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes (one port)")
    args = parser.parse_args()
    asyncio.run(main(args.sessions, args.deputies, not args.no_sync_commit, args.workers))
