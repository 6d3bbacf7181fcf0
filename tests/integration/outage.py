"""A database outage for the tests of reconnection: refuse new connections, end a backend."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg


async def terminate(pool: asyncpg.Pool, pid: int) -> None:
    """End backend ``pid`` as an administrator or a failover would, and wait until it is gone
    (so it hears nothing more)."""
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)


@contextlib.asynccontextmanager
async def refusing_connections(server_uri: str, pool: asyncpg.Pool) -> AsyncIterator[None]:
    """The pool's database refuses new connections (open ones keep working) until exit."""
    async with pool.acquire() as conn:
        name = await conn.fetchval("SELECT current_database()")
    admin = await asyncpg.connect(server_uri)  # a database cannot refuse its own sessions
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            yield
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    finally:
        await admin.close()
