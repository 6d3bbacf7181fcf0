"""Memory of a rada process with many live-state WebSocket clients that never read.

Runs the fault test ``tests/faults/test_slow_websocket_clients.py`` (a 60 s roll call, whose
~70 KiB snapshot is re-sent about 40 times a second) with 100 silent clients instead of 3 and
prints its measurement: RSS before, the largest sample and how many clients were cut off.
A note, not a timed test: the ratio to compare is the RSS growth against the bound each client
may hold (``RADA_LIVE_BUFFER`` + one frame + aiohttp's 64 KiB).

Run: ``python bench/live_silent_clients.py [clients]``
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    clients = sys.argv[1] if len(sys.argv) > 1 else "100"
    test = "tests/faults/test_slow_websocket_clients.py::"
    test += "test_never_reading_clients_keep_memory_bounded_and_readers_current"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            "-o",
            "timeout=300",
            test,
        ],
        cwd=ROOT,
        env={**os.environ, "SILENT_CLIENTS": clients, "ROLL_CALL_SECONDS": "60"},
        capture_output=True,
        text=True,
        check=False,
    )
    for line in result.stdout.splitlines():
        if "comings and goings" in line or line.startswith(("E ", "1 passed", "1 failed")):
            print(line)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
