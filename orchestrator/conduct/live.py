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
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any
from uuid import UUID

import structlog
from aiohttp import web

from orchestrator.conduct.service import ConductService
from orchestrator.conduct.state import SessionState, snapshot
from orchestrator.kernel.journal.listener import Appended
from orchestrator.kernel.journal.store import journal_head

log = structlog.get_logger(__name__)


def message(state: SessionState) -> str:
    """The WebSocket frame of the live-state contract."""
    return json.dumps(
        {"type": "snapshot", "seq": state.last_seq, "state": snapshot(state)},
        ensure_ascii=False,
    )


class LiveHub:
    """WebSocket clients per session, kept current by the journal listener's notices."""

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
                await ws.close(code=1001, message=b"server shutdown")
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
