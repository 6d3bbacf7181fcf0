"""Use-cases of conducting a session: one transaction per act.

Every act: bring the folded state up to the journal's head (what the cache lacks, with the head
and the recording's media position: one round trip), let rada's own reactions run first (a
lost recording or a lost quorum declares a break, R9/R10/R7), decide (pure,
``orchestrator.conduct``), and append the events in one statement that takes the session row's
lock and writes only if the head is still the one decided on (``journal_store.append_after``,
its own transaction); only then answer. If another writer appended in between, nothing was
written and the act runs again inside a transaction that locks the session row first
(``journal_store.lock_since``), as every act did before (issue 14: two round trips instead of
six when acts on a session do not collide). When the cache is current (this process made or
was told of the last append), even the read is skipped: the act is decided on the cached state
and sealed at a guess of the recording's media position (the database's last answer plus the
time since), and ``journal_store.append_near`` writes it only if the head and the position
are what was guessed (one round trip); otherwise, or if the decision refused the act (the cache
might be behind), it runs again as above. The row lock serialises appends to one session
across processes; the journal's unique (session, seq) key and the unique answer per (vote,
voter) index (migration 0003) hold even if that failed.

The service keeps a per-process cache of each session's *committed* state: a cached state is
never mutated; an act works on a clone and replaces the cache entry after commit. Readers
(snapshots, the WebSocket hub) see only committed states.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import orjson
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
from orchestrator.kernel.journal.chain import Event, Media, event_from_public
from orchestrator.kernel.web.auth import Principal

log = structlog.get_logger(__name__)

Decision = Callable[[SessionState], Sequence[NewEvent]]
Listener = Callable[[SessionState], Awaitable[None]]

MAX_CACHED = 2048  # sessions' states kept per process: every council's sitting of a day, and more
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
        self._states: dict[UUID, SessionState] = {}  # least recently offered first
        self.max_cached = MAX_CACHED
        self._loading: dict[UUID, asyncio.Lock] = {}
        self._told: dict[str, int] = {}  # the last seq the listeners heard, per session id
        self._views: dict[str, tuple[SessionState, dict[str, Any]]] = {}
        self._acting: dict[UUID, list[asyncio.Future[None]]] = {}  # acts in progress
        # the media position the database last gave, when (monotonic): the next act's guess
        self._media: dict[UUID, tuple[Media | None, float]] = {}
        self._near_missed: set[UUID] = set()  # the last one-round-trip act found the cache behind
        # acts decided in one round trip, after a read, after a read under the session's lock
        self.acts_near = self.acts_read = self.acts_locked = 0
        self.folded_heard = 0  # events folded from the notices that carried them
        self.reads = 0  # journal reads to bring the cache up to date (outside acts)
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
        view = snapshot(state, memo)  # reuses the unchanged parts of the last one
        self._views[state.session_id] = (state, view)
        return view

    def _offer(self, session_id: UUID, state: SessionState) -> bool:
        """Keep ``state`` if it is newer than the cached one; True if it was kept. The cache
        holds the ``max_cached`` sessions offered a state most recently: an older one is
        folded again from the journal when it is next needed."""
        known = self._states.get(session_id)
        if known is not None and known.last_seq >= state.last_seq:
            return False
        self._states.pop(session_id, None)  # the newest last: the dict's order is the recency
        self._states[session_id] = state
        while len(self._states) > self.max_cached:
            oldest = next(iter(self._states))
            loading = self._loading.get(oldest)
            if loading is not None and loading.locked():
                break  # being read now: kept until a later offer
            del self._states[oldest]
            self._loading.pop(oldest, None)
            self._media.pop(oldest, None)
            self._near_missed.discard(oldest)
            self._views.pop(str(oldest), None)
        return True

    async def _catch_up(self, conn: Conn, session_id: UUID) -> SessionState:
        """The committed state at the journal's head (cached, never to be mutated)."""
        lock = self._loading.setdefault(session_id, asyncio.Lock())
        async with lock:
            known = self._states.get(session_id)
            after = 0 if known is None else known.last_seq
            fresh = await journal_store.load_events(conn, session_id, after=after)
            self.reads += 1
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

    async def refresh(
        self, session_id: UUID, seq: int, heard: Mapping[int, str] | None = None
    ) -> SessionState | None:
        """A journal append was announced (LISTEN/NOTIFY): catch up and tell the listeners.
        Runs rada's reactions if the new state calls for them (e.g. the recorder's
        ``recording_lost`` or identity's ``presence_left``). ``heard``: the events the notices
        carried, by seq (their public JSON): when they are all the cache lacks, they are folded
        without reading the journal (:meth:`_fold_heard`).

        What the listeners last heard is tracked apart from the cache: a read (``state``) may have
        folded the announced events already, and they must still be told and reacted to."""
        if self.told(session_id) >= seq:
            return None
        state = self._fold_heard(session_id, seq, heard)
        if state is None:
            known = self._states.get(session_id)  # a read may have folded it already
            current = known is not None and known.last_seq >= seq
            state = known if current and known is not None else await self.state(session_id)
        await self._tell(state)
        if conduct.react(state):
            outcome = await self.act(session_id, lambda s: [])
            return outcome.state
        return state

    def _fold_heard(
        self, session_id: UUID, seq: int, heard: Mapping[int, str] | None
    ) -> SessionState | None:
        """The cached state advanced to ``seq`` by the events the notices carried, if they are
        every one the cache lacks and each follows the one before (its seq and previous hash);
        else None (the journal is read instead)."""
        known = self._states.get(session_id)
        if not heard or known is None or known.last_seq >= seq:
            return None
        try:
            events = [
                event_from_public(orjson.loads(heard[n]))
                for n in range(known.last_seq + 1, seq + 1)
            ]
        except (KeyError, ValueError, TypeError):
            return None
        previous = known.last_hash
        for event in events:
            if event.session_id != session_id or event.prev_hash != previous:
                return None
            previous = event.hash
        state = known.clone()
        for event in events:
            apply(state, event)
        self.folded_heard += len(events)
        self._offer(session_id, state)
        return self._states[session_id]

    def told(self, session_id: UUID) -> int:
        """The journal position the listeners last heard of for ``session_id``."""
        return self._told.get(str(session_id), 0)

    async def _tell(self, state: SessionState) -> None:
        if self._told.get(state.session_id, 0) >= state.last_seq:
            return
        self._told[state.session_id] = state.last_seq
        for listener in self.listeners:
            await listener(state)

    # --- one act -----------------------------------------------------------------------------

    async def act(self, session_id: UUID, decide: Decision) -> Outcome:
        """Fold, react, decide, append (:meth:`_act`); then tell the listeners."""
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
        """First on the cached state alone (one round trip, :meth:`_attempt_near`); then
        without a transaction: read the head and what the cache lacks, decide, and append only
        if the head has not moved (two round trips, :func:`journal_store.append_after`); if
        another writer came between, again under the session's lock."""
        async with self.pool.acquire() as conn:
            try:
                done = await self._attempt_near(conn, session_id, decide)
                if done is not None:
                    self.acts_near += 1
                else:
                    done = await self._attempt(conn, session_id, decide, lock=False)
                    if done is not None:
                        self.acts_read += 1
                if done is None:
                    async with conn.transaction():
                        done = await self._attempt(conn, session_id, decide, lock=True)
                    self.acts_locked += 1
            except asyncpg.UniqueViolationError as exc:
                raise _conflict_of(exc) from None
        assert done is not None
        appended, work, refusal = done
        for event in appended:
            log.info(event.type, session_id=str(session_id), seq=event.seq, actor=event.actor)
        if appended:
            self._offer(session_id, work)
            await self._tell(work)
        if refusal is not None:
            raise refusal
        return Outcome(appended, work, self)

    async def _attempt(
        self, conn: Conn, session_id: UUID, decide: Decision, *, lock: bool
    ) -> tuple[list[Event], SessionState, DomainError | None] | None:
        """Fold to the head, react, decide, append (see :meth:`_act`). None when not
        ``lock`` and the head moved before the append (nothing was written)."""
        known = self._states.get(session_id)
        after = 0 if known is None else known.last_seq
        read = journal_store.lock_since if lock else journal_store.read_since
        head, fresh = await read(conn, session_id, after)
        self._media[session_id] = (head.media, time.monotonic())
        if known is not None and not fresh:
            self._near_missed.discard(session_id)  # the cache was current: worth trying again
        if known is None:
            state = fold(session_id, fresh)
        elif fresh:
            state = known.clone()
            for event in fresh:
                apply(state, event)
        else:
            state = known
        self._offer(session_id, state)  # committed events: any reader may have them
        current = self._states[session_id]
        if current.last_seq != head.seq:  # the cache moved on meanwhile
            if not lock:
                return None
            raise Conflict(  # under the lock the cache cannot pass the head
                "another act was recorded at the same moment; retry", code="concurrent_act"
            )
        work = current.clone()
        expected = head.seq
        refusal: DomainError | None = None
        sealed = self._react(head, work)
        try:
            decided = list(decide(work))
        except DomainError as exc:
            if not sealed:
                raise
            refusal = exc  # commit rada's own break, then refuse the act
            decided = []
        sealed += self._seal(head, work, decided)
        sealed += self._react(head, work)
        statuses = [_STATUS_AFTER[e.type] for e in sealed if e.type in _STATUS_AFTER]
        status = statuses[-1] if statuses else None
        if not await journal_store.append_after(conn, expected, sealed, status):
            if not lock:
                return None
            raise Conflict(
                "another act was recorded at the same moment; retry", code="concurrent_act"
            )
        return sealed, work, refusal

    async def _attempt_near(
        self, conn: Conn, session_id: UUID, decide: Decision
    ) -> tuple[list[Event], SessionState, DomainError | None] | None:
        """Decide on the cached state, seal at the guessed media position and append if both
        hold (one round trip, :func:`journal_store.append_near`). None, with nothing written,
        when there is nothing to go on, the guess missed, nothing was decided, or the decision
        refused: a refusal on a cache that may be behind is not final (:meth:`_act`)."""
        known = self._states.get(session_id)
        anchor = self._media.get(session_id)
        if known is None or anchor is None or known.last_seq == 0:
            return None
        if session_id in self._near_missed:
            return None
        media, sampled = anchor
        if media is not None:  # the recording went on meanwhile, by the monotonic clock
            media = Media(media.part, media.ms + int((time.monotonic() - sampled) * 1000))
        head = journal_store.Head(session_id, known.last_seq, known.last_hash, known.last_at, media)
        work = known.clone()
        try:
            sealed = self._react(head, work)
            sealed += self._seal(head, work, list(decide(work)))
        except DomainError:
            return None
        sealed += self._react(head, work)
        if not sealed:
            return None
        statuses = [_STATUS_AFTER[e.type] for e in sealed if e.type in _STATUS_AFTER]
        written, now = await journal_store.append_near(
            conn, known.last_seq, sealed, statuses[-1] if statuses else None
        )
        self._media[session_id] = (now, time.monotonic())
        if not written:
            self._near_missed.add(session_id)
            return None
        return sealed, work, None

    def _seal(
        self, head: journal_store.Head, work: SessionState, new: Sequence[NewEvent]
    ) -> list[Event]:
        """The events of ``new`` after ``head``, applied to ``work`` (nothing written yet)."""
        out = []
        for item in new:
            event = journal_store.seal_next(
                head, item.type, item.payload, actor=item.actor, at=self.clock()
            )
            apply(work, event)
            out.append(event)
        return out

    def _react(self, head: journal_store.Head, work: SessionState) -> list[Event]:
        """rada's own reactions to ``work`` (R7, R9, R10), sealed after ``head``."""
        out: list[Event] = []
        for _ in range(MAX_REACTIONS):
            reactions = conduct.react(work)
            if not reactions:
                break
            out += self._seal(head, work, reactions)
        return out

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
