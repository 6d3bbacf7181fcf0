"""Time to build the protocol in all formats for a 120-deputy, 60-item session, next to the
time to fold its journal (the baseline, same process). Prints the ratio.

    .venv/bin/python bench/protocol_build.py [--seats 120] [--items 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from orchestrator.protocol import opendata
from orchestrator.protocol import render as protocol_render
from orchestrator.protocol.model import build
from tests.journal_builder import play_session


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=120)
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    played = play_session(seats=args.seats, items=args.items, absentees=3)
    events = played.events
    p = build(events)
    rows = sum(len(v.rows) for v in p.votes)
    print(
        f"session: {args.seats} seats, {args.items} items, {len(p.votes)} votes, "
        f"{rows} roll-call rows, {len(events)} journal events"
    )

    fold = best(lambda: build(events), args.repeat)
    stages = {
        "json": lambda: protocol_render.to_json(p),
        "html": lambda: protocol_render.to_html(p),
        "pdf": lambda: protocol_render.to_pdf(p),
        "vtt": lambda: protocol_render.to_vtt(p),
        "opendata": lambda: opendata.files(p),
    }
    timings = {name: best(fn, args.repeat) for name, fn in stages.items()}

    def everything() -> None:
        q = build(events)
        for fn in (
            protocol_render.to_json,
            protocol_render.to_html,
            protocol_render.to_pdf,
            protocol_render.to_vtt,
            opendata.files,
        ):
            fn(q)

    total = best(everything, args.repeat)
    print(f"fold journal (baseline): {fold * 1000:9.1f} ms")
    for name, seconds in timings.items():
        print(f"render {name:<16} {seconds * 1000:9.1f} ms  ({seconds / fold:6.1f}x fold)")
    print(f"fold + all formats:      {total * 1000:9.1f} ms  ratio to fold: {total / fold:.1f}x")


if __name__ == "__main__":
    main()
