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
import struct
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog

from recording.errors import NoIngestPort
from recording.media.rtmp import Command, Media, PublisherReader, RtmpProtocolError, judge

READ_SIZE = 256 * 1024
UPSTREAM_HOST = "127.0.0.1"
# The relay is two blocking threads per publisher (client → ffmpeg, ffmpeg → client), not
# event-loop callbacks: a thread's blocking receive costs one system call per buffer, where the
# loop costs a poll, a callback, a future and a task step. Once a publisher is accepted, the
# client socket's receive low-water mark (SO_RCVLOWAT) and receive timeout (SO_RCVTIMEO) make
# each receive return BATCH_BYTES or, at the latest after BATCH_WAIT, whatever has arrived:
# about three buffers a second at a conference's bitrate instead of one per RTMP message, and a
# slowing or stopped publisher's last media forwarded within BATCH_WAIT (a small part of the
# second the stall detection may take beyond stall_seconds). Before ``publish`` is accepted,
# each message is read at once (the handshake is a dialogue).
BATCH_BYTES = 256 * 1024
BATCH_WAIT = 0.3
RELAY_JOIN_SECONDS = 5.0  # after the publisher's end: how long ffmpeg may take to hang up


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
        self._listener: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._active: asyncio.Task[None] | None = None
        self._sockets: list[socket.socket] = []
        self._dropping = False
        self.port: int | None = None
        self.publisher: PublisherStats | None = None

    async def start(self, taken: frozenset[int] = frozenset()) -> int:
        """Listen on the first free port of the pool (skipping ``taken``); return it."""
        for port in self._ports:
            if port in taken:
                continue
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                listener.bind((self._host, port))
            except OSError as exc:
                listener.close()
                if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                    continue
                raise
            listener.listen(8)
            listener.setblocking(False)
            self._listener = listener
            self.port = int(listener.getsockname()[1])
            self._accepting = asyncio.create_task(self._accept())
            return self.port
        raise NoIngestPort(f"no free RTMP port in the pool {list(self._ports)}")

    async def close(self) -> None:
        """Stop listening and drop the current publisher."""
        if self._accepting is not None:
            self._accepting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._accepting
            self._accepting = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        await self.drop()

    async def drop(self) -> None:
        """Close the current publisher's connection (a stalled or finished stream): both sockets
        shut down, the relay threads end, and ffmpeg reads the end of its input."""
        task = self._active
        if task is None or task.done():
            return
        self._dropping = True
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), 2.0)

    async def _accept(self) -> None:
        assert self._listener is not None
        loop = asyncio.get_running_loop()
        while True:
            client, address = await loop.sock_accept(self._listener)
            peer = str(address)
            if self._active is not None:
                self._log.warning("rtmp_refused", reason="busy", peer=peer)
                client.close()
                continue
            self._active = asyncio.create_task(self._serve(client, peer))

    async def _serve(self, client: socket.socket, peer: str) -> None:
        stats = PublisherStats(peer=peer, connected_at=self._clock())
        self.publisher = stats
        upstream: socket.socket | None = None
        self._sockets = [client]
        try:
            upstream = await self._connect_upstream()
            self._sockets.append(upstream)
            inspect = _Inspector(app=self._app, key=self._key, stats=stats, clock=self._clock)
            outcome = await _relay(client, upstream, inspect)
            if outcome is not None:
                raise outcome
        except _Refused as refusal:
            self._log.warning("rtmp_refused", reason=str(refusal), peer=peer)
        except (RtmpProtocolError, ConnectionError, TimeoutError, OSError) as exc:
            if self._dropping and isinstance(exc, OSError):  # our own shutdown of the sockets
                self._log.info("rtmp_publisher_dropped", peer=peer)
            else:
                self._log.warning("rtmp_connection_failed", error=repr(exc), peer=peer)
        finally:
            self._dropping = False
            for sock in (client, upstream):
                if sock is not None:
                    sock.close()
            self._active = None
            self._sockets = []
            if stats.frames:
                self._log.info(
                    "rtmp_publisher_gone", frames=stats.frames, media_bytes=stats.media_bytes
                )

    async def _connect_upstream(self) -> socket.socket:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self._connect_timeout):
            port = await self._upstream()
            while True:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setblocking(False)
                try:
                    await loop.sock_connect(sock, (UPSTREAM_HOST, port))
                    return sock
                except ConnectionRefusedError:  # ffmpeg is still starting to listen
                    sock.close()
                    await asyncio.sleep(0.02)
                except BaseException:
                    sock.close()
                    raise


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


def _batch(sock: socket.socket) -> None:
    """From the accepted ``publish`` on: each receive waits for BATCH_BYTES or BATCH_WAIT."""
    with contextlib.suppress(OSError):  # a kernel without these options: per-message reads
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(BATCH_WAIT))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, BATCH_BYTES)


def _timeval(seconds: float) -> bytes:
    whole = int(seconds)
    return struct.pack("@ll", whole, int((seconds - whole) * 1_000_000))


def _receive(sock: socket.socket) -> bytes:
    """The next buffer: at least the low-water mark, or what came within the receive timeout;
    ``b""`` at the end of the stream."""
    while True:
        try:
            return sock.recv(READ_SIZE)
        except BlockingIOError:  # the timeout passed with nothing at all: wait again
            continue


def _client_to_upstream(
    client: socket.socket, upstream: socket.socket, inspect: _Inspector
) -> None:
    """Thread: every client buffer is inspected (and may be refused) before it is forwarded."""
    batched = False
    while data := _receive(client):
        inspect(data)
        upstream.sendall(data)
        if inspect.accepted and not batched:
            _batch(client)
            batched = True
    # The publisher is gone: let ffmpeg read everything already relayed, then end.
    with contextlib.suppress(OSError):
        upstream.shutdown(socket.SHUT_WR)


def _upstream_to_client(upstream: socket.socket, client: socket.socket) -> None:
    """Thread: ffmpeg's answers (handshake, acknowledgements) back to the publisher."""
    while data := upstream.recv(READ_SIZE):
        client.sendall(data)


async def _relay(
    client: socket.socket, upstream: socket.socket, inspect: _Inspector
) -> BaseException | None:
    """Relay both ways on two threads until the client's side ends (then ffmpeg may finish
    reading for up to RELAY_JOIN_SECONDS) or either side fails; return the failure, if any."""
    loop = asyncio.get_running_loop()
    for sock in (client, upstream):
        sock.setblocking(True)
    forward = _in_thread(loop, _client_to_upstream, client, upstream, inspect)
    backward = _in_thread(loop, _upstream_to_client, upstream, client)
    try:
        done, _ = await asyncio.wait((forward, backward), return_when=asyncio.FIRST_COMPLETED)
        failure = next((f.exception() for f in done if f.exception() is not None), None)
        if failure is None and forward in done:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(backward), RELAY_JOIN_SECONDS)
        return failure
    finally:
        # Unblock whichever thread still waits; each ends at its next system call.
        for sock in (client, upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        await asyncio.gather(forward, backward, return_exceptions=True)


def _in_thread(
    loop: asyncio.AbstractEventLoop, target: Callable[..., None], *args: object
) -> asyncio.Future[None]:
    """Run ``target`` on a daemon thread of its own (not the shared executor: a relay lasts as
    long as its publisher); the future resolves on the loop when it returns or raises."""
    future: asyncio.Future[None] = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if future.done():
            return
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)

    def run() -> None:
        error: BaseException | None = None
        try:
            target(*args)
        except BaseException as exc:  # handed to the loop, raised there
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            loop.call_soon_threadsafe(settle, error)

    threading.Thread(target=run, name=f"rtmp-{target.__name__.strip('_')}", daemon=True).start()
    return future
