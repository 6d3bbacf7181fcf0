"""How fast the conduct state is rebuilt from the journal, against hashing the same journal.

    python bench/conduct_fold.py [--deputies 40] [--items 20]

Builds a realistic journal in memory (a council of ``deputies`` seats plus the mayor, everyone
present and identified, ``items`` items each with an amendment and two roll calls, a break in
every fifth vote), then times, in the same process:

- baseline: ``journal.verify_chain`` over the whole journal (sha256 of every event);
- fold: ``sessionstate.fold`` of the whole journal (what a cold process does once);
- act: clone the folded state and apply one answer (what every act does under the lock);
- snapshot: the live-state JSON sent to every console after each act.

Prints events, microseconds per operation and each one's ratio to the baseline.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from orchestrator.conduct.decide import (
    Actor,
    NewEvent,
    Policy,
    decide_ballot,
    decide_close_item,
    decide_close_vote,
    decide_declare_break,
    decide_end_break,
    decide_open_item,
    decide_open_session,
    decide_open_vote,
    decide_propose_amendment,
)
from orchestrator.conduct.live import message
from orchestrator.conduct.state import SessionState, apply, fold
from orchestrator.kernel.journal import chain as journal
from orchestrator.kernel.journal import events as ev

SESSION = "00000000-0000-4000-8000-00000000b001"
POLICY = Policy(recording_required=True)


class Book:
    def __init__(self) -> None:
        self.events: list[journal.Event] = []
        self.state = SessionState(SESSION)

    def add(self, type_: str, payload: dict[str, Any], actor: str = "system") -> None:
        from datetime import UTC, datetime
        from uuid import UUID

        prev = self.events[-1].hash if self.events else journal.GENESIS
        e = journal.seal(
            UUID(SESSION), len(self.events) + 1, datetime.now(UTC), actor, type_, payload, prev
        )
        self.events.append(e)
        apply(self.state, e)

    def commit(self, new: list[NewEvent]) -> None:
        for e in new:
            self.add(e.type, e.payload, e.actor)


def build(deputies: int, items: int) -> Book:
    people = [
        {
            "participant_id": f"p{i:03d}",
            "surname": f"Депутат{chr(0x430 + i % 32)}",
            "given_name": "Іван",
            "patronymic": "",
            "kind": "secretary" if i == 1 else ("mayor" if i == 0 else "deputy"),
            "role": "chair" if i == 0 else ("secretary" if i == 1 else "deputy"),
        }
        for i in range(deputies + 1)
    ]
    book = Book()
    book.add(
        ev.SESSION_CONVENED,
        {
            "council": {"total_composition": deputies},
            "title": "Бенч",
            "number": 1,
            "agenda": [{"title": f"П{i}", "category": "urgent_budget"} for i in range(items)],
            "participants": people,
            "chair_participant_id": "p000",
        },
    )
    book.add(ev.SESSION_ANNOUNCED, {})
    chair = Actor("p000", "chair")
    book.commit(decide_open_session(book.state, chair, datetime.now(UTC)))
    book.add(ev.RECORDING_STARTED, {"part": 1})
    for p in people:
        book.add(
            ev.PRESENCE_JOINED,
            {
                "participant_id": p["participant_id"],
                "occupant_id": p["participant_id"],
                "name": "x",
            },
        )
        book.add(ev.PARTICIPANT_IDENTIFIED, {"participant_id": p["participant_id"]})
    votes = 0
    for i in range(items):
        book.commit(decide_open_item(book.state, chair, i, POLICY))
        book.commit(decide_propose_amendment(book.state, Actor("p001", "secretary"), "x", None))
        for amendment in (0, None):
            book.commit(decide_open_vote(book.state, chair, amendment, POLICY))
            vote = book.state.current_vote
            assert vote is not None
            for n, pid in enumerate(list(vote.order)):
                if votes % 5 == 0 and n == len(vote.order) // 2:
                    book.commit(decide_declare_break(book.state, chair, "chair", None))
                    book.commit(decide_end_break(book.state, chair, POLICY))
                book.commit(
                    decide_ballot(
                        book.state, Actor(pid, "deputy"), vote.vote_id, pid, "for", POLICY
                    )
                )
            book.commit(decide_close_vote(book.state, chair, vote.vote_id))
            votes += 1
        book.commit(decide_close_item(book.state, chair))
    return book


def timed(fn: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(rounds):
            fn()
        best = min(best, (time.perf_counter() - t0) / rounds)
    return best * 1e6


def main(deputies: int, items: int) -> None:
    book = build(deputies, items)
    events = book.events
    state = fold(SESSION, events)
    # an act in the middle of a roll call: a state with an open vote and a called deputy
    calls = [i for i, e in enumerate(events) if e.type == ev.DEPUTY_CALLED]
    mid = fold(SESSION, events[: calls[-deputies // 2] + 1])
    vote = mid.current_vote
    assert vote is not None and vote.called is not None
    called = vote.called
    nxt = journal.seal(
        events[0].session_id,
        mid.last_seq + 1,
        events[0].at,
        "x",
        ev.BALLOT_RECORDED,
        {"vote_id": vote.vote_id, "participant_id": called, "answer": "for", "source": "deputy"},
        mid.last_hash,
    )

    def act() -> None:
        apply(mid.clone(), nxt)

    rows = [
        ("verify_chain (baseline)", timed(lambda: journal.verify_chain(events), 5)),
        ("fold whole journal", timed(lambda: fold(SESSION, events), 5)),
        ("act: clone + apply", timed(act, 500)),
        ("snapshot JSON", timed(lambda: message(state), 500)),
    ]
    base = rows[0][1]
    print(f"{len(events)} events, {deputies} deputies + mayor, {items} items")
    print(f"{'operation':<26} {'µs':>10} {'× baseline':>11}")
    for name, us in rows:
        print(f"{name:<26} {us:>10.1f} {us / base:>11.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deputies", type=int, default=40)
    parser.add_argument("--items", type=int, default=20)
    args = parser.parse_args()
    main(args.deputies, args.items)
