"""Use-cases of conducting a session: one transaction per act.

Every act: take the session row's lock and bring the folded state up to the journal's head (one
round trip, ``journal_store.lock_since``), let
rada's own reactions run first (a lost recording or a lost quorum declares a break, R9/R10/R7),
decide (pure, ``orchestrator.conduct``), append the events, commit, and only then answer. The
row lock serialises acts on one session across processes; the journal's unique (session, seq)
key and the unique answer per (vote, voter) index (migration 0003) hold even if that failed.

The service keeps a per-process cache of each session's *committed* state: a cached state is
never mutated; an act works on a clone and replaces the cache entry after commit. Readers
(snapshots, the WebSocket hub) see only committed states.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from orchestrator.conduct import decide as conduct
from orchestrator.conduct.decide import Actor, NewEvent, Policy
from orchestrator.conduct.state import SessionState, apply, fold, snapshot
from orchestrator.convening import store
from orchestrator.kernel.clock import Clock
from orchestrator.kernel.database import Conn
from orchestrator.kernel.errors import Conflict, DomainError, Forbidden
from orchestrator.kernel.journal import events
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.journal.chain import Event
from orchestrator.kernel.web.auth import Principal

log = structlog.get_logger(__name__)

Decision = Callable[[SessionState], Sequence[NewEvent]]
Listener = Callable[[SessionState], Awaitable[None]]

MAX_REACTIONS = 4  # a reaction cannot trigger itself (a break stops both causes); bound anyway

_STATUS_AFTER = {
    events.SESSION_OPENED: "opened",
    events.SESSION_CLOSED: "closed",
}

UNIQUE_ANSWER = "journal_one_answer"
UNIQUE_VOTE = "journal_one_vote"


def actor_of(principal: Principal, session_id: UUID) -> Actor:
    """The pure actor behind an authenticated participant of this session."""
    if principal.kind != "participant" or principal.session_id != session_id:
        raise Forbidden("you are not a participant of this session", code="not_participant")
    role = principal.role.value if principal.role is not None else None
    return Actor(str(principal.participant_id), role)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an act appended, and the committed state after it."""

    events: list[Event]
    state: SessionState
    views: ConductService | None = field(default=None, repr=False, compare=False)

    def view(self) -> dict[str, Any]:
        """The snapshot of ``state`` (made once per state: :meth:`ConductService.view`)."""
        return snapshot(self.state) if self.views is None else self.views.view(self.state)


class ConductService:
    """The session's conduct over one database; ``listeners`` hear every committed state."""

    def __init__(self, pool: asyncpg.Pool, *, clock: Clock, policy: Policy) -> None:
        self.pool = pool
        self.clock = clock
        self.policy = policy
        self._states: dict[UUID, SessionState] = {}
        self._loading: dict[UUID, asyncio.Lock] = {}
        self._told: dict[str, int] = {}  # the last seq the listeners heard, per session id
        self._views: dict[str, tuple[SessionState, dict[str, Any]]] = {}
        self._acting: dict[UUID, list[asyncio.Future[None]]] = {}  # acts in progress
        self.listeners: list[Listener] = []

    # --- the committed state ----------------------------------------------------------------

    def cached(self, session_id: UUID) -> SessionState | None:
        return self._states.get(session_id)

    def view(self, state: SessionState) -> dict[str, Any]:
        """The snapshot of a committed ``state``, made once for the live hub and the act's
        answer (the newest per session is kept; never mutate it)."""
        memo = self._views.get(state.session_id)
        if memo is not None and memo[0] is state:
            return memo[1]
        view = snapshot(state)
        self._views[state.session_id] = (state, view)
        return view

    def _offer(self, session_id: UUID, state: SessionState) -> bool:
        """Keep ``state`` if it is newer than the cached one; True if it was kept."""
        known = self._states.get(session_id)
        if known is not None and known.last_seq >= state.last_seq:
            return False
        self._states[session_id] = state
        return True

    async def _catch_up(self, conn: Conn, session_id: UUID) -> SessionState:
        """The committed state at the journal's head (cached, never to be mutated)."""
        lock = self._loading.setdefault(session_id, asyncio.Lock())
        async with lock:
            known = self._states.get(session_id)
            after = 0 if known is None else known.last_seq
            fresh = await journal_store.load_events(conn, session_id, after=after)
            if known is None:
                if not fresh:
                    await store.get_session(conn, session_id)  # NotFound if it does not exist
                state = fold(session_id, fresh)
            elif fresh:
                state = known.clone()
                for event in fresh:
                    apply(state, event)
            else:
                return known
            self._offer(session_id, state)
            return self._states[session_id]

    async def state(self, session_id: UUID) -> SessionState:
        async with self.pool.acquire() as conn:
            return await self._catch_up(conn, session_id)

    async def refresh(self, session_id: UUID, seq: int) -> SessionState | None:
        """A journal append was announced (LISTEN/NOTIFY): catch up and tell the listeners.
        Runs rada's reactions if the new state calls for them (e.g. the recorder's
        ``recording_lost`` or identity's ``presence_left``).

        What the listeners last heard is tracked apart from the cache: a read (``state``) may have
        folded the announced events already, and they must still be told and reacted to."""
        if self._told.get(str(session_id), 0) >= seq:
            return None
        state = await self.state(session_id)
        await self._tell(state)
        if conduct.react(state):
            outcome = await self.act(session_id, lambda s: [])
            return outcome.state
        return state

    async def _tell(self, state: SessionState) -> None:
        if self._told.get(state.session_id, 0) >= state.last_seq:
            return
        self._told[state.session_id] = state.last_seq
        for listener in self.listeners:
            await listener(state)

    # --- one act -----------------------------------------------------------------------------

    async def act(self, session_id: UUID, decide: Decision) -> Outcome:
        """Lock, fold, react, decide, append, commit; then tell the listeners."""
        done = asyncio.get_running_loop().create_future()
        acting = self._acting.setdefault(session_id, [])
        acting.append(done)
        try:
            return await self._act(session_id, decide)
        finally:
            acting.remove(done)
            if not acting:
                del self._acting[session_id]
            done.set_result(None)

    async def settle(self, session_id: UUID) -> bool:
        """Wait for the acts in progress on ``session_id`` in this process, if any (True):
        the notice of an append one of them made reaches the journal listener about when its
        COMMIT is answered, and the act then caches and tells the new state itself, so the
        hub need not read the journal again for it (issue 14)."""
        acting = self._acting.get(session_id)
        if not acting:
            return False
        await asyncio.wait(list(acting))
        return True

    async def _act(self, session_id: UUID, decide: Decision) -> Outcome:
        refusal: DomainError | None = None
        appended: list[Event] = []
        async with self.pool.acquire() as conn:
            try:
                async with conn.transaction():
                    head, work = await self._locked(conn, session_id)
                    appended += await self._reactions(conn, head, work)
                    try:
                        decided = list(decide(work))
                    except DomainError as exc:
                        if not appended:
                            raise
                        refusal = exc  # commit rada's own break, then refuse the act
                        decided = []
                    appended += await self._append(conn, head, work, decided)
                    appended += await self._reactions(conn, head, work)
                    await self._status(conn, session_id, appended)
            except asyncpg.UniqueViolationError as exc:
                raise _conflict_of(exc) from None
        if appended:
            self._offer(session_id, work)
            await self._tell(work)
        if refusal is not None:
            raise refusal
        return Outcome(appended, work, self)

    async def _locked(
        self, conn: Conn, session_id: UUID
    ) -> tuple[journal_store.Head, SessionState]:
        """Lock the session and bring the cached state to its head in one round trip
        (``lock_since``); a clone of it to decide on. Nobody appends while the lock is held,
        so the cache, whoever else folds meanwhile, cannot pass this head."""
        known = self._states.get(session_id)
        head, fresh = await journal_store.lock_since(
            conn, session_id, 0 if known is None else known.last_seq
        )
        if known is None:
            state = fold(session_id, fresh)
        elif fresh:
            state = known.clone()
            for event in fresh:
                apply(state, event)
        else:
            state = known
        self._offer(session_id, state)
        current = self._states[session_id]
        if current.last_seq != head.seq:  # a cache ahead of the database: never decide on it
            raise Conflict(
                "another act was recorded at the same moment; retry", code="concurrent_act"
            )
        return head, current.clone()

    async def _append(
        self,
        conn: Conn,
        head: journal_store.Head,
        work: SessionState,
        new: Sequence[NewEvent],
    ) -> list[Event]:
        out = []
        for item in new:
            event = await journal_store.append_next(
                conn, head, item.type, item.payload, actor=item.actor, at=self.clock()
            )
            apply(work, event)
            out.append(event)
            log.info(item.type, session_id=str(head.session_id), seq=event.seq, actor=item.actor)
        return out

    async def _reactions(
        self, conn: Conn, head: journal_store.Head, work: SessionState
    ) -> list[Event]:
        out: list[Event] = []
        for _ in range(MAX_REACTIONS):
            reactions = conduct.react(work)
            if not reactions:
                break
            out += await self._append(conn, head, work, reactions)
        return out

    @staticmethod
    async def _status(conn: Conn, session_id: UUID, done: list[Event]) -> None:
        """Keep the sessions table's ``status`` column in step for listings."""
        for event in done:
            status = _STATUS_AFTER.get(event.type)
            if status is not None:
                await store.set_session_status(conn, session_id, status)

    # --- the use-cases -------------------------------------------------------------------------

    async def open_session(self, sid: UUID, who: Principal) -> Outcome:
        actor = actor_of(who, sid)
        return await self.act(
            sid, lambda s: conduct.decide_open_session(s, actor, self.clock(), self.policy)
        )

    async def declare_competent(self, sid: UUID, who: Principal) -> Outcome:
        actor = actor_of(who, sid)
        return await self.act(sid, lambda s: conduct.decide_declare_competent(s, actor))

    async def open_item(self, sid: UUID, who: Principal, item: object) -> Outcome:
        actor = actor_of(who, sid)
        return await self.act(sid, lambda s: conduct.decide_open_item(s, actor, item, self.policy))

    async def close_item(self, sid: UUID, who: Principal, item: object) -> Outcome:
        actor = actor_of(who, sid)

        def decide(s: SessionState) -> Sequence[NewEvent]:
            if s.current_item is not None and item != s.current_item:
                raise Conflict(f"the open item is {s.current_item}", code="not_current_item")
            return conduct.decide_close_item(s, actor)

        return await self.act(sid, decide)

    async def limit_discussion(
        self, sid: UUID, who: Principal, scope: object, seconds: object
    ) -> Outcome:
        actor = actor_of(who, sid)
        return await self.act(
            sid, lambda s: conduct.decide_limit_discussion(s, actor, scope, seconds)
        )

    async def record_remark(self, sid: UUID, who: Principal, text: object, by: object) -> Outcome:
        actor = actor_of(who, sid)
        return await self.act(sid, lambda s: conduct.decide_record_remark(s, actor, text, by))

    async def propose_amendment(
        self, sid: UUID, who: Principal, text: object, by: object
    ) -> Outcome:
        actor = actor_of(who, sid)
        return await self.act(sid, lambda s: conduct.decide_propose_amendment(s, actor, text, by))

    async def open_vote(self, sid: UUID, who: Principal, amendment: object) -> Outcome:
        actor = actor_of(who, sid)
        return await self.act(
            sid, lambda s: conduct.decide_open_vote(s, actor, amendment, self.policy)
        )

    async def ballot(
        self, sid: UUID, who: Principal, vote_id: str, participant_id: object, answer: object
    ) -> Outcome:
        actor = actor_of(who, sid)
        return await self.act(
            sid,
            lambda s: conduct.decide_ballot(s, actor, vote_id, participant_id, answer, self.policy),
        )

    async def skip(self, sid: UUID, who: Principal, vote_id: str) -> Outcome:
        actor = actor_of(who, sid)
        return await self.act(sid, lambda s: conduct.decide_skip(s, actor, vote_id))

    async def call_next(self, sid: UUID, who: Principal, vote_id: str) -> Outcome:
        actor = actor_of(who, sid)
        return await self.act(sid, lambda s: conduct.decide_call_next(s, actor, vote_id))

    async def close_vote(self, sid: UUID, who: Principal, vote_id: str) -> Outcome:
        actor = actor_of(who, sid)
        return await self.act(sid, lambda s: conduct.decide_close_vote(s, actor, vote_id))

    async def declare_break(
        self, sid: UUID, who: Principal, cause: object, reason: object
    ) -> Outcome:
        actor = actor_of(who, sid)
        return await self.act(sid, lambda s: conduct.decide_declare_break(s, actor, cause, reason))

    async def end_break(self, sid: UUID, who: Principal) -> Outcome:
        actor = actor_of(who, sid)
        return await self.act(sid, lambda s: conduct.decide_end_break(s, actor, self.policy))

    async def close_session(self, sid: UUID, who: Principal) -> Outcome:
        actor = actor_of(who, sid)
        return await self.act(sid, lambda s: conduct.decide_close_session(s, actor))


def _conflict_of(exc: asyncpg.UniqueViolationError) -> Conflict:
    """The database's invariants, as the domain errors the fold would have raised."""
    if exc.constraint_name == UNIQUE_ANSWER:
        return Conflict("this voter has already answered in this vote", code="already_answered")
    if exc.constraint_name == UNIQUE_VOTE:
        return Conflict("this vote has been held already", code="vote_already_held")
    return Conflict("another act was recorded at the same moment; retry", code="concurrent_act")
