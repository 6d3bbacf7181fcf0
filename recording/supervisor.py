"""The recorder supervisor: one recorder per opened session, claimed by exactly one rada process.

Every poll (once a second, at once when the process's journal listener announces an append
through LISTEN/NOTIFY, and after it reconnected) the supervisor reads the sessions in the ``opened`` state (conduct keeps the
``sessions.status`` column in step with ``session_opened``/``session_closed``):

* an opened session nobody records here is claimed with ``pg_try_advisory_lock`` on a
  connection this process keeps open — another process may hold it; if this one dies, its
  connection ends, the lock is freed and another process takes over (its recorder closes the
  crashed part as recovered and starts a new one);
* a recorded session that is no longer opened is closed: with ``closed``, its archive is
  written with chapters from the journal (``archive_ready``); otherwise the recorder stops.

The recorder's events go to the journal through :class:`JournalSink` (actor ``recorder``).
Conduct reacts to ``recording_lost`` by declaring the technical break (R9, R10); the two
packages meet only through the journal. The call source (Jibri, or a simulated call on a
machine without Jitsi) is started for each recorded session and restarted while nothing is
received (Jibri quits by itself 30 s after the room empties), or at once when the Jibri's
status webhook reports it left the call or unhealthy (:func:`record_jibri_report` journals
``jibri_status``; the append's NOTIFY wakes the poll, which wakes that session's keeper).

**Surviving the database.** The claims live on one dedicated connection (session-level advisory
locks), checked with ``SELECT 1`` at every poll. When it is lost (PostgreSQL restarted or failed
over: every lock vanished with it) the supervisor reconnects, at once and then with the journal
listener's capped backoff, and claims every session it records *again* before anything else:

* a claim confirmed again: the recorder goes on as if nothing happened;
* a claim another process took meanwhile: this recorder is **fenced** at once: it stops and
  writes nothing more to the journal (``recorder_fenced`` in the log), so two recorders never
  write one session (R9);
* while the database cannot be reached the recorders **keep recording locally**. The media is
  still captured (the course of the session is recorded, R9), and no vote can be taken meanwhile
  (every act is a database transaction), so keeping on never lets a vote through unrecorded;
  stopping would only cut a gap into the recording. Their claims are unconfirmed meanwhile
  (``/healthz`` shows the supervisor down), and no other process starts: after a reconnection
  a supervisor leaves alone, for ``RECLAIM_GRACE_SECONDS``, every session whose recorder status
  names another process, so a live holder (reconnecting within the backoff cap) re-claims first.
  (A process *started* just after a server restart gets no such grace.) A holder cut off from a
  server that stays up keeps its locks until the server drops its connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import aiohttp
import asyncpg
import structlog

from orchestrator.kernel.clock import Clock
from orchestrator.kernel.health import Health
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.journal.chain import format_time
from orchestrator.kernel.journal.listener import (
    BACKOFF_CAP_SECONDS,
    Appended,
    JournalListener,
    Subscription,
    backoff,
)
from orchestrator.kernel.settings.recording import RecordingSettings
from recording import store
from recording.errors import JibriUnavailable, NoIngestPort, StorageInsufficient
from recording.jibri.client import JibriHandle, JibriPool
from recording.jibri.status import StatusReport, journal_payload, source_state
from recording.manifest import LIVE_PLAYLIST
from recording.media.ingest import ffmpeg_executable, simulated_call_args
from recording.media.recorder import Recorder
from recording.media.restream import Destination, Restream
from recording.storage.local import RecordingStorage

ACTOR = "recorder"
OPENED = "opened"
CLOSED = "closed"
MIN_SECONDS = 600  # disk check for a session already past its planned end
RESTREAM_DRAIN_SECONDS = 15.0  # a closed session's pushes send their last segments
RESTART_GAP_SECONDS = 5.0  # a source a webhook reported lost is restarted at most this often
RETRY_SECONDS = 30.0  # a recorder that could not start is tried again after this
SWEEP_SECONDS = 60.0  # how often closed sessions are checked for a missing archive
CONNECT_SECONDS = 10.0  # the lock connection's connect timeout
CHECK_TIMEOUT_SECONDS = 2.0  # the lock connection's SELECT 1 at every poll
# After a reconnection, sessions another process recorded are left to it this long: its own
# reconnection (the backoff is capped) and re-claim come first (see the module).
RECLAIM_GRACE_SECONDS = 2 * BACKOFF_CAP_SECONDS
STALE_POLLS = 5  # /healthz: the supervisor is down when no poll succeeded for this many intervals

log = structlog.get_logger(__name__)


class JournalSink:
    """The recorder's owner: each event is appended to the session's journal."""

    def __init__(self, pool: asyncpg.Pool, clock: Clock) -> None:
        self.pool = pool
        self.clock = clock

    async def recording_event(self, session_id: UUID, type: str, payload: dict[str, Any]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await journal_store.append_event(
                conn, session_id, type, payload, actor=ACTOR, at=self.clock()
            )


class LocksDown(ConnectionError):
    """The claims cannot be confirmed: the lock connection is down (see the module)."""


class FencedSink:
    """The sink of a fenced recorder: another process records the session now, so nothing this
    one still says goes to the journal (it is logged)."""

    async def recording_event(self, session_id: UUID, type: str, payload: dict[str, Any]) -> None:
        log.warning("recording_event_fenced", session_id=str(session_id), type=type)


class CallSource(Protocol):
    """What pushes the conference to a session's ingest: Jibri, or a simulated call."""

    @property
    def name(self) -> str: ...

    async def start(self, session_id: UUID, room: str, stream_url: str) -> object: ...

    async def stop(self, handle: object) -> None: ...


@dataclass(frozen=True, slots=True)
class JibriCall:
    """Jibri streaming the Jitsi call (``callUrlInfo.baseUrl`` is Jitsi's web address)."""

    pool: JibriPool
    call_base_url: str
    name: str = "jibri"

    async def start(self, session_id: UUID, room: str, stream_url: str) -> object:
        return await self.pool.start(
            session_id=str(session_id),
            call_base_url=self.call_base_url,
            room=room,
            stream_url=stream_url,
        )

    async def stop(self, handle: object) -> None:
        assert isinstance(handle, JibriHandle)
        await self.pool.stop(handle)


class SimulatedCall:
    """An ffmpeg test source pushed over RTMP exactly as Jibri pushes (or over SRT with
    ``RADA_RECORDING_INGEST=srt``), for a machine without Jitsi (DESIGN principle 5,
    ``RADA_RECORDING_SIMULATED_CALL=1``)."""

    name = "simulated_call"

    def __init__(self, ffmpeg: str | None = None, size: str = "640x360") -> None:
        self.ffmpeg = ffmpeg or ffmpeg_executable()
        self.size = size

    async def start(self, session_id: UUID, room: str, stream_url: str) -> object:
        return await asyncio.create_subprocess_exec(
            *simulated_call_args(self.ffmpeg, stream_url, size=self.size),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )

    async def stop(self, handle: object) -> None:
        assert isinstance(handle, asyncio.subprocess.Process)
        if handle.returncode is None:
            handle.terminate()
        await handle.wait()


class RecordingSupervisor:
    """Runs the recorders of the opened sessions this process has claimed."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        database_url: str,
        settings: RecordingSettings,
        storage: RecordingStorage,
        clock: Clock,
        source: CallSource | None = None,
        poll_seconds: float = 1.0,
        instance: str | None = None,
        listener: JournalListener | None = None,
    ) -> None:
        self.pool = pool
        self.database_url = database_url
        self.settings = settings
        self.storage = storage
        self.clock = clock
        self.source = source
        self.poll_seconds = poll_seconds
        self.instance = instance or f"{socket.gethostname()}:{os.getpid()}"
        self.listener = listener  # without one, only the interval poll runs
        self._subscription: Subscription | None = None
        self.sink = JournalSink(pool, clock)
        self.recorders: dict[UUID, Recorder] = {}
        self._rooms: dict[UUID, str] = {}
        # the restream of a recorded session and the (name, url) list it pushes to
        self.restreams: dict[UUID, tuple[tuple[tuple[str, str], ...], Restream]] = {}
        self._finishing: set[asyncio.Task[None]] = set()  # pushes sending a closed session's end
        self._keepers: dict[UUID, asyncio.Task[None]] = {}
        self._source_lost: dict[UUID, asyncio.Event] = {}  # wakes a keeper: restart now
        self._retry_at: dict[UUID, float] = {}  # a recorder that could not start: when to retry
        self._refused: set[UUID] = set()  # sessions whose refusal is already journaled
        self._next_sweep = 0.0
        self._locks: asyncpg.Connection | None = None
        self._lock_failures = 0  # failed connection attempts in a row
        self._reconnect_at = 0.0  # loop time of the next attempt
        self._grace_until = 0.0  # loop time until which others' sessions are left alone
        self._polled_at = 0.0  # loop time of the last poll that succeeded
        self._poll_failing = False
        self.reconnections = 0  # how many times the lock connection was opened again
        self.fenced = 0  # recorders stopped because another process had claimed their session
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._poll_lock = asyncio.Lock()

    async def start(self) -> None:
        await self._connect_locks()
        self._polled_at = asyncio.get_running_loop().time()
        if self.listener is not None:  # a reconnection may have dropped appends: poll then too
            self._subscription = self.listener.subscribe(
                self._notified, self._wake.set, name="recording_supervisor"
            )
        self._task = asyncio.create_task(self._run())
        log.info("recording_supervisor_started", instance=self.instance)

    def _notified(self, _notice: Appended) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """Graceful shutdown: stop every recorder (its part closes cleanly), free the claims."""
        if self.listener is not None and self._subscription is not None:
            self.listener.unsubscribe(self._subscription)
            self._subscription = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        async with self._poll_lock:
            for session_id in list(self.recorders):
                await self._release(session_id, closed=False)
        if self._finishing:
            await asyncio.gather(*self._finishing, return_exceptions=True)
        if self._locks is not None:
            try:
                await self._locks.close(timeout=CHECK_TIMEOUT_SECONDS)
            except Exception:  # a dead connection: do not wait for a goodbye
                self._locks.terminate()
        log.info("recording_supervisor_stopped", instance=self.instance)

    # --- the lock connection ---------------------------------------------------------------

    async def _connect_locks(self) -> None:
        conn = await asyncpg.connect(
            self.database_url,
            timeout=CONNECT_SECONDS,
            server_settings={"application_name": f"rada recorder {self.instance}"[:63]},
        )
        conn.add_termination_listener(self._lock_connection_ended)
        self._locks = conn

    def _lock_connection_ended(self, conn: object) -> None:
        if conn is self._locks:
            self._wake.set()  # the next poll reconnects at once

    def _drop_locks(self, error: BaseException | None) -> None:
        """The lock connection is gone, and every claim with it."""
        if self._locks is not None:
            self._locks.terminate()
            self._locks = None
            self._lock_failures = 0
            self._reconnect_at = 0.0  # the first attempt at once
            log.warning(
                "recording_lock_connection_lost",
                error=type(error).__name__ if error is not None else "closed",
                unconfirmed=[str(s) for s in self.recorders],
            )

    async def _locks_ready(self) -> bool:
        """The lock connection checked; if it was lost, reopened (capped backoff) and every
        recorded session claimed again (the claims vanished with it). False while the database
        cannot be reached: the recorders keep recording locally (see the module)."""
        conn = self._locks
        if conn is not None and not conn.is_closed():
            try:
                await conn.fetchval("SELECT 1", timeout=CHECK_TIMEOUT_SECONDS)
            except Exception as exc:  # refused, reset, timed out…: the connection is lost
                self._drop_locks(exc)
            else:
                return True
        elif conn is not None:
            self._drop_locks(None)
        loop = asyncio.get_running_loop()
        if loop.time() < self._reconnect_at:
            return False
        try:
            await self._connect_locks()
        except Exception as exc:  # still unreachable: try again after the backoff
            self._lock_failures += 1
            delay = backoff(self._lock_failures)
            self._reconnect_at = loop.time() + delay
            log.warning("recording_lock_connect_failed", error=type(exc).__name__, retry_in=delay)
            return False
        self.reconnections += 1
        self._grace_until = loop.time() + RECLAIM_GRACE_SECONDS
        await self._reclaim()
        return True

    async def _reclaim(self) -> None:
        """Claim every recorded session again; fence those another process took meanwhile."""
        assert self._locks is not None
        confirmed: list[str] = []
        for session_id in list(self.recorders):
            if await store.try_claim(self._locks, session_id):
                confirmed.append(str(session_id))
            else:
                await self._fence(session_id)
        log.info("recording_lock_reconnected", confirmed=confirmed, fenced=self.fenced)

    async def _fence(self, session_id: UUID) -> None:
        """Another process records the session: stop this recorder at once, and let nothing it
        still says reach the journal (never two recorders writing one session, R9)."""
        log.error("recorder_fenced", session_id=str(session_id), instance=self.instance)
        self.fenced += 1
        self.recorders[session_id].sink = FencedSink()
        await self._release(session_id, closed=False, unlock=False)

    def health(self) -> Health:
        """Up when the claims are confirmed (the lock connection answers) and polls succeed."""
        loop = asyncio.get_running_loop()
        connected = self._locks is not None and not self._locks.is_closed()
        since_poll = loop.time() - self._polled_at
        polling = since_poll <= max(5.0, STALE_POLLS * self.poll_seconds)
        detail = {
            "lock_connection": "up" if connected else "down",
            "last_poll_seconds_ago": round(since_poll, 1),
            "recording": len(self.recorders),
            "unconfirmed": 0 if connected else len(self.recorders),
            "reconnections": self.reconnections,
            "fenced": self.fenced,
        }
        return Health(connected and polling, detail)

    # --- polling ---------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            # cleared before the poll, not after it: a notification that arrives while a poll
            # runs (after it read the sessions) must wake the next poll, not be lost with it
            self._wake.clear()
            try:
                await self.poll()
            except LocksDown:  # logged where it was found; retried with the backoff
                self._poll_failing = True
            except Exception:
                if not self._poll_failing:  # once per outage, not every second
                    log.exception("recording_poll_failed")
                self._poll_failing = True
            else:
                if self._poll_failing:
                    log.info("recording_poll_recovered")
                self._poll_failing = False
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that arrives as the wake is set, and stop() then waits for this loop forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()

    async def poll(self) -> None:
        """Claim newly opened sessions, close the ones that left the opened state."""
        async with self._poll_lock:
            if not await self._locks_ready():
                raise LocksDown("the recorder's lock connection is down")
            async with self.pool.acquire() as conn:
                opened = {s.id: s for s in await store.sessions_in(conn, (OPENED,))}
            now = asyncio.get_running_loop().time()
            for session_id, session in opened.items():
                if session_id not in self.recorders and self._retry_at.get(session_id, 0) <= now:
                    await self._claim(session_id, session.room, session.planned_end)
            for session_id in [s for s in self.recorders if s not in opened]:
                async with self.pool.acquire() as conn:
                    status = await store.session_status(conn, session_id)
                await self._release(session_id, closed=status == CLOSED)
            await self._save_statuses()
            await self._keep_restreams()
            await self._wake_lost_sources()
            if now >= self._next_sweep:
                self._next_sweep = now + SWEEP_SECONDS
                await self._archive_orphans()
            self._polled_at = asyncio.get_running_loop().time()

    async def _wake_lost_sources(self) -> None:
        """Wake the keepers of sessions whose Jibri reported OFF or unhealthy."""
        if not self._keepers:
            return
        async with self.pool.acquire() as conn:
            lost = await store.sessions_with_lost_jibri(conn, list(self._keepers))
        for session_id in lost:
            if (event := self._source_lost.get(session_id)) is not None:
                event.set()

    async def _archive_orphans(self) -> None:
        """Write the archive of sessions that closed while their recorder's process was dead."""
        assert self._locks is not None
        async with self.pool.acquire() as conn:
            orphans = await store.unarchived_closed(conn)
        for session_id in orphans:
            if session_id in self.recorders or not await store.try_claim(self._locks, session_id):
                continue
            try:
                recorder, _ = await self._recorder(session_id)
                async with self.pool.acquire() as conn:
                    entries = await journal_store.load_events(conn, session_id)
                await recorder.finalize(entries)
                log.info("orphan_archive_written", session_id=str(session_id))
            finally:
                await store.release(self._locks, session_id)

    async def _recorder(self, session_id: UUID) -> tuple[Recorder, datetime | None]:
        """A recorder for the session with its stream key, knowing whether the journal's last
        word on the recording is a loss."""
        async with self.pool.acquire() as conn:
            key = await store.stream_key(conn, session_id)
            lost_since = await store.recording_lost_since(conn, session_id)
        recorder = Recorder(
            session_id=session_id,
            key=key,
            settings=self.settings,
            storage=self.storage,
            sink=self.sink,
            clock=self.clock,
            lost_since=lost_since,
        )
        return recorder, lost_since

    async def _recorded_elsewhere(self, session_id: UUID) -> bool:
        """Whether the session's last recorder status names another process."""
        async with self.pool.acquire() as conn:
            rows = await store.load_statuses(conn, session_id)
        return bool(rows) and rows[0].instance != self.instance

    async def _claim(self, session_id: UUID, room: str, planned_end: datetime) -> None:
        assert self._locks is not None
        if asyncio.get_running_loop().time() < self._grace_until and (
            await self._recorded_elsewhere(session_id)
        ):
            return  # just reconnected: its recorder's process may be re-claiming it
        if not await store.try_claim(self._locks, session_id):
            return  # another rada process records it
        recorder, lost_since = await self._recorder(session_id)
        remaining = max((planned_end - self.clock()).total_seconds(), MIN_SECONDS)
        taken = frozenset(r.port for r in self.recorders.values() if r.port is not None)
        try:
            await recorder.start(expected_seconds=remaining, taken_ports=taken)
        except (StorageInsufficient, NoIngestPort, OSError) as exc:
            # No recording is possible: journal it once as a loss so conduct holds the break
            # (R9), and try again later (space may be freed, a port released).
            await store.release(self._locks, session_id)
            self._retry_at[session_id] = asyncio.get_running_loop().time() + RETRY_SECONDS
            log.error("recorder_not_started", session_id=str(session_id), error=repr(exc))
            if session_id not in self._refused and lost_since is None:
                self._refused.add(session_id)
                await self.sink.recording_event(
                    session_id,
                    ev.RECORDING_LOST,
                    {
                        "part": 0,
                        "cause": "storage" if isinstance(exc, StorageInsufficient) else "process",
                        "last_media_at": format_time(self.clock()),
                    },
                )
            return
        self._retry_at.pop(session_id, None)
        self._refused.discard(session_id)
        self.recorders[session_id] = recorder
        self._rooms[session_id] = room
        if self.source is not None:
            self._source_lost[session_id] = asyncio.Event()
            self._keepers[session_id] = asyncio.create_task(self._keep_source(session_id))

    async def _release(self, session_id: UUID, *, closed: bool, unlock: bool = True) -> None:
        recorder = self.recorders.pop(session_id)
        self._rooms.pop(session_id, None)
        keeper = self._keepers.pop(session_id, None)
        self._source_lost.pop(session_id, None)
        if keeper is not None:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        try:
            if closed:
                async with self.pool.acquire() as conn:
                    entries = await journal_store.load_events(conn, session_id)
                await recorder.close(entries)
            else:
                await recorder.stop()
        finally:
            if closed and session_id in self.restreams:
                # the live playlist has its EXT-X-ENDLIST: the pushes send the last segments
                restream = self.restreams.pop(session_id)
                self._finishing.add(
                    asyncio.create_task(self._finish_restream(session_id, restream))
                )
            else:
                await self._end_restream(session_id)
            if unlock and self._locks is not None and not self._locks.is_closed():
                with contextlib.suppress(Exception):  # a lost connection freed it already
                    await store.release(self._locks, session_id)

    async def _keep_source(self, session_id: UUID) -> None:
        """Start the call source; restart it whenever nothing has been received for the retry
        period (Jibri quits by itself 30 s after the room empties), and at once when its Jibri
        reported that it left the call or is unhealthy."""
        assert self.source is not None
        source = self.source
        loop = asyncio.get_running_loop()
        recorder = self.recorders[session_id]
        lost = self._source_lost[session_id]
        handle: object | None = None
        started = -self.settings.jibri_retry_seconds
        try:
            while True:
                quiet = not recorder.status().receiving
                due = quiet and loop.time() - started >= self.settings.jibri_retry_seconds
                if lost.is_set() and loop.time() - started >= RESTART_GAP_SECONDS:
                    lost.clear()
                    # Checked again here: a wake from a poll that read the state just before
                    # this keeper restarted the source must not restart it twice. (The gap
                    # keeps a Jibri that stays unhealthy from being restarted in a loop.)
                    if not due and await self._jibri_lost(session_id):
                        log.warning("call_source_lost", session_id=str(session_id))
                        due = True
                if due:
                    if handle is not None:
                        await self._stop_source(session_id, handle)
                        handle = None
                    started = loop.time()
                    try:
                        handle = await source.start(
                            session_id, self._rooms[session_id], recorder.ingest_url()
                        )
                    except (JibriUnavailable, OSError) as exc:
                        log.error("call_source_failed", source=source.name, error=repr(exc))
                    else:
                        await self._assign(session_id, handle)
                if lost.is_set():
                    await asyncio.sleep(1.0)  # within the gap: the poll keeps waking it
                else:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(1.0):
                            await lost.wait()
        finally:
            if handle is not None:
                await self._stop_source(session_id, handle)

    async def _jibri_lost(self, session_id: UUID) -> bool:
        async with self.pool.acquire() as conn:
            return session_id in await store.sessions_with_lost_jibri(conn, [session_id])

    async def _assign(self, session_id: UUID, handle: object) -> None:
        """Remember which Jibri streams the session, for its status webhooks."""
        if isinstance(handle, JibriHandle) and handle.jibri_id is not None:
            async with self.pool.acquire() as conn:
                await store.assign_jibri(
                    conn, handle.jibri_id, session_id, handle.base_url, self.clock()
                )

    async def _stop_source(self, session_id: UUID, handle: object) -> None:
        """Stop the source; its Jibri stops serving the session first, so the status change
        rada causes itself is not journaled as the source's loss."""
        assert self.source is not None
        if isinstance(handle, JibriHandle) and handle.jibri_id is not None:
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                async with self.pool.acquire() as conn:
                    await store.unassign_jibri(conn, handle.jibri_id, session_id)
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, OSError):
            await self.source.stop(handle)

    async def _keep_restreams(self) -> None:
        """Each recorded session pushes to the destinations listed for it now (R9: a push
        reads the live playlist and nothing else of the recorder); their states are saved for
        the API and the chair's console, whichever process answers."""
        for session_id, recorder in self.recorders.items():
            async with self.pool.acquire() as conn:
                listed = await store.load_destinations(conn, session_id)
            wanted = tuple((d.name, d.url) for d in listed)
            running = self.restreams.get(session_id)
            if running is not None and running[0] != wanted:
                await self._end_restream(session_id)
                running = None
            if running is None and wanted:
                restream = Restream(
                    recorder.directory / LIVE_PLAYLIST,
                    [Destination(name, url) for name, url in wanted],
                    ffmpeg=recorder.ffmpeg,
                )
                restream.start()
                self.restreams[session_id] = (wanted, restream)
                log.info("restream_started", session_id=str(session_id), destinations=len(wanted))
            await self._save_restream(session_id)

    async def _save_restream(self, session_id: UUID) -> None:
        running = self.restreams.get(session_id)
        if running is None:
            return
        now = self.clock()
        async with self.pool.acquire() as conn:
            for (name, url), shown in zip(running[0], running[1].status(), strict=True):
                await store.save_destination_state(
                    conn,
                    session_id,
                    name,
                    url,
                    state=shown["state"],
                    attempts=shown["attempts"],
                    failures=shown["failures"],
                    last_error=shown["last_error"],
                    at=now,
                )

    async def _finish_restream(
        self, session_id: UUID, running: tuple[tuple[tuple[str, str], ...], Restream]
    ) -> None:
        try:
            await running[1].finish(RESTREAM_DRAIN_SECONDS)
            self.restreams[session_id] = running  # for the last save only
            await self._save_restream(session_id)
        except Exception:  # the database may be what is down
            log.warning("restream_final_state_not_saved", session_id=str(session_id))
        finally:
            self.restreams.pop(session_id, None)
            self._finishing.discard(asyncio.current_task())

    async def _end_restream(self, session_id: UUID) -> None:
        running = self.restreams.get(session_id)
        if running is None:
            return
        await running[1].stop()
        with contextlib.suppress(Exception):  # the database may be what is down
            await self._save_restream(session_id)
        self.restreams.pop(session_id, None)

    async def _save_statuses(self) -> None:
        if not self.recorders:
            return
        now = self.clock()
        async with self.pool.acquire() as conn:
            for recorder in self.recorders.values():
                status = recorder.status()
                await store.save_status(
                    conn,
                    store.StatusRow(
                        session_id=status.session_id,
                        instance=self.instance,
                        ingest_port=status.port,
                        receiving=status.receiving,
                        lost_since=status.lost_since,
                        part=status.part,
                        parts=status.parts,
                        bitrate_kbps=status.bitrate_kbps,
                        updated_at=now,
                        media_ms=status.part_media_ms
                        if status.receiving and status.part is not None
                        else None,
                    ),
                )


async def record_jibri_report(pool: asyncpg.Pool, report: StatusReport, at: datetime) -> str:
    """Journal a Jibri's status report for the session it serves, only when its state for
    that session changes (Jibri repeats its status every minute). The outcome: ``journaled``,
    ``unchanged`` or ``unassigned`` (the Jibri serves no opened session)."""
    state = source_state(report)
    async with pool.acquire() as conn, conn.transaction():
        assignment = await store.lock_assignment(conn, report.jibri_id)
        if assignment is None:
            return "unassigned"
        if (assignment.status, assignment.failure_reason) == (state.status, state.failure_reason):
            return "unchanged"
        await store.save_report(conn, report.jibri_id, state.status, state.failure_reason, at)
        await journal_store.append_event(
            conn,
            assignment.session_id,
            ev.JIBRI_STATUS,
            journal_payload(report, state),
            actor=ACTOR,
            at=at,
        )
    log.info(
        "jibri_status_journaled",
        session_id=str(assignment.session_id),
        jibri=report.jibri_id,
        status=state.status,
        failure_reason=state.failure_reason,
    )
    return "journaled"
