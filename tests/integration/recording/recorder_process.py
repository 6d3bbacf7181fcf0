"""A recorder in its own process, standing in for a rada process the tests can SIGKILL.

Usage: ``python recorder_process.py ROOT SESSION_ID KEY PORT [INGEST]``. Prints one JSON line per
event, the first being ``{"type": "ready", "port": …}``; runs until killed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import structlog

from orchestrator.kernel.settings.recording import RecordingSettings
from recording.media.recorder import Recorder
from recording.storage.local import LocalStorage


class PrintingSink:
    async def recording_event(
        self, session_id: uuid.UUID, type: str, payload: dict[str, Any]
    ) -> None:
        print(json.dumps({"type": type, "payload": payload}), flush=True)


async def main(root: str, session_id: str, key: str, port: int, ingest: str) -> None:
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    recorder = Recorder(
        session_id=uuid.UUID(session_id),
        key=key,
        settings=RecordingSettings(
            ports=(port,), host="127.0.0.1", stall_seconds=2, segment_seconds=1, ingest=ingest
        ),
        storage=LocalStorage(Path(root)),
        sink=PrintingSink(),
    )
    await recorder.start()
    print(json.dumps({"type": "ready", "url": recorder.ingest_url()}), flush=True)
    while True:
        await asyncio.sleep(0.1)
        print(json.dumps({"type": "ingest", "pid": recorder.ingest_pid}), flush=True)


if __name__ == "__main__":
    ingest = sys.argv[5] if len(sys.argv) > 5 else "rtmp"
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), ingest))
