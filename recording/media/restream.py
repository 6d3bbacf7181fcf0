"""Restream: the session's program pushed, stream copy, to RTMP(S) destinations (YouTube Live,
Facebook Live, the council's own server), each on its own, none able to touch the recording
(R9).

Each destination is one ffmpeg that follows the recorder's live playlist on disk
(``live.m3u8``, from its live edge, in real time) and pushes it as FLV: it reads files the
recorder has already written and shares nothing else with it (no port, no pipe, no process),
so a destination that refuses, stalls or dies costs the recording nothing. When its ffmpeg
ends before the session does, the destination is retried after a delay that doubles from
``first_delay`` to ``max_delay``; once it has streamed for ``settle`` seconds the delay starts
again from the first. The live playlist's ``EXT-X-ENDLIST`` at close ends every push once it
has sent the last segments (:meth:`Restream.finish` waits for that, then stops what is left).

The state of each destination (``connecting``, ``streaming``, ``retrying``, ``stopped``) is what
the chair's console shows; its URL, which holds the platform's stream key, is never shown or
logged: a destination is named by its ``name``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from recording.media.ingest import IngestProcess, Progress, restream_args

CONNECTING = "connecting"
STREAMING = "streaming"
RETRYING = "retrying"
STOPPED = "stopped"
SCHEMES = ("rtmp://", "rtmps://")
_URL = re.compile(r"(?:rtmps?|https?|srt)://\S+")


@dataclass(frozen=True, slots=True)
class Destination:
    name: str  # what the console shows ("YouTube", "Сайт ради")
    url: str = ""  # rtmp(s)://host/app/stream-key: a secret

    def __repr__(self) -> str:
        return f"Destination(name={self.name!r})"


@dataclass(frozen=True, slots=True)
class Backoff:
    first_delay: float = 1.0
    max_delay: float = 30.0
    settle: float = 10.0  # streamed this long: the next failure starts from first_delay

    def delay(self, failures: int) -> float:
        return float(min(self.max_delay, self.first_delay * 2 ** max(0, failures - 1)))


def redact(text: str) -> str:
    """An error line without any URL in it (ffmpeg names the URL, stream key included)."""
    return _URL.sub("<destination>", text)


class Push:
    """One destination: its ffmpeg, restarted with backoff until :meth:`stop`."""

    def __init__(
        self,
        destination: Destination,
        playlist: Path,
        *,
        ffmpeg: str,
        backoff: Backoff,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.destination = destination
        self.playlist = playlist
        self.ffmpeg = ffmpeg
        self.backoff = backoff
        self.clock = clock
        self.state = CONNECTING
        self.attempts = 0  # ffmpeg runs started
        self.failures = 0  # consecutive ends before the session's
        self.retry_at: float | None = None
        self.last_error: str | None = None
        self.frames = 0  # pushed by the current run
        self.ended = False  # the push read the live playlist to its EXT-X-ENDLIST
        self._process: IngestProcess | None = None
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.log = structlog.get_logger(__name__).bind(destination=destination.name)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def status(self) -> dict[str, Any]:
        retry_in = None
        if self.state == RETRYING and self.retry_at is not None:
            retry_in = round(max(0.0, self.retry_at - self.clock()), 1)
        return {
            "name": self.destination.name,
            "state": self.state,
            "attempts": self.attempts,
            "failures": self.failures,
            "retry_in_seconds": retry_in,
            "last_error": self.last_error,
        }

    def _on_progress(self, progress: Progress) -> None:
        if progress.frame > self.frames:
            self.frames = progress.frame
            if self.state != STREAMING:
                self.log.info("restream_streaming", attempt=self.attempts)
            self.state = STREAMING

    async def _run(self) -> None:
        while not self._stopping.is_set():
            self.attempts += 1
            self.frames = 0
            self.state = CONNECTING
            started = self.clock()
            args = restream_args(self.ffmpeg, str(self.playlist), self.destination.url)
            # ended with rada: nothing else would stop a push whose recorder is gone
            process = IngestProcess(
                args, cwd=self.playlist.parent, on_progress=self._on_progress, die_with_parent=True
            )
            self._process = process
            try:
                await process.start()
                code = await process.wait()
            except OSError as exc:  # no ffmpeg to run
                code = -1
                process.errors.append(str(exc))
            if self._stopping.is_set():
                break
            ended = process.last is not None and process.last.ended and code == 0
            if ended and self._live_ended():
                self.ended = True
                break  # the session closed: the playlist's EXT-X-ENDLIST
            if self.clock() - started >= self.backoff.settle and self.frames > 0:
                self.failures = 0
            self.failures += 1
            errors = [redact(e) for e in process.errors]
            self.last_error = errors[-1] if errors else f"ffmpeg exit {code}"
            delay = self.backoff.delay(self.failures)
            self.retry_at = self.clock() + delay
            self.state = RETRYING
            self.log.warning(
                "restream_failed", attempt=self.attempts, error=self.last_error, retry_in=delay
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
        self.state = STOPPED
        self.retry_at = None

    def _live_ended(self) -> bool:
        try:
            return self.playlist.read_text().rstrip().endswith("#EXT-X-ENDLIST")
        except OSError:
            return False

    async def finish(self, grace: float) -> None:
        """The session closed (its live playlist ended): let the push send the last segments
        and end by itself, stopping it after ``grace`` seconds if it has not."""
        if self._task is not None and self.state != RETRYING:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), grace)
        await self.stop()

    async def stop(self) -> None:
        self._stopping.set()
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError, AssertionError):
                await self._process.stop()
        if self._task is not None:
            await self._task


class Restream:
    """Every destination of one session."""

    def __init__(
        self,
        playlist: Path,
        destinations: Sequence[Destination],
        *,
        ffmpeg: str,
        backoff: Backoff | None = None,
    ) -> None:
        self.pushes = [
            Push(d, playlist, ffmpeg=ffmpeg, backoff=backoff or Backoff()) for d in destinations
        ]

    def start(self) -> None:
        for push in self.pushes:
            push.start()

    def status(self) -> list[dict[str, Any]]:
        return [p.status() for p in self.pushes]

    async def finish(self, grace: float) -> None:
        await asyncio.gather(*(p.finish(grace) for p in self.pushes))

    async def stop(self) -> None:
        await asyncio.gather(*(p.stop() for p in self.pushes))
