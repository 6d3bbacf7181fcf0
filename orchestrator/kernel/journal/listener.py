"""One ``LISTEN rada_journal`` connection per process, fanned out to the features that follow
the journal.

Every append notifies ``rada_journal`` with ``"<session id>:<seq>"`` in the appending
transaction, so a notification means "committed" (:mod:`orchestrator.kernel.journal.store`);
an act's append also carries the event itself (``"<session id>:<seq>:<event JSON>"``, when it
fits NOTIFY's payload), so that a process following the session folds it without reading the
journal (issue 14).
The listener holds one dedicated connection (not the pool's: a pooled connection is reset,
``UNLISTEN *``, when released) and calls each subscriber's ``appended`` with the parsed
:class:`Appended`. Subscribers are plain callbacks run on the event loop: they must return at
once (set an event, queue work, spawn a task) and never block the others; one that raises is
logged and the rest still hear.

PostgreSQL drops the notifications sent while a listener is disconnected. So when the
connection is lost (its termination callback, or a ``SELECT 1`` every ``check_seconds`` that
fails or hangs: a connection whose peer vanished without a word) the listener reconnects, the
first attempt at once and then with a doubling delay capped at ``BACKOFF_CAP_SECONDS``,
``LISTEN``s again and only then calls every subscriber's ``reconnected``: each catches up from
the database (the live hub re-reads the heads of the sessions it follows, the recorder
supervisor polls, the notice sender wakes), and any append after that is notified again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from uuid import UUID

import asyncpg
import structlog

from orchestrator.kernel.journal.store import NOTIFY_CHANNEL

log = structlog.get_logger(__name__)

READY_SECONDS = 30.0  # start-up fails if the first LISTEN is not in place by then
CONNECT_SECONDS = 10.0
CHECK_SECONDS = 10.0  # how often an idle connection is checked with SELECT 1
CHECK_TIMEOUT_SECONDS = 5.0
BACKOFF_FIRST_SECONDS = 0.1
BACKOFF_CAP_SECONDS = 5.0
STEADY_SECONDS = BACKOFF_CAP_SECONDS  # a connection that lived this long resets the backoff
APPLICATION_NAME = "rada journal listener"  # how operators tell it apart in pg_stat_activity


@dataclass(frozen=True, slots=True)
class Appended:
    """One committed append: session ``session_id``'s journal reached ``seq``, by the
    PostgreSQL backend ``pid`` (so a process can tell its own appends from others')."""

    session_id: UUID
    seq: int
    pid: int = field(default=0, compare=False)  # who appended is not what was appended
    event: str | None = field(default=None, compare=False)  # its public JSON, if the notice had it


def parse(payload: str, pid: int = 0) -> Appended | None:
    """The notification's ``"<session id>:<seq>"``, optionally followed by ``":<event JSON>"``
    (sent by backend ``pid``), or None if it is not one. The JSON is kept as text: only a
    process that follows the session reads it."""
    raw_sid, _, rest = payload.partition(":")
    raw_seq, _, event = rest.partition(":")
    try:
        return Appended(UUID(raw_sid), int(raw_seq), pid, event or None)
    except ValueError:
        return None


def backoff(failures: int) -> float:
    """Seconds to wait before a connection attempt after ``failures`` failed ones: none after
    a loss, then 0.1 s doubling to the cap."""
    if failures <= 0:
        return 0.0
    return min(BACKOFF_CAP_SECONDS, BACKOFF_FIRST_SECONDS * 2.0 ** (failures - 1))


@dataclass(frozen=True, eq=False, slots=True)
class Subscription:
    """A subscriber: what to call on each append, and after a reconnection."""

    appended: Callable[[Appended], None]
    reconnected: Callable[[], None]
    name: str


class JournalListener:
    """The process's one LISTEN connection on the journal's channel; see the module."""

    def __init__(
        self,
        url: str,
        *,
        check_seconds: float = CHECK_SECONDS,
        check_timeout: float = CHECK_TIMEOUT_SECONDS,
    ) -> None:
        self.url = url
        self.check_seconds = check_seconds
        self.check_timeout = check_timeout
        self.reconnections = 0  # how many times the LISTEN was re-established
        self._subscriptions: list[Subscription] = []
        self._conn: asyncpg.Connection | None = None
        self._listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- subscribers -----------------------------------------------------------------------

    def subscribe(
        self,
        appended: Callable[[Appended], None],
        reconnected: Callable[[], None],
        *,
        name: str,
    ) -> Subscription:
        """Call ``appended`` for every append and ``reconnected`` after every reconnection."""
        subscription = Subscription(appended, reconnected, name)
        self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with contextlib.suppress(ValueError):
            self._subscriptions.remove(subscription)

    @property
    def subscribers(self) -> list[str]:
        return [subscription.name for subscription in self._subscriptions]

    def _notified(self, _conn: object, pid: int, _channel: str, payload: object) -> None:
        notice = parse(str(payload), pid)
        if notice is None:
            log.warning("journal_notify_malformed", payload=str(payload)[:100])
            return
        for subscription in list(self._subscriptions):
            try:
                subscription.appended(notice)
            except Exception:  # one subscriber's fault must not silence the others
                log.exception("journal_subscriber_failed", subscriber=subscription.name)

    def _tell_reconnected(self) -> None:
        for subscription in list(self._subscriptions):
            try:
                subscription.reconnected()
            except Exception:  # one subscriber's fault must not silence the others
                log.exception("journal_subscriber_failed", subscriber=subscription.name)

    # --- the connection --------------------------------------------------------------------

    @property
    def backend_pid(self) -> int | None:
        """The PostgreSQL backend that LISTENs now (None while reconnecting)."""
        conn = self._conn
        return conn.get_server_pid() if conn is not None and not conn.is_closed() else None

    async def start(self, ready_seconds: float = READY_SECONDS) -> None:
        """Start listening; return once the first LISTEN is in place."""
        self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            async with asyncio.timeout(ready_seconds):
                await self._listening.wait()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        failures = 0
        while True:
            await asyncio.sleep(backoff(failures))
            began = asyncio.get_running_loop().time()
            try:
                conn = await asyncpg.connect(
                    self.url,
                    timeout=CONNECT_SECONDS,
                    server_settings={"application_name": APPLICATION_NAME},
                )
            except Exception as exc:  # refused, timed out, too many clients…: try again
                failures += 1
                log.warning("journal_listen_connect_failed", error=type(exc).__name__)
                continue
            try:
                await self._listen(conn)
            except asyncio.CancelledError:  # shutting down: say goodbye to the server
                self._conn = None
                with contextlib.suppress(Exception):
                    await conn.close(timeout=self.check_timeout)
                raise
            except Exception as exc:  # the LISTEN or a check failed: reconnect
                log.warning("journal_listen_failed", error=type(exc).__name__)
            self._conn = None
            conn.terminate()  # the socket may be dead: do not wait on a goodbye
            lived = asyncio.get_running_loop().time() - began
            failures = 0 if lived >= STEADY_SECONDS else failures + 1

    async def _listen(self, conn: asyncpg.Connection) -> None:
        """LISTEN on ``conn`` and return when it is lost."""
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(NOTIFY_CHANNEL, self._notified)
        self._conn = conn
        if self._listening.is_set():  # appends notified meanwhile were dropped
            self.reconnections += 1
            log.info("journal_listen_reconnected", backend_pid=conn.get_server_pid())
            self._tell_reconnected()
        else:
            log.info("journal_listening", backend_pid=conn.get_server_pid())
            self._listening.set()
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.check_seconds):
                    await lost.wait()
            if not lost.is_set():
                await conn.fetchval("SELECT 1", timeout=self.check_timeout)
        log.warning("journal_listen_connection_lost")


@contextlib.asynccontextmanager
async def listening(url: str) -> AsyncIterator[JournalListener]:
    """A started :class:`JournalListener`, closed on exit (after its subscribers left)."""
    listener = JournalListener(url)
    await listener.start()
    try:
        yield listener
    finally:
        await listener.close()


@contextlib.asynccontextmanager
async def woken_worker(
    listener: JournalListener,
    run: Callable[[], Coroutine[object, object, None]],
    wake: asyncio.Event,
    name: str,
) -> AsyncIterator[None]:
    """``run()`` as a background task that polls on its own interval and is woken at once by
    ``wake``: set on every journal append of any instance and after the listener reconnects
    (appends may have gone unheard). On exit the subscription ends and the task is cancelled."""
    task = asyncio.create_task(run())
    subscription = listener.subscribe(lambda _: wake.set(), wake.set, name=name)
    try:
        yield
    finally:
        listener.unsubscribe(subscription)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
