"""The live state over WebSocket, shared by every rada process on one database.

Each process holds one extra PostgreSQL connection that ``LISTEN``s on ``rada_journal`` (the
journal store ``NOTIFY``s ``<session_id>:<seq>`` with every append, in the appending
transaction, so a notification means "committed"). On a notification the process brings its
folded state of that session up to date and sends the snapshot to its WebSocket clients; so a
deputy on one process and the chair on another see each other's acts. A reconnecting client
simply gets the current snapshot. Clients must ignore a snapshot whose ``seq`` is not newer
than the last one they have (two sends can cross).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from aiohttp import web

from orchestrator.conduct.service import ConductService
from orchestrator.conduct.state import SessionState, snapshot
from orchestrator.kernel.journal.store import NOTIFY_CHANNEL

log = structlog.get_logger(__name__)

RECONNECT_SECONDS = 1.0


def _setter(event: asyncio.Event) -> Callable[[object], None]:
    return lambda _conn: event.set()


def message(state: SessionState) -> str:
    """The WebSocket frame of the live-state contract."""
    return json.dumps(
        {"type": "snapshot", "seq": state.last_seq, "state": snapshot(state)},
        ensure_ascii=False,
    )


class LiveHub:
    """WebSocket clients per session, and the LISTEN connection that keeps them current."""

    def __init__(self, service: ConductService) -> None:
        self.service = service
        self.sockets: dict[UUID, set[web.WebSocketResponse]] = {}
        self.last: dict[UUID, tuple[int, str]] = {}
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
        """Send a committed state to the session's clients, once per journal position."""
        sid = UUID(state.session_id)
        sent = self.last.get(sid)
        if sent is not None and sent[0] >= state.last_seq:
            return
        text = message(state)
        self.last[sid] = (state.last_seq, text)
        clients = list(self.sockets.get(sid, ()))
        if clients:
            self._spawn(self._send(sid, clients, text))

    async def _send(self, sid: UUID, clients: list[web.WebSocketResponse], text: str) -> None:
        for ws in clients:
            if ws.closed:
                self.sockets.get(sid, set()).discard(ws)
                continue
            try:
                await ws.send_str(text)
            except (ConnectionError, RuntimeError):
                self.sockets.get(sid, set()).discard(ws)

    async def attach(self, sid: UUID, ws: web.WebSocketResponse) -> None:
        """Register a client and send it the current snapshot."""
        self.sockets.setdefault(sid, set()).add(ws)
        state = await self.service.state(sid)
        sent = self.last.get(sid)
        text = sent[1] if sent is not None and sent[0] > state.last_seq else message(state)
        await ws.send_str(text)

    def detach(self, sid: UUID, ws: web.WebSocketResponse) -> None:
        clients = self.sockets.get(sid)
        if clients is not None:
            clients.discard(ws)
            if not clients:
                del self.sockets[sid]

    # --- listening ------------------------------------------------------------------------

    def _notified(self, conn: object, pid: int, channel: str, payload: object) -> None:
        payload = str(payload)
        raw_sid, _, raw_seq = payload.partition(":")
        try:
            sid, seq = UUID(raw_sid), int(raw_seq)
        except ValueError:
            log.warning("live_notify_malformed", payload=payload[:100])
            return
        self.want(sid, seq)

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

    async def _resync(self, sid: UUID) -> None:
        try:
            await self.publish(await self.service.state(sid))
        except Exception:  # the next notification retries
            log.exception("live_resync_failed", session_id=str(sid))

    async def run(self, url: str, ready: asyncio.Event) -> None:
        """Hold the LISTEN connection; reconnect if it drops and then catch every client up."""
        first = True
        while True:
            lost = asyncio.Event()
            try:
                conn = await asyncpg.connect(url)
            except (OSError, asyncpg.PostgresError):
                log.warning("live_listen_connect_failed")
                await asyncio.sleep(RECONNECT_SECONDS)
                continue
            try:
                conn.add_termination_listener(_setter(lost))
                await conn.add_listener(NOTIFY_CHANNEL, self._notified)
                if not first:  # notifications may have been missed meanwhile
                    for sid in list(self.sockets):
                        self._spawn(self._resync(sid))
                first = False
                ready.set()
                await lost.wait()
                log.warning("live_listen_connection_lost")
            finally:
                if not conn.is_closed():
                    await conn.close()

    async def close(self) -> None:
        for clients in list(self.sockets.values()):
            for ws in list(clients):
                await ws.close(code=1001, message=b"server shutdown")
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
