"""The live state over WebSocket, shared by every rada process on one database.

The process's journal listener (:mod:`orchestrator.kernel.journal.listener`) tells the hub of
every append (the journal store ``NOTIFY``s ``<session_id>:<seq>`` in the appending
transaction, so a notification means "committed"). The hub then brings its folded state of
that session up to date and sends the change to its WebSocket clients; so a deputy on one
process and the chair on another see each other's acts. After the listener reconnects
(notifications sent meanwhile are lost) the hub re-reads the journal heads of the sessions it
follows and catches up the same way.

**Frames.** A client first gets ``{"type": "snapshot", "seq", "state"}``; after that only
``{"type": "patch", "seq", "base", "ops"}``: what changed in the snapshot between journal
positions ``base`` and ``seq`` (:func:`diff`; :func:`apply` and the pages' ``livestate.js`` undo
it). A client applies a patch only onto the state at ``base``; one that sees another ``base``
sends ``{"type": "resync"}`` and gets the current snapshot. Each frame is encoded once for all
sockets: a patch as the whole WebSocket frame (header and payload, :func:`text_frame`) written
as is to each up-to-date client's transport; the snapshot's bytes only when a client needs them.
Clients must ignore a frame whose ``seq`` is not newer than the state they hold.

**Notices.** An act's notice carries its event (when it fits NOTIFY's payload): a process
that follows the session folds it onto its cached state without reading the journal, if it
is all the cache lacks; otherwise it reads what it lacks.

**Interest.** A process folds and sends only the sessions it has clients for, and those whose
append was made by one of its own database connections (:func:`orchestrator.kernel.database.
own_backend`: the recorder's ``recording_lost``, identity's ``presence_left``…), so that the
process that appended runs rada's reactions to it (a technical break when the recording or the
quorum is lost, R7, R9, R10). Any other notice is dropped after a set lookup.

**Back-pressure.** Each client has one sender and at most ``QUEUED_PATCHES`` patches waiting;
beyond that, or when a client is behind, what waits is replaced by "send the newest snapshot"
(a dropped patch means the client must be resynced), and nothing more is queued. While the
client's unsent output (the socket's write buffer) is above ``RADA_LIVE_BUFFER`` the sender
writes nothing; a client that stays behind (its write not taken, or its buffer not drained)
for ``RADA_LIVE_SLOW_SECONDS`` is cut off, and a browser reconnects and gets the current
snapshot. So a client that never reads costs at most the buffer bound plus one snapshot,
however many changes are published, and never delays the others.
Public sockets (the open broadcast needs no sign-in, R3) are limited per client address and in
total (``RADA_LIVE_PUBLIC_PER_ADDRESS``, ``RADA_LIVE_PUBLIC_TOTAL``), in each process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
from collections import Counter
from collections.abc import Coroutine
from typing import Any
from uuid import UUID

import orjson
import structlog
from aiohttp import WSMsgType, web

from orchestrator.conduct.service import ConductService
from orchestrator.conduct.state import SessionState, snapshot
from orchestrator.kernel.database import own_backend
from orchestrator.kernel.errors import TooManyRequests
from orchestrator.kernel.journal.listener import Appended
from orchestrator.kernel.journal.store import journal_head
from orchestrator.kernel.settings.live import LiveSettings

log = structlog.get_logger(__name__)

QUEUED_PATCHES = 8  # patches waiting for one client before it is sent a snapshot instead
DRAIN_CHECK_SECONDS = 0.1

# --- the frames (pure) -------------------------------------------------------------------------

Op = list[Any]  # [path, value]: set the value at path; [path]: delete the key at path


def encode(frame: dict[str, Any]) -> bytes:
    """A frame's bytes, as every socket is sent them: compact UTF-8 JSON (orjson: the same
    bytes ``json.dumps(frame, ensure_ascii=False, separators=(",", ":"))`` gives, ~10x
    faster)."""
    return orjson.dumps(frame)


def text_frame(payload: bytes) -> bytes:
    """``payload`` as one unmasked WebSocket text frame (RFC 6455 5.2: a server never masks),
    header and all: built once and written as is to every client's transport."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, size)
    elif size < 65536:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


def message(state: SessionState) -> str:
    """The snapshot frame of the live-state contract."""
    return snapshot_frame(state.last_seq, snapshot(state)).decode()


def snapshot_frame(seq: int, view: dict[str, Any]) -> bytes:
    return encode({"type": "snapshot", "seq": seq, "state": view})


def diff(old: Any, new: Any) -> list[Op]:
    """The operations that turn the JSON value ``old`` into ``new``: a path is a list of keys
    and list indexes; a list whose length changed is replaced whole."""
    ops: list[Op] = []
    _diff(old, new, [], ops)
    return ops


def _diff(old: Any, new: Any, path: list[Any], ops: list[Op]) -> None:
    if old is new:
        return
    kind = type(new)
    if type(old) is not kind:  # also tells True from 1
        ops.append([path, new])
    elif kind is dict:
        for key, value in new.items():
            if key not in old:
                ops.append([[*path, key], value])
                continue
            before = old[key]
            if before is value:
                continue
            leaf = type(value)
            if leaf is type(before) and leaf is not dict and leaf is not list:
                if before != value:  # a scalar compared here: no call per unchanged field
                    ops.append([[*path, key], value])
                continue
            _diff(before, value, [*path, key], ops)
        ops.extend([[*path, key]] for key in old if key not in new)
    elif kind is list:
        if len(old) != len(new):
            ops.append([path, new])
        else:
            for i, (a, b) in enumerate(zip(old, new, strict=True)):
                if a is b:
                    continue
                leaf = type(b)
                if leaf is type(a) and leaf is not dict and leaf is not list:
                    if a != b:
                        ops.append([[*path, i], b])
                    continue
                _diff(a, b, [*path, i], ops)
    elif old != new:
        ops.append([path, new])


def apply(view: Any, ops: list[Op]) -> Any:
    """``view`` changed by ``ops`` (in place where it can; the result is the new value)."""
    for op in ops:
        path = op[0]
        if not path:
            view = op[1]
            continue
        node = view
        for key in path[:-1]:
            node = node[key]
        if len(op) == 1:
            del node[path[-1]]
        else:
            node[path[-1]] = op[1]
    return view


RESYNC = {"type": "resync"}  # what a client sends to be sent the whole state again


class Follower:
    """A client's side of the frames, as the pages' ``livestate.js`` does it (for rada's own
    clients: the rehearsal's consoles, tests, benches): the state held and its ``seq``."""

    def __init__(self) -> None:
        self.seq = -1
        self.state: dict[str, Any] | None = None
        self.asked = False  # a resync was asked for: patches wait for its snapshot

    def take(self, frame: dict[str, Any]) -> str:
        """``"taken"`` (the state moved to the frame's ``seq``), ``"stale"`` (not newer: two
        sends crossed), or ``"resync"``: the caller sends :data:`RESYNC` (once; later ones
        answer ``"waiting"``)."""
        if frame.get("seq", -1) <= self.seq:
            return "stale"
        if frame.get("type") == "snapshot":
            self.state, self.asked = frame["state"], False
        elif (
            frame.get("type") == "patch"
            and frame.get("base") == self.seq
            and self.state is not None
            and not self.asked
        ):
            self.state = apply(self.state, frame["ops"])
        else:
            if self.asked:
                return "waiting"
            self.asked = True
            return "resync"
        self.seq = frame["seq"]
        return "taken"


class Published:
    """A session's state as last published by this process: its snapshot view, the patch
    frame from the previous one (None for the first) and the same as WebSocket frame bytes
    (``wire``), and its snapshot frame, encoded when a client first needs it."""

    __slots__ = ("_snapshot", "base", "patch", "seq", "view", "wire")

    def __init__(self, seq: int, view: dict[str, Any], before: Published | None) -> None:
        self.seq = seq
        self.view = view
        self.base = before.seq if before is not None else None
        self.patch = (
            None
            if before is None
            else encode(
                {"type": "patch", "seq": seq, "base": before.seq, "ops": diff(before.view, view)}
            )
        )
        self.wire = None if self.patch is None else text_frame(self.patch)
        self._snapshot: bytes | None = None

    def snapshot(self) -> bytes:
        if self._snapshot is None:
            self._snapshot = snapshot_frame(self.seq, self.view)
        return self._snapshot


class Client:
    """One WebSocket client: its sender and what it has not been sent yet."""

    def __init__(
        self,
        hub: LiveHub,
        sid: UUID,
        ws: web.WebSocketResponse,
        address: str | None,
        transport: asyncio.Transport | None,
    ) -> None:
        self.hub = hub
        self.sid = sid
        self.ws = ws
        self.transport = transport
        self.address = address  # a public client's address; None when signed in
        self.patches: list[bytes] = []  # waiting, in order
        self.resync = False  # send the newest snapshot (instead of what waited)
        self.holds = -1  # the seq the client holds once what waits is sent
        self.dropped = 0  # patches replaced by a snapshot before they were sent
        self._sending = False  # a frame is being written
        self._wake = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None

    def offer(self, published: Published) -> bytes | None:
        """Send the change to ``published`` after what waits, or the newest snapshot instead
        when the client would otherwise miss one (see the module). Returns the patch when the
        caller may write it at once (:meth:`write_now`): nothing waits or is being sent, and
        the socket has taken everything (so the write cannot wait for a drain)."""
        if (
            published.patch is not None
            and published.base == self.holds
            and not self.resync
            and not self.patches
            and not self._sending
            and self.unsent() == 0
        ):
            self.holds = published.seq
            return published.patch
        if (
            not self.resync
            and published.patch is not None
            and published.base == self.holds
            and len(self.patches) < QUEUED_PATCHES
        ):
            self.patches.append(published.patch)
        else:
            self.dropped += len(self.patches)
            self.patches.clear()
            self.resync = True
        self.holds = published.seq
        self._start()
        return None

    def write_wire(self, wire: bytes) -> bool:
        """Write a patch :meth:`offer` returned, as its prepared frame bytes straight to the
        socket's transport (one ``write``: no coroutine, no header built per client). False
        when the client has no transport of its own (then :meth:`write_now`)."""
        transport = self.transport
        if transport is None:
            return False
        if self.ws.closed or transport.is_closing():  # the client went away
            self.hub.detach(self.sid, self.ws)
            return True
        transport.write(wire)
        return True

    async def write_now(self, data: bytes) -> None:
        """Write a patch :meth:`offer` returned (it does not wait: see there)."""
        self._sending = True
        try:
            await self.ws.send_frame(data, WSMsgType.TEXT)
        except (ConnectionError, RuntimeError):  # the client went away
            self.hub.detach(self.sid, self.ws)
            return
        finally:
            self._sending = False
        if self.patches or self.resync:  # offered meanwhile
            self._start()

    def send_snapshot(self, seq: int) -> None:
        """Send the newest snapshot (at ``seq``) in place of anything waiting."""
        self.dropped += len(self.patches)
        self.patches.clear()
        self.resync = True
        self.holds = seq
        self._start()

    def _start(self) -> None:
        self._wake.set()
        if self._sender is None:
            self._sender = self.hub._spawn(self._send())

    def unsent(self) -> int:
        """Bytes written to the socket that the client has not taken yet."""
        transport = self.transport
        return transport.get_write_buffer_size() if transport is not None else 0

    def _next(self) -> bytes | None:
        if self.resync:
            self.resync = False
            published = self.hub.last.get(self.sid)
            return published.snapshot() if published is not None else None
        return self.patches.pop(0) if self.patches else None

    async def _send(self) -> None:
        settings = self.hub.settings
        try:
            while not self.ws.closed:
                await self._wake.wait()
                self._wake.clear()
                try:
                    async with asyncio.timeout(settings.slow_seconds):
                        while True:
                            # the transport tells no one when its buffer falls below a size
                            while self.unsent() > settings.buffer_bytes:  # noqa: ASYNC110
                                await asyncio.sleep(DRAIN_CHECK_SECONDS)
                            data = self._next()
                            if data is None:
                                break
                            self._sending = True
                            try:
                                await self.ws.send_frame(data, WSMsgType.TEXT)
                            finally:
                                self._sending = False
                except TimeoutError:
                    self.cut_off()
                    return
        except (ConnectionError, RuntimeError):  # the client went away
            pass
        finally:
            self.hub.detach(self.sid, self.ws)

    def cut_off(self) -> None:
        """Close a client that stayed behind: drop the connection (a close frame would wait
        behind the unread output)."""
        log.warning(
            "live_client_cut_off",
            session_id=str(self.sid),
            unsent=self.unsent(),
            dropped=self.dropped,
            public=self.address is not None,
        )
        self.hub.cut_off += 1
        if self.transport is not None:
            self.transport.abort()


class LiveHub:
    """WebSocket clients per session, kept current by the journal listener's notices."""

    def __init__(self, service: ConductService, settings: LiveSettings | None = None) -> None:
        self.service = service
        self.settings = settings or LiveSettings()
        self.sockets: dict[UUID, dict[web.WebSocketResponse, Client]] = {}
        self.last: dict[UUID, Published] = {}
        self.public: Counter[str] = Counter()  # open public sockets per client address
        self.cut_off = 0  # clients closed for staying behind
        self.ignored = 0  # notices of sessions this process does not follow
        self._wanted: dict[UUID, int] = {}
        self._heard: dict[UUID, dict[int, str]] = {}  # events the notices carried, by seq
        self._workers: dict[UUID, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        service.listeners.append(self.publish)

    # --- sending -------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def publish(self, state: SessionState) -> None:
        """Offer a committed state to the session's clients, once per journal position."""
        await self._publish(state)

    async def _publish(self, state: SessionState) -> Published | None:
        """Offer ``state`` if it is newer than the last one published (which it returns). A
        client that is up to date is written the patch here, without waking its sender."""
        sid = UUID(state.session_id)
        clients = self.sockets.get(sid)
        if not clients:  # nobody here to send it to: no snapshot, no patch
            self.last.pop(sid, None)
            return None
        before = self.last.get(sid)
        if before is not None and before.seq >= state.last_seq:
            return before
        published = Published(state.last_seq, self.service.view(state), before)
        self.last[sid] = published
        now = [(c, data) for c in list(clients.values()) if (data := c.offer(published))]
        wire = published.wire
        for client, data in now:  # offered to all first: a write that waited cannot reorder
            if wire is None or not client.write_wire(wire):
                await client.write_now(data)
        return published

    def admit(self, address: str | None) -> None:
        """Count a new public socket from ``address`` (None: signed in, not limited), or refuse
        it (429) when its address or the process has as many as allowed."""
        if address is None:
            return
        if sum(self.public.values()) >= self.settings.public_total:
            raise TooManyRequests("too many public live connections", code="live_full")
        if self.public[address] >= self.settings.public_per_address:
            raise TooManyRequests(
                "too many live connections from this address", code="live_address_full"
            )
        self.public[address] += 1

    def release(self, address: str | None) -> None:
        """A public socket admitted for ``address`` has ended."""
        if address is not None:
            self.public[address] -= 1
            if self.public[address] <= 0:
                del self.public[address]

    async def attach(
        self,
        sid: UUID,
        ws: web.WebSocketResponse,
        address: str | None = None,
        transport: asyncio.Transport | None = None,
    ) -> None:
        """Register a client (``address`` when public, its connection's ``transport``) and send
        it the current snapshot."""
        client = Client(self, sid, ws, address, transport)
        self.sockets.setdefault(sid, {})[ws] = client
        state = await self.service.state(sid)
        published = await self._publish(state)  # publishes it if newer than the last one
        if published is not None and client.holds < published.seq:
            client.send_snapshot(published.seq)

    def received(self, sid: UUID, ws: web.WebSocketResponse, text: str) -> None:
        """A client's message: ``{"type": "resync"}`` asks for the current snapshot; anything
        else is ignored (clients only listen)."""
        client = self.sockets.get(sid, {}).get(ws)
        published = self.last.get(sid)
        try:
            asked = json.loads(text)
        except ValueError:
            return
        if client is not None and published is not None and asked == RESYNC:
            client.send_snapshot(published.seq)

    def detach(self, sid: UUID, ws: web.WebSocketResponse) -> None:
        clients = self.sockets.get(sid)
        if clients is not None:
            client = clients.pop(ws, None)
            sender = client._sender if client is not None else None
            if sender is not None and sender is not asyncio.current_task():
                sender.cancel()
            if not clients:
                del self.sockets[sid]
                self.last.pop(sid, None)

    # --- listening ------------------------------------------------------------------------

    def follows(self, sid: UUID) -> bool:
        return sid in self.sockets or sid in self._wanted

    def appended(self, notice: Appended) -> None:
        """The journal listener's subscriber: a session's journal reached ``notice.seq``."""
        sid = notice.session_id
        if self.follows(sid) or own_backend(notice.pid):
            if notice.event is not None:
                self._heard.setdefault(sid, {})[notice.seq] = notice.event
            self.want(sid, notice.seq)
        else:
            self.ignored += 1

    def reconnected(self) -> None:
        """The journal listener's subscriber: notifications may have been lost meanwhile."""
        self._spawn(self._catch_up_followed())

    def want(self, sid: UUID, seq: int) -> None:
        """Catch up session ``sid`` to at least ``seq`` (coalesced per session)."""
        self._wanted[sid] = max(seq, self._wanted.get(sid, 0))
        if sid not in self._workers:
            self._workers[sid] = self._spawn(self._catch_up(sid))

    async def _catch_up(self, sid: UUID) -> None:
        try:
            while True:
                seq = self._wanted.get(sid, 0)
                known = self.service.cached(sid)
                # told, not only cached: a read (GET /live) may have folded the append without
                # telling anyone or running rada's reactions to it (R7, R9, R10)
                if known is not None and known.last_seq >= seq and self.service.told(sid) >= seq:
                    await self._publish(known)
                    break
                if await self.service.settle(sid):  # an act of this process may hold it
                    continue
                await self.service.refresh(sid, seq, self._heard.pop(sid, None))
        except Exception:  # a listener must survive one bad session; the next notify retries
            log.exception("live_refresh_failed", session_id=str(sid))
        finally:
            del self._workers[sid]
            self._wanted.pop(sid, None)
            self._heard.pop(sid, None)

    async def _catch_up_followed(self) -> None:
        """Re-read the journal heads of the sessions this process has clients for and catch up
        those that moved (a feature that appends polls for itself after a reconnection)."""
        followed = set(self.sockets)
        if not followed:
            return
        try:
            async with self.service.pool.acquire() as conn:
                for sid in followed:
                    seq, _ = await journal_head(conn, sid)
                    self.want(sid, seq)
        except Exception:  # the next notification, or the next reconnection, retries
            log.exception("live_catch_up_failed")

    async def close(self) -> None:
        for clients in list(self.sockets.values()):
            for ws in list(clients):
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1.0):  # a client that does not read: cut off
                        await ws.close(code=1001, message=b"server shutdown")
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
