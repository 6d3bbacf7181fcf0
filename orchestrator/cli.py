"""The ``rada`` command: serve, migrate, check (and the subcommands packages register)."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import asyncpg
import structlog
from aiohttp import web

from identity.cli import check_lines as identity_lines
from orchestrator.app import create_app
from orchestrator.kernel import database
from orchestrator.kernel.logconfig import configure_logging
from orchestrator.kernel.settings import Settings, SettingsError
from orchestrator.protocol import verify
from orchestrator.rehearsal import play as rehearsal
from recording.cli import check_lines as recording_lines
from recording.media.binary import ffmpeg_path, ffmpeg_version

log = structlog.get_logger("rada")

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

DESCRIPTION = """\
rada: lawful remote plenary sessions of a Ukrainian city council on Jitsi Meet.

Settings come from RADA_* environment variables (see the README). With no
RADA_DATABASE_URL, rada runs its own PostgreSQL server in RADA_DATA_DIR.
"""


def ensure_admin_token(settings: Settings) -> tuple[Settings, Path | None]:
    """Write endpoints are never open: with no RADA_ADMIN_TOKEN, make one and keep it in a
    0600 file in the data folder (the same one on every start)."""
    if settings.admin_token:
        return settings, None
    path = settings.data_dir / "admin-token"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    token = path.read_text().strip()
    return replace(settings, admin_token=token), path


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.host:
        settings = _with_http(settings, host=args.host)
    if args.port is not None:
        settings = _with_http(settings, port=args.port)
    settings, token_file = ensure_admin_token(settings)
    try:
        app = create_app(settings, migrate=not args.no_migrate)
    except SettingsError as exc:
        print(f"rada: configuration error: {exc}", file=sys.stderr)
        return 2
    url = f"http://{settings.http.host}:{settings.http.port}"
    print(f"rada is starting on {url} (data in {settings.data_dir})", flush=True)
    if token_file:
        print(f"administrator key: {token_file}", flush=True)
    web.run_app(
        app,
        host=settings.http.host,
        port=settings.http.port,
        print=None,
        shutdown_timeout=10,
        access_log=None,
    )
    return 0


def _with_http(settings: Settings, **changes: object) -> Settings:
    http = replace(settings.http, **changes)  # type: ignore[arg-type]
    if "RADA_PUBLIC_URL" not in os.environ:
        http = replace(http, public_url=f"http://{http.host}:{http.port}")
    return replace(settings, http=http)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> list[database.Migration]:
        async with database.open_database(settings.database, settings.data_dir) as url:
            conn = await asyncpg.connect(url)
            try:
                return await database.migrate(conn)
            finally:
                await conn.close()

    applied = asyncio.run(run())
    print(
        f"applied {len(applied)} migration(s)"
        + "".join(f"\n  {m.version:04d}_{m.name}" for m in applied)
    )
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Print what rada finds: database, ffmpeg, settings, free disk. Exit 1 if anything fails."""
    ok = True

    async def db() -> str:
        async with database.open_database(settings.database, settings.data_dir) as url:
            conn = await asyncpg.connect(url, timeout=10)
            try:
                server = await conn.fetchval("SHOW server_version")
                missing = await database.pending(conn)
            finally:
                await conn.close()
        where = "embedded" if settings.database.embedded else "RADA_DATABASE_URL"
        state = f"{len(missing)} migration(s) pending" if missing else "migrations current"
        return f"PostgreSQL {server} ({where}), {state}"

    try:
        print(f"database: {asyncio.run(db())}")
    except Exception as exc:  # report, never crash: this is a diagnostic command
        ok = False
        print(f"database: FAILED: {exc}")
    try:
        path = ffmpeg_path()
        print(f"ffmpeg: {ffmpeg_version(path)} ({path})")
    except Exception as exc:  # report, never crash
        ok = False
        print(f"ffmpeg: FAILED: {exc}")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(settings.data_dir).free
    print(f"data folder: {settings.data_dir}, {free / 1024**3:.1f} GiB free")
    print(f"public URL: {settings.http.public_url}")
    print(f"administrator key: {'set' if settings.admin_token else 'not set (generated on serve)'}")
    for line in _check_lines(settings):
        print(line)
    return 0 if ok else 1


def _check_lines(settings: Settings) -> list[str]:
    """Lines other packages add to ``rada check`` (Jitsi settings, recorder state)."""
    return [*identity_lines(settings), *recording_lines(settings)]


def _registrations() -> list[Register]:
    """Subcommands other packages add (demo, rehearse, verify)."""
    return [rehearsal.register, verify.register]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rada", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve = sub.add_parser(
        "serve",
        help="run the HTTP service (stops gracefully on SIGTERM/SIGINT)",
        description="Run the service. Migrates the database first unless --no-migrate.",
    )
    serve.add_argument("--host", help="address to listen on (default RADA_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default RADA_PORT or 8080)")
    serve.add_argument(
        "--no-migrate",
        action="store_true",
        help="refuse to start if migrations are pending instead of applying them",
    )
    serve.set_defaults(func=cmd_serve)
    migrate = sub.add_parser(
        "migrate",
        help="apply pending database migrations and exit",
        description="Apply pending migrations under an advisory lock.",
    )
    migrate.set_defaults(func=cmd_migrate)
    check = sub.add_parser(
        "check",
        help="print what rada finds: database, ffmpeg, settings, disk",
        description="Diagnose the installation; exit 1 if a part fails.",
    )
    check.set_defaults(func=cmd_check)
    for register in _registrations():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # platformdirs warns when XDG_RUNTIME_DIR is unset (services, containers): harmless here
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"rada: configuration error: {exc}", file=sys.stderr)
        return 2
    log_settings = settings.log
    if args.command != "serve" and "RADA_LOG_LEVEL" not in os.environ:
        # a one-shot command prints its findings; its logs are only for trouble
        log_settings = replace(log_settings, level="warning")
    configure_logging(log_settings, stream=sys.stderr if args.command != "serve" else None)
    result: int = args.func(args, settings)
    return result


if __name__ == "__main__":
    sys.exit(main())
