"""The live state's frames (orchestrator/conduct/live.py): a patch from one snapshot to the next
rebuilds the next exactly, for every event of a whole session; a client that misses a frame
asks for the snapshot instead of applying a patch onto the wrong state."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any
from uuid import UUID

import pytest
from aiohttp import WSMsgType
from aiohttp.base_protocol import BaseProtocol
from aiohttp.http_websocket import WebSocketWriter

from orchestrator.conduct.decide import (
    Actor,
    decide_ballot,
    decide_close_item,
    decide_close_vote,
    decide_declare_break,
    decide_end_break,
    decide_open_item,
    decide_open_vote,
    decide_propose_amendment,
)
from orchestrator.conduct.live import (
    QUEUED_PATCHES,
    Client,
    Follower,
    LiveHub,
    Published,
    apply,
    diff,
    text_frame,
)
from orchestrator.conduct.state import SessionState, fold, snapshot
from orchestrator.conduct.state import apply as apply_event
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import Event
from orchestrator.kernel.settings.live import LiveSettings
from tests.unit.orchestrator.conduct_fixtures import (
    CHAIR,
    POLICY,
    SESSION,
    live_book,
    pid,
)


def session_through_a_vote() -> list[SessionState]:
    """The state after each event of a session, up to a roll call everyone answered."""
    book = live_book()
    book.commit(decide_open_item(book.state, CHAIR, 0, POLICY))
    book.commit(decide_open_vote(book.state, CHAIR, None, POLICY))
    while (vote := book.state.current_vote) is not None and vote.called is not None:
        called = vote.called
        book.commit(
            decide_ballot(book.state, Actor(called, "deputy"), vote.vote_id, called, "for", POLICY)
        )
    return [fold(SESSION, book.events[:n]) for n in range(1, len(book.events) + 1)]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"a": 1}, {"a": 1}),
        ({"a": 1}, {"a": True}),  # JSON tells true from 1
        ({"a": 1, "b": None}, {"a": 1}),
        ({"a": 1}, {"a": 1, "b": None}),  # a key set to null is not a deletion
        ({"l": [1, 2, 3]}, {"l": [1, 5, 3]}),
        ({"l": [1, 2, 3]}, {"l": [1, 2]}),
        ({"d": {"x": {"y": [1, {"z": 2}]}}}, {"d": {"x": {"y": [1, {"z": 3, "w": "ї"}]}}}),
        ([1], {"a": 1}),
    ],
)
def test_a_patch_turns_the_old_value_into_the_new(old: Any, new: Any) -> None:
    ops = json.loads(json.dumps(diff(old, new)))  # as a client receives them
    assert apply(copy.deepcopy(old), ops) == new
    assert (ops == []) == (json.dumps(old) == json.dumps(new))


def test_patches_follow_a_whole_session_and_stay_small() -> None:
    """Each event's patch, applied by a client to the state it holds, gives that event's
    snapshot; an answer in a 41-seat roll call is a small fraction of the snapshot."""
    states = session_through_a_vote()
    assert len(states) > 10
    follower = Follower()
    before: Published | None = None
    sizes = []
    for state in states:
        published = Published(state.last_seq, snapshot(state), before)
        frame = published.snapshot() if before is None else published.patch
        assert frame is not None
        assert follower.take(json.loads(frame)) == "taken"
        assert follower.state == json.loads(json.dumps(snapshot(state)))
        sizes.append((len(frame), len(published.snapshot())))
        before = published
    answer_patch, whole = sizes[-1]
    assert answer_patch * 10 < whole


def test_a_client_that_missed_a_frame_asks_once_for_the_snapshot() -> None:
    states = session_through_a_vote()
    published = [Published(states[0].last_seq, snapshot(states[0]), None)]
    for state in states[1:4]:
        published.append(Published(state.last_seq, snapshot(state), published[-1]))
    follower = Follower()
    assert follower.take(json.loads(published[0].snapshot())) == "taken"
    patch = json.loads(published[2].patch or b"")  # published[1] was lost
    assert follower.take(patch) == "resync"
    assert follower.take(json.loads(published[3].patch or b"")) == "waiting"
    assert follower.seq == published[0].seq  # nothing applied onto the wrong state
    assert follower.take(json.loads(published[3].snapshot())) == "taken"
    assert follower.take(json.loads(published[2].snapshot())) == "stale"
    assert follower.state == json.loads(published[3].snapshot())["state"]


class BlockedSocket:
    """A socket whose first write waits until the test lets it go, recording what it sent."""

    closed = False

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.go = asyncio.Event()

    async def send_frame(self, data: bytes, _opcode: object) -> None:
        await self.go.wait()
        self.sent.append(json.loads(data))


async def test_a_client_behind_gets_the_newest_snapshot_never_a_patch_onto_a_gap() -> None:
    """Patches queue while the client's sender is busy; past QUEUED_PATCHES what waits is
    replaced by the newest snapshot (back-pressure: a dropped patch means a resync), and what
    the client receives always rebuilds the newest state."""
    states = session_through_a_vote()
    hub = LiveHub.__new__(LiveHub)  # the parts of the hub a client uses
    hub.settings, hub.last, hub._tasks = LiveSettings(), {}, set()
    hub.sockets = {}
    sid = UUID(states[0].session_id)
    ws = BlockedSocket()
    client = Client(hub, sid, ws, None, None)  # type: ignore[arg-type]
    hub.sockets[sid] = {ws: client}  # type: ignore[dict-item]
    published = None
    for state in states[: QUEUED_PATCHES + 5]:
        published = Published(state.last_seq, snapshot(state), published)
        hub.last[sid] = published
        if client.holds < 0:
            client.send_snapshot(published.seq)
            for _ in range(5):  # the sender takes the snapshot and waits on the socket
                await asyncio.sleep(0)
        else:
            client.offer(published)
    assert published is not None and client.dropped > 0
    ws.go.set()
    follower = Follower()
    for _ in range(100):
        await asyncio.sleep(0)
    assert [f["type"] for f in ws.sent] == ["snapshot", "snapshot"]  # first, then the newest
    for frame in ws.sent:
        assert follower.take(frame) == "taken"
    assert follower.seq == published.seq and follower.state == published.view
    # caught up: the next change is a patch again
    state = states[QUEUED_PATCHES + 5]
    hub.last[sid] = newest = Published(state.last_seq, snapshot(state), published)
    data = client.offer(newest)  # up to date: the caller writes it at once
    assert data is not None
    await client.write_now(data)
    for _ in range(100):
        await asyncio.sleep(0)
    assert ws.sent[-1]["type"] == "patch" and follower.take(ws.sent[-1]) == "taken"
    assert follower.state == json.loads(json.dumps(snapshot(state)))
    for task in hub._tasks:
        task.cancel()


class CapturingTransport:
    """What aiohttp's own WebSocket writer writes, byte for byte."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    def is_closing(self) -> bool:
        return False


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70000])
async def test_a_prepared_frame_is_what_aiohttp_would_have_written(size: int) -> None:
    """The fan-out writes :func:`text_frame` bytes straight to each transport (issue 14): the
    same bytes as ``send_frame`` (an unmasked text frame), at every header length."""
    payload = ("ї" * size).encode()[:size]
    transport = CapturingTransport()
    writer = WebSocketWriter(BaseProtocol(asyncio.get_running_loop()), transport)  # type: ignore[arg-type]
    await writer.send_frame(payload, WSMsgType.TEXT)
    assert text_frame(payload) == bytes(transport.data)


def test_frames_are_the_bytes_the_json_module_would_give() -> None:
    """orjson encodes the frames (issue 14): byte for byte the compact UTF-8 JSON the consoles
    were sent before, for every snapshot and patch of a whole session."""
    before: Published | None = None
    for state in session_through_a_vote():
        published = Published(state.last_seq, snapshot(state), before)
        for frame, value in [
            (
                published.snapshot(),
                {"type": "snapshot", "seq": state.last_seq, "state": snapshot(state)},
            ),
            (published.patch, None if before is None else json.loads(published.patch or b"")),
        ]:
            if value is not None:
                assert (
                    frame == json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
                )
        before = published


def a_full_session() -> list[Event]:
    """A session with every kind of change a snapshot shows: people leaving and coming back,
    an amendment, two roll calls held, a break, the items closed."""
    book = live_book()
    book.commit(decide_open_item(book.state, CHAIR, 0, POLICY))
    book.commit(decide_propose_amendment(book.state, CHAIR, "Нова редакція пункту 2", None))
    for amendment in (0, None):
        book.commit(decide_open_vote(book.state, CHAIR, amendment, POLICY))
        while (vote := book.state.current_vote) is not None and vote.called is not None:
            called = vote.called
            if called == pid("Шевчук") and amendment is None:  # out and back mid-call (R11)
                book.leave("Шевчук")
                book.join("Шевчук")
                book.identify("Шевчук")
            book.commit(
                decide_ballot(
                    book.state, Actor(called, "deputy"), vote.vote_id, called, "for", POLICY
                )
            )
        book.commit(decide_close_vote(book.state, CHAIR, book.state.current_vote.vote_id))
    book.commit(decide_declare_break(book.state, CHAIR, "chair", "Перерва"))
    book.commit(decide_end_break(book.state, CHAIR, POLICY))
    book.commit(decide_close_item(book.state, CHAIR))
    return book.events


def test_a_snapshot_reuses_the_unchanged_parts_of_the_last_and_equals_a_fresh_one() -> None:
    """Issue 14: the service snapshots each committed state from the previous one (clone,
    apply, ``snapshot(state, previous)``); every such snapshot equals one made from scratch,
    and an answer in a roll call rebuilds neither the participants nor the held results."""
    events = a_full_session()
    state = fold(SESSION, events[:1])
    view = snapshot(state)
    shared = {"participants": 0, "results": 0, "agenda": 0}
    for event in events[1:]:
        before, seen = state, view
        state = state.clone()
        apply_event(state, event)
        view = snapshot(state, (before, seen))
        assert view == snapshot(state), event.type
        assert seen == snapshot(before), "an earlier snapshot was changed"
        for part in shared:
            shared[part] += view[part] is seen[part]
        if event.type == ev.BALLOT_RECORDED:
            assert view["participants"] is seen["participants"]
            assert view["results"] is seen["results"]
    assert view["results"] and len(view["results"]) == 2
    assert all(shared.values()), shared
