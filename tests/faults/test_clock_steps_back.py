"""A wall clock that steps back (NTP correcting a fast clock, two processes' clocks apart) never
makes a session's journal go back in time; the hash chain stays valid."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.journal.chain import verify_chain
from tests.integration.recording.conftest import open_session


class SteppingClock:
    """Advances a second per reading, and jumps back ``step`` when told to."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def step_back(self, step: timedelta) -> None:
        self.now -= step


async def test_journal_time_never_goes_back_within_a_session(pool: asyncpg.Pool) -> None:
    """Appends stamped by a clock that steps back an hour mid-session keep the previous event's
    time instead (monotonic per session); the chain verifies."""
    session_id = await open_session(pool)
    async with pool.acquire() as conn:
        head_at = (await journal_store.load_events(conn, session_id))[-1].at
    clock = SteppingClock(head_at)
    appended = []
    async with pool.acquire() as conn:
        for step in range(6):
            if step == 2:
                clock.step_back(timedelta(hours=1))
            async with conn.transaction():
                event = await journal_store.append_event(
                    conn, session_id, ev.REMARK_RECORDED, {"text": f"{step}"}, actor="chair",
                    at=clock(),
                )  # fmt: skip
            appended.append(event)
        stored = await journal_store.load_events(conn, session_id)
    times = [e.at for e in stored]
    assert times == sorted(times), "the journal went back in time"
    assert [e.at for e in appended[2:]] == [appended[1].at] * 4  # held at the last good time
    assert [e.at for e in appended] == [e.at for e in stored[-6:]]
    assert verify_chain(stored) == []
