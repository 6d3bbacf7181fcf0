"""Journal append throughput: hash-chained appends vs plain INSERTs, same database, same run.

    python bench/journal_append.py [--events 100000] [--sessions 1000] [--workers 8]

All sides insert the same rows (one transaction per event, ``workers`` connections in parallel,
sessions spread over workers). The journal side also locks the session row, computes the
sha256 chain and updates the head — what every real act costs. Prints events/second for each
and the ratios; the keyed baseline has the journal's primary key, so its ratio isolates what the
chain itself costs (row lock, head read, hashing, NOTIFY). Uses RADA_DATABASE_URL if set, else a temporary embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from orchestrator.kernel import database
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.settings import DatabaseSettings


async def setup(url: str, sessions: int) -> list[uuid.UUID]:
    conn = await asyncpg.connect(url)
    try:
        await database.migrate(conn)
        council = uuid.uuid4()
        await conn.execute(
            "INSERT INTO councils (id, name, convocation, total_composition) "
            "VALUES ($1, 'bench', 1, 26)",
            council,
        )
        ids = [uuid.uuid4() for _ in range(sessions)]
        await conn.executemany(
            "INSERT INTO sessions (id, council_id, title, number, starts_at, planned_end, room) "
            "VALUES ($1, $2, 'b', $3, now(), now() + interval '1 hour', $4)",
            [(sid, council, n + 1, f"room-{sid}") for n, sid in enumerate(ids)],
        )
        for table, key in (("bench_plain", ""), ("bench_keyed", ", PRIMARY KEY (session_id, seq)")):
            await conn.execute(f"""CREATE TABLE IF NOT EXISTS {table} (
                session_id uuid, seq integer, at timestamptz, actor text, type text,
                payload jsonb, prev_hash text, hash text{key})""")
            await conn.execute(f"TRUNCATE {table}")
        return ids
    finally:
        await conn.close()


# A remark (R19) of a typical length: ballots would hit the one-answer-per-voter index.
PAYLOAD = {
    "item": 3,
    "by_participant_id": str(uuid.UUID(int=1)),
    "text": "Пропоную доповнити проєкт рішення пунктом про звіт виконавчого комітету.",
}


async def run_journal(
    pool: asyncpg.Pool, ids: list[uuid.UUID], per_session: int, workers: int
) -> float:
    async def worker(mine: list[uuid.UUID]) -> None:
        async with pool.acquire() as conn:
            for _ in range(per_session):
                for sid in mine:
                    async with conn.transaction():
                        await journal_store.append_event(
                            conn,
                            sid,
                            "remark_recorded",
                            PAYLOAD,
                            actor="bench",
                            at=datetime.now(UTC),
                        )

    start = time.perf_counter()
    await asyncio.gather(*(worker(ids[i::workers]) for i in range(workers)))
    return time.perf_counter() - start


async def run_plain(
    pool: asyncpg.Pool, ids: list[uuid.UUID], per_session: int, workers: int, table: str
) -> float:
    async def worker(mine: list[uuid.UUID]) -> None:
        async with pool.acquire() as conn:
            for seq in range(1, per_session + 1):
                for sid in mine:
                    async with conn.transaction():
                        await conn.execute(
                            f"INSERT INTO {table} VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",  # noqa: S608
                            sid,
                            seq,
                            datetime.now(UTC),
                            "bench",
                            "remark_recorded",
                            PAYLOAD,
                            "",
                            "",
                        )

    start = time.perf_counter()
    await asyncio.gather(*(worker(ids[i::workers]) for i in range(workers)))
    return time.perf_counter() - start


async def main(events: int, sessions: int, workers: int) -> None:
    per_session = max(1, events // sessions)
    total = per_session * sessions
    async with database.open_database(
        DatabaseSettings(url=os.environ.get("RADA_DATABASE_URL") or None),
        Path(tempfile.mkdtemp(prefix="radabench")),
    ) as url:
        ids = await setup(url, sessions)
        pool = await database.create_pool(url, DatabaseSettings(url=url, pool_max=workers))
        try:
            plain = await run_plain(pool, ids, per_session, workers, "bench_plain")
            keyed = await run_plain(pool, ids, per_session, workers, "bench_keyed")
            chained = await run_journal(pool, ids, per_session, workers)
            async with pool.acquire() as conn:
                sample = await journal_store.load_events(conn, ids[0])
        finally:
            await pool.close()
    from orchestrator.kernel.journal.chain import verify_chain

    assert not verify_chain(sample), "the benchmark's own chain does not verify"
    print(f"events: {total} across {sessions} sessions, {workers} connections")
    print(f"plain INSERT baseline: {total / plain:10.0f} events/s ({plain:.1f} s)")
    print(f"INSERT with the same primary key: {total / keyed:10.0f} events/s ({keyed:.1f} s)")
    print(f"journal append:        {total / chained:10.0f} events/s ({chained:.1f} s)")
    print(f"ratio journal/plain:   {plain / chained:10.2f}")
    print(f"ratio journal/keyed:   {keyed / chained:10.2f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=8)
    a = ap.parse_args()
    asyncio.run(main(a.events, a.sessions, a.workers))
