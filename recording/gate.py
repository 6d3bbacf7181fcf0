"""The RTMP gate: the session's public ingest port, in front of ffmpeg's listener.

ffmpeg's RTMP listen mode accepts any application and any stream key, so it never listens on
the public port itself. The gate accepts the publisher's TCP connection, opens one to the
ffmpeg listener of the current part (an ephemeral port on 127.0.0.1) and relays the bytes both
ways. It reads the client's half with :class:`recording.rtmp.PublisherReader` and closes both
connections *before forwarding* a ``connect`` that names another app, any ``play``, a
``publish`` whose stream name is not the session's key, or media sent before an accepted
``publish``. ffmpeg therefore never receives a wrong-key stream: it sees a connection that ends
during the handshake, gives up without creating any output, and the recorder starts a fresh
listener.

One publisher at a time: a second connection while one is relaying is closed at once (the
recorder drops a stalled publisher when it declares the stream lost, which frees the gate).
The gate also counts what the accepted publisher delivered (complete video frames, media bytes,
the wall time of the first media message), which the recorder uses for a part's start time and
the operator's view.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog

from recording.errors import NoIngestPort
from recording.rtmp import Command, Media, PublisherReader, RtmpProtocolError, judge

READ_SIZE = 256 * 1024
UPSTREAM_HOST = "127.0.0.1"
# Once a publisher is accepted, the kernel wakes the relay only when about this much of the
# stream is waiting (SO_RCVLOWAT, re-tuned every second from the measured rate): about seven
# large reads and writes a second instead of one per RTMP message. If the rate drops (a still
# screen, audio only, a hung publisher), no buffer waits longer than BATCH_WAIT: the mark falls
# back to one byte (the kernel then wakes the reader at once) and is re-tuned from the new rate.
# BATCH_WAIT delays the last media of a stopped publisher, so it stays a small part of the
# second the stall detection is allowed beyond stall_seconds.
BATCH_SECONDS = 0.15
BATCH_MAX = 128 * 1024
BATCH_WAIT = 0.3


@dataclass(slots=True)
class PublisherStats:
    """What the current publisher has delivered so far."""

    peer: str
    connected_at: datetime
    verified: bool = False
    first_media_at: datetime | None = None
    frames: int = 0
    media_bytes: int = 0


class RtmpGate:
    """Accept RTMP publishers on one port of the pool, verify the stream key, relay to ffmpeg."""

    def __init__(
        self,
        *,
        host: str,
        ports: Sequence[int],
        app: str,
        key: str,
        upstream: Callable[[], Awaitable[int]],
        clock: Callable[[], datetime],
        connect_timeout: float = 5.0,
        log: structlog.typing.FilteringBoundLogger | None = None,
    ) -> None:
        self._host = host
        self._ports = tuple(ports)
        self._app = app
        self._key = key
        self._upstream = upstream
        self._clock = clock
        self._connect_timeout = connect_timeout
        self._log = log or structlog.get_logger(__name__)
        self._server: asyncio.Server | None = None
        self._active: asyncio.Task[None] | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self.port: int | None = None
        self.publisher: PublisherStats | None = None

    async def start(self, taken: frozenset[int] = frozenset()) -> int:
        """Listen on the first free port of the pool (skipping ``taken``); return it."""
        for port in self._ports:
            if port in taken:
                continue
            try:
                self._server = await asyncio.start_server(
                    self._serve, self._host, port, reuse_address=True
                )
            except OSError as exc:
                if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                    continue
                raise
            self.port = port
            return port
        raise NoIngestPort(f"no free RTMP port in the pool {list(self._ports)}")

    async def close(self) -> None:
        """Stop listening and drop the current publisher."""
        if self._server is not None:
            self._server.close()
        await self.drop()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def drop(self) -> None:
        """Close the current publisher's connection (a stalled or finished stream): both sockets
        close, the relay ends, and ffmpeg reads the end of its input."""
        task = self._active
        if task is None or task.done():
            return
        for writer in self._writers:
            writer.close()
        try:
            await asyncio.wait_for(asyncio.shield(task), 2.0)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = str(writer.get_extra_info("peername"))
        if self._active is not None:
            self._log.warning("rtmp_refused", reason="busy", peer=peer)
            writer.close()
            return
        self._active = asyncio.current_task()
        stats = PublisherStats(peer=peer, connected_at=self._clock())
        self.publisher = stats
        upstream_writer: asyncio.StreamWriter | None = None
        self._writers = [writer]
        try:
            up_reader, upstream_writer = await self._connect_upstream()
            self._writers.append(upstream_writer)
            inspect = _Inspector(app=self._app, key=self._key, stats=stats, clock=self._clock)
            await _relay(reader, writer, up_reader, upstream_writer, inspect)
        except _Refused as refusal:
            self._log.warning("rtmp_refused", reason=str(refusal), peer=peer)
        except (RtmpProtocolError, ConnectionError, TimeoutError, OSError) as exc:
            self._log.warning("rtmp_connection_failed", error=repr(exc), peer=peer)
        finally:
            for w in (writer, upstream_writer):
                if w is not None:
                    w.close()
            self._active = None
            self._writers = []
            if stats.frames:
                self._log.info(
                    "rtmp_publisher_gone", frames=stats.frames, media_bytes=stats.media_bytes
                )

    async def _connect_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with asyncio.timeout(self._connect_timeout):
            port = await self._upstream()
            while True:
                try:
                    return await asyncio.open_connection(UPSTREAM_HOST, port)
                except ConnectionRefusedError:  # ffmpeg is still starting to listen
                    await asyncio.sleep(0.02)


class _Refused(Exception):
    """The publisher is not allowed (wrong app or key, play, media before publish)."""


class _Inspector:
    """Per-connection reading of the client's bytes: the publish verdict and the counts."""

    def __init__(
        self, *, app: str, key: str, stats: PublisherStats, clock: Callable[[], datetime]
    ) -> None:
        self._app = app
        self._key = key
        self._stats = stats
        self._clock = clock
        self._reader = PublisherReader()
        self._seen_app: str | None = None

    @property
    def accepted(self) -> bool:
        return self._stats.verified

    def __call__(self, data: bytes) -> None:
        messages = self._reader.feed(data)
        stats = self._stats
        if not stats.verified:
            commands = [m for m in messages if isinstance(m, Command)]
            verdict = judge(commands, app=self._app, key=self._key, previous_app=self._seen_app)
            self._seen_app = verdict.app
            if verdict.allowed is False:
                raise _Refused(verdict.reason)
            if verdict.allowed is None:
                if any(isinstance(m, Media) for m in messages):
                    raise _Refused("media_before_publish")
                return
            stats.verified = True
        for message in messages:
            if isinstance(message, Media):
                if stats.first_media_at is None:
                    stats.first_media_at = self._clock()
                stats.media_bytes += message.size
                if message.kind == "video" and message.frame:
                    stats.frames += 1


class _Batching:
    """Adapts the client socket's receive low-water mark to the stream's rate."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._socket = writer.get_extra_info("socket")
        self._loop = asyncio.get_running_loop()
        self._since = self._loop.time()
        self._bytes = 0
        self._lowat = 1
        self._relax: asyncio.TimerHandle | None = None

    def count(self, size: int) -> None:
        self.cancel()
        self._bytes += size
        now = self._loop.time()
        if now - self._since < 1.0:
            return
        rate = self._bytes / (now - self._since)
        target = max(1, min(BATCH_MAX, int(rate * BATCH_SECONDS)))
        self._set(target)
        self._since, self._bytes = now, 0

    def arm(self) -> None:
        """Before waiting for the next buffer: bound the wait to BATCH_WAIT."""
        if self._lowat > 1 and self._relax is None:
            self._relax = self._loop.call_later(BATCH_WAIT, self.relax)

    def relax(self) -> None:
        """Nothing reached the mark in time: take whatever is waiting, measure afresh."""
        self._relax = None
        self._set(1)
        self._since, self._bytes = self._loop.time(), 0

    def cancel(self) -> None:
        if self._relax is not None:
            self._relax.cancel()
            self._relax = None

    def _set(self, target: int) -> None:
        if target != self._lowat and self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, target)
                self._lowat = target


async def _relay(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
    inspect: _Inspector,
) -> None:
    """Copy bytes both ways until either side ends; ``inspect`` sees (and may refuse) each
    client buffer before it is forwarded."""

    async def client_to_upstream() -> None:
        batching = _Batching(client_writer)
        try:
            while data := await client_reader.read(READ_SIZE):
                inspect(data)
                if up_writer.is_closing():  # dropped, or ffmpeg went away
                    raise ConnectionResetError("the ffmpeg side is closed")
                up_writer.write(data)
                await up_writer.drain()
                if inspect.accepted:
                    batching.count(len(data))
                    batching.arm()
        finally:
            batching.cancel()
        # The publisher is gone: let ffmpeg read everything already relayed, then end.
        with contextlib.suppress(OSError):
            up_writer.write_eof()

    async def upstream_to_client() -> None:
        while data := await up_reader.read(READ_SIZE):
            if client_writer.is_closing():
                raise ConnectionResetError("the publisher side is closed")
            client_writer.write(data)
            await client_writer.drain()

    tasks = [
        asyncio.create_task(client_to_upstream()),
        asyncio.create_task(upstream_to_client()),
    ]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
        if tasks[0] in done:
            # Client finished: wait (bounded) for ffmpeg to close its side after the EOF.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(tasks[1]), 5.0)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
