"""A database outage for the tests of reconnection: refuse new connections, end a backend,
or let a connection go silent."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import asyncpg


async def terminate(pool: asyncpg.Pool, pid: int) -> None:
    """End backend ``pid`` as an administrator or a failover would, and wait until it is gone
    (so it hears nothing more)."""
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)


SPARE = 4
"""Connections the pool opens before its database refuses new ones."""


@contextlib.asynccontextmanager
async def refusing_connections(server_uri: str, pool: asyncpg.Pool) -> AsyncIterator[None]:
    """The pool's database refuses new connections (open ones keep working) until exit. The
    pool first opens :data:`SPARE` connections, so the test's own queries meanwhile find one
    open even while the code under test holds others (with one open, a recorder supervisor's
    poll holding it made the test's query open a connection, refused, under load)."""
    held = [await pool.acquire() for _ in range(SPARE)]
    try:
        name = await held[0].fetchval("SELECT current_database()")
    finally:
        for conn in held:
            await pool.release(conn)
    admin = await asyncpg.connect(server_uri)  # a database cannot refuse its own sessions
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            yield
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    finally:
        await admin.close()


class FreezingProxy:
    """A TCP relay in front of the database that can go silent without closing anything, as a
    connection does whose peer vanished (a dropped route, a failed-over address)."""

    def __init__(self, database_url: str) -> None:
        self.target = urlsplit(database_url)
        self.frozen = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._relays: list[asyncio.Task[None]] = []

    @property
    def url(self) -> str:
        """The database URL through the relay."""
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        user = self.target.username or ""
        password = f":{self.target.password}" if self.target.password else ""
        return f"postgresql://{user}{password}@127.0.0.1:{port}{self.target.path}"

    async def _upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        host = parse_qs(self.target.query).get("host", [self.target.hostname or "localhost"])[0]
        port = self.target.port or 5432
        if host.startswith("/"):  # the embedded server's socket folder
            return await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
        return await asyncio.open_connection(host, port)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if self.frozen.is_set():
                await asyncio.Event().wait()  # swallow everything from now on
            writer.write(data)
            await writer.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await self._upstream()
        self._writers += [writer, up_writer]
        relays = [
            asyncio.create_task(self._relay(reader, up_writer)),
            asyncio.create_task(self._relay(up_reader, writer)),
        ]
        self._relays += relays
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            await asyncio.gather(*relays)

    async def __aenter__(self) -> FreezingProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        for relay in self._relays:
            relay.cancel()
        await asyncio.gather(*self._relays, return_exceptions=True)
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()
