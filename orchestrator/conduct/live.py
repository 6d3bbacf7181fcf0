"""The live state over WebSocket, shared by every rada process on one database.

The process's journal listener (:mod:`orchestrator.kernel.journal.listener`) tells the hub of
every append (the journal store ``NOTIFY``s ``<session_id>:<seq>`` in the appending
transaction, so a notification means "committed"). The hub then brings its folded state of
that session up to date and sends the snapshot to its WebSocket clients; so a deputy on one
process and the chair on another see each other's acts. After the listener reconnects
(notifications sent meanwhile are lost) the hub re-reads the journal heads of the sessions it
follows and catches up the same way. A reconnecting client simply gets the current snapshot.
Clients must ignore a snapshot whose ``seq`` is not newer than the last one they have (two
sends can cross).

**Back-pressure.** Each client has one sender and at most one snapshot waiting: a newer one
replaces it (a snapshot is the whole state, so only the newest matters), and nothing is ever
queued behind it. While the client's unsent output (the socket's write buffer) is above
``RADA_LIVE_BUFFER`` the sender writes nothing; a client that stays behind (its write not
taken, or its buffer not drained) for ``RADA_LIVE_SLOW_SECONDS`` is cut off, and a browser
reconnects and gets the current snapshot. So a client that never reads costs at most the
buffer bound plus one frame, however many snapshots are published, and never delays the others.
Public sockets (the open broadcast needs no sign-in, R3) are limited per client address and in
total (``RADA_LIVE_PUBLIC_PER_ADDRESS``, ``RADA_LIVE_PUBLIC_TOTAL``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Coroutine
from typing import Any
from uuid import UUID

import structlog
from aiohttp import web

from orchestrator.conduct.service import ConductService
from orchestrator.conduct.state import SessionState, snapshot
from orchestrator.kernel.errors import TooManyRequests
from orchestrator.kernel.journal.listener import Appended
from orchestrator.kernel.journal.store import journal_head
from orchestrator.kernel.settings.live import LiveSettings

log = structlog.get_logger(__name__)


def message(state: SessionState) -> str:
    """The WebSocket frame of the live-state contract."""
    return json.dumps(
        {"type": "snapshot", "seq": state.last_seq, "state": snapshot(state)},
        ensure_ascii=False,
    )


class Client:
    """One WebSocket client: its sender and the newest snapshot it has not been sent yet."""

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
        self.pending: str | None = None
        self.dropped = 0  # snapshots replaced by a newer one before they were sent
        self._wake = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None

    def offer(self, text: str) -> None:
        """Send ``text`` when the client has taken what it was sent; it replaces any older
        snapshot still waiting (dropped, never queued)."""
        if self.pending is not None:
            self.dropped += 1
        self.pending = text
        self._wake.set()
        if self._sender is None:
            self._sender = self.hub._spawn(self._send())

    def unsent(self) -> int:
        """Bytes written to the socket that the client has not taken yet."""
        transport = self.transport
        return transport.get_write_buffer_size() if transport is not None else 0

    async def _send(self) -> None:
        settings = self.hub.settings
        try:
            while not self.ws.closed:
                await self._wake.wait()
                self._wake.clear()
                try:
                    async with asyncio.timeout(settings.slow_seconds):
                        # the transport tells no one when its buffer falls below a size
                        while self.unsent() > settings.buffer_bytes:  # noqa: ASYNC110
                            await asyncio.sleep(DRAIN_CHECK_SECONDS)
                        text, self.pending = self.pending, None
                        if text is not None:
                            await self.ws.send_str(text)
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


DRAIN_CHECK_SECONDS = 0.1


class LiveHub:
    """WebSocket clients per session, kept current by the journal listener's notices."""

    def __init__(self, service: ConductService, settings: LiveSettings | None = None) -> None:
        self.service = service
        self.settings = settings or LiveSettings()
        self.sockets: dict[UUID, dict[web.WebSocketResponse, Client]] = {}
        self.last: dict[UUID, tuple[int, str]] = {}
        self.public: Counter[str] = Counter()  # open public sockets per client address
        self.cut_off = 0  # clients closed for staying behind
        self._wanted: dict[UUID, int] = {}
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
        sid = UUID(state.session_id)
        sent = self.last.get(sid)
        if sent is not None and sent[0] >= state.last_seq:
            return
        text = message(state)
        self.last[sid] = (state.last_seq, text)
        for client in list(self.sockets.get(sid, {}).values()):
            client.offer(text)

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
        sent = self.last.get(sid)
        client.offer(sent[1] if sent is not None and sent[0] > state.last_seq else message(state))

    def detach(self, sid: UUID, ws: web.WebSocketResponse) -> None:
        clients = self.sockets.get(sid)
        if clients is not None:
            client = clients.pop(ws, None)
            sender = client._sender if client is not None else None
            if sender is not None and sender is not asyncio.current_task():
                sender.cancel()
            if not clients:
                del self.sockets[sid]

    # --- listening ------------------------------------------------------------------------

    def appended(self, notice: Appended) -> None:
        """The journal listener's subscriber: a session's journal reached ``notice.seq``."""
        self.want(notice.session_id, notice.seq)

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
                if known is not None and known.last_seq >= seq:
                    if self.last.get(sid, (0, ""))[0] < known.last_seq:
                        await self.publish(known)
                    break
                await self.service.refresh(sid, seq)
        except Exception:  # a listener must survive one bad session; the next notify retries
            log.exception("live_refresh_failed", session_id=str(sid))
        finally:
            del self._workers[sid]

    async def _catch_up_followed(self) -> None:
        """Re-read the journal heads of the sessions this process follows (clients attached
        or states published) and catch up those that moved."""
        followed = set(self.sockets) | set(self.last)
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
