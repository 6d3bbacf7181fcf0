"""An act in one round trip, and notices that carry the event (issue 14): decided on the process's cached state and sealed at a
guessed media position, written only if the journal's head and the position are what was
guessed; otherwise decided again on what the journal holds. Two services on one database
stand for two rada processes (the second is not told of the first's appends)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from orchestrator.conduct.api import CONDUCT
from orchestrator.conduct.service import ConductService
from orchestrator.conduct.state import snapshot
from orchestrator.kernel.errors import Conflict
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.journal.chain import verify_chain
from orchestrator.kernel.journal.listener import Appended, JournalListener
from orchestrator.kernel.journal.store import MEDIA_TOLERANCE_MS
from tests.integration.conduct.test_conduct_api import answer, voting
from tests.integration.conduct.world import ORDER, World


def another_process(world: World) -> ConductService:
    app_service = world.client.app[CONDUCT]
    return ConductService(world.pool, clock=app_service.clock, policy=app_service.policy)


async def ballot(service: ConductService, world: World, vote_id: str, surname: str) -> Any:
    return await service.ballot(
        world.sid, world.people[world.pids[surname]], vote_id, world.pids[surname], "for"
    )


async def ballots(world: World) -> list[str]:
    async with world.pool.acquire() as conn:
        events = await journal_store.load_events(conn, world.sid)
    assert verify_chain(events) == []
    return [e.payload["participant_id"] for e in events if e.type == ev.BALLOT_RECORDED]


async def test_an_act_on_a_current_cache_takes_one_round_trip(world: World) -> None:
    vote_id = await voting(world)
    other = another_process(world)
    await ballot(other, world, vote_id, ORDER[0])  # the first act reads the head
    assert (other.acts_near, other.acts_read) == (0, 1)
    await ballot(other, world, vote_id, ORDER[1])  # its own append: the cache is current
    assert (other.acts_near, other.acts_read) == (1, 1)
    assert await ballots(world) == [world.pids[s] for s in ORDER[:2]]


async def test_a_refusal_on_a_cache_behind_the_journal_is_not_final(world: World) -> None:
    """The other process's cache still has the first voter called; the app has recorded that
    answer since. The second voter's answer, refused on the stale cache (not their turn),
    is decided again on the journal and recorded (R15)."""
    vote_id = await voting(world)
    other = another_process(world)
    await other.state(world.sid)
    await ballot(other, world, vote_id, ORDER[0])  # reads the head: the media guess is set
    r = await answer(world, vote_id, ORDER[1])  # the app's process; other is not told
    assert r.status == 201
    outcome = await ballot(other, world, vote_id, ORDER[2])
    assert outcome.state.current_vote is not None
    assert set(outcome.state.current_vote.answers) == {world.pids[s] for s in ORDER[:3]}
    assert await ballots(world) == [world.pids[s] for s in ORDER[:3]]


async def test_an_act_accepted_on_a_cache_behind_the_journal_is_not_written(world: World) -> None:
    """The stale cache has the second voter called and accepts their answer; the journal has
    it already (the app recorded it): nothing is written twice, the act is refused."""
    vote_id = await voting(world)
    other = another_process(world)
    await ballot(other, world, vote_id, ORDER[0])
    r = await answer(world, vote_id, ORDER[1])
    assert r.status == 201
    with pytest.raises(Conflict):
        await ballot(other, world, vote_id, ORDER[1])
    assert other.acts_near == 0
    assert await ballots(world) == [world.pids[s] for s in ORDER[:2]]


async def media_sample(world: World, part: int, ms: int) -> None:
    """What the recorder writes each poll: its media position, by the database's clock."""
    async with world.pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO recording_status (session_id, instance, receiving, part, parts,
                                             media_ms, media_sampled_at, updated_at)
               VALUES ($1, 'test', true, $2, $2, $3, clock_timestamp(), now())
               ON CONFLICT (session_id) DO UPDATE SET receiving = true, part = $2, parts = $2,
                   media_ms = $3, media_sampled_at = clock_timestamp(), updated_at = now()""",
            world.sid,
            part,
            ms,
        )


async def media_of_last(world: World) -> tuple[int, int]:
    async with world.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT media_part, media_ms FROM journal WHERE session_id = $1 ORDER BY seq DESC "
            "LIMIT 1",
            world.sid,
        )
    assert row is not None and row["media_part"] is not None
    return row["media_part"], row["media_ms"]


async def test_a_wrong_media_guess_is_sealed_again_at_the_recording_s_position(
    world: World,
) -> None:
    """R9: an event's place on the recording comes from the recorder's media clock. A guess
    from the last answer is used only within the tolerance; after the recorder's sample jumps
    (a new part, or its clock ahead of the guess), the events are sealed at the new place."""
    vote_id = await voting(world)
    await media_sample(world, 1, 5_000)
    await answer(world, vote_id, ORDER[0])  # the app's service reads the head and the media
    assert abs((await media_of_last(world))[1] - 5_000) < 1_000
    service = world.client.app[CONDUCT]
    near = service.acts_near
    await answer(world, vote_id, ORDER[1])  # guessed from the last answer, and right
    part, ms = await media_of_last(world)
    assert part == 1 and abs(ms - 5_000) < 1_000
    assert service.acts_near == near + 1
    await media_sample(world, 1, 65_000)  # the recorder's clock is a minute on
    await answer(world, vote_id, ORDER[2])
    part, ms = await media_of_last(world)
    assert part == 1 and 65_000 <= ms < 65_000 + MEDIA_TOLERANCE_MS + 1_000
    await media_sample(world, 2, 0)  # a new part
    await answer(world, vote_id, ORDER[3])
    assert (await media_of_last(world))[0] == 2
    assert service.acts_near == near + 1  # both guesses missed


async def test_a_process_following_the_session_folds_the_events_its_notices_carry(
    world: World, database_url: str
) -> None:
    """Issue 14: an act's notice carries its event, so another process that follows the
    session (here a second service, told by a real LISTEN) folds it onto its cached state
    without reading the journal; the state is the one the journal gives."""
    vote_id = await voting(world)
    other = another_process(world)
    await other.state(world.sid)
    heard: list[Appended] = []
    arrived = asyncio.Event()

    def hear(notice: Appended) -> None:
        heard.append(notice)
        arrived.set()

    listener = JournalListener(database_url)
    listener.subscribe(hear, lambda: None, name="test")
    await listener.start()
    try:
        seq = 0
        for surname in ORDER[:3]:
            r = await answer(world, vote_id, surname)
            assert r.status == 201
            seq = (await r.json())["seq"]
        async with asyncio.timeout(10):
            while not any(n.seq == seq for n in heard):
                arrived.clear()
                await arrived.wait()
    finally:
        await listener.close()
    mine = [n for n in heard if n.session_id == world.sid]
    assert all(n.event is not None for n in mine)
    reads = other.reads
    state = await other.refresh(world.sid, seq, {n.seq: n.event for n in mine if n.event})
    assert state is not None and state.last_seq == seq
    assert other.reads == reads and other.folded_heard >= 3
    assert snapshot(state) == snapshot(await another_process(world).state(world.sid))
    # a gap (a notice without its event) is read from the journal instead
    later = another_process(world)
    await later.state(world.sid)
    r = await answer(world, vote_id, ORDER[3])
    seq = (await r.json())["seq"]
    reads = later.reads
    state = await later.refresh(world.sid, seq, {})
    assert state is not None and state.last_seq == seq and later.reads == reads + 1
