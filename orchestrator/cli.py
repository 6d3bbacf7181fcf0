"""The ``rada`` command: serve, migrate, check (and the subcommands packages register)."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence

import asyncpg
import structlog
from aiohttp import web

from identity.cli import check_lines as identity_lines
from orchestrator.app import create_app
from orchestrator.kernel import database
from orchestrator.kernel.ffmpeg import ffmpeg_path, ffmpeg_version
from orchestrator.kernel.logconfig import configure_logging
from orchestrator.kernel.settings import Settings, SettingsError, first_start
from orchestrator.protocol import verify
from orchestrator.rehearsal import committee
from orchestrator.rehearsal import play as rehearsal
from recording.cli import check_lines as recording_lines

log = structlog.get_logger("rada")

# How long a connection may take to send a request's head, at its start and after each
# answer (aiohttp arms its keep-alive timer then and closes a connection whose next request
# has not been parsed when it fires), so a client that trickles half a request line
# ("slowloris") holds its socket this long at most. A proxy in front keeps its idle
# upstream connections for less (see the README, Security).
HEAD_TIMEOUT_SECONDS = 15.0

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

DESCRIPTION = """\
rada: lawful remote plenary sessions of a Ukrainian city council on Jitsi Meet.

Settings come from RADA_* environment variables (see the README). With no
RADA_DATABASE_URL, rada runs its own PostgreSQL server in RADA_DATA_DIR.
"""


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    try:
        settings, generated = first_start.complete(settings)
        if args.workers > 1 and not args.worker:
            return serve_workers(
                args.workers,
                settings,
                lambda _i: [
                    sys.executable, "-m", "orchestrator.cli", "serve", "--worker",
                    "--loop", args.loop,
                    *(["--no-migrate"] if args.no_migrate else []),
                ],
            )  # fmt: skip
        app = create_app(settings, migrate=not args.no_migrate)
        loop = event_loop(args.loop)
    except SettingsError as exc:
        print(f"rada: configuration error: {exc}", file=sys.stderr)
        return 2
    worker = bool(args.worker)
    if generated.jitsi_secret and not worker:
        log.warning("jitsi_secret_generated", hint="set RADA_JITSI_APP_SECRET to Jitsi's secret")
    url = f"http://{settings.http.host}:{settings.http.port}"
    if not worker:
        print(f"rada is starting on {url} (data in {settings.data_dir})", flush=True)
    if generated.admin_token and not worker:
        print(f"administrator key: {generated.admin_token}", flush=True)
    web.run_app(
        app,
        loop=loop,
        host=settings.http.host,
        port=settings.http.port,
        print=None,
        shutdown_timeout=10,
        access_log=None,
        keepalive_timeout=HEAD_TIMEOUT_SECONDS,
        reuse_port=worker,  # the workers share the port (SO_REUSEPORT: the kernel spreads them)
    )
    return 0


def event_loop(kind: str) -> asyncio.AbstractEventLoop | None:
    """The loop ``rada serve`` runs on: uvloop's (libuv: the frames' writes and the loop's own
    bookkeeping in C, ~12 % less CPU per answer in bench/conduct_load.py) when ``kind`` is
    ``auto`` and uvloop is installed, or ``uvloop``; asyncio's (None) otherwise."""
    if kind == "asyncio":
        return None
    try:
        import uvloop  # a runtime dependency where it builds (not on Windows)
    except ImportError:
        if kind == "uvloop":
            raise SettingsError("--loop uvloop: uvloop is not installed") from None
        return None
    return uvloop.new_event_loop()


# --- several processes on one machine -----------------------------------------------------------

WORKER_QUICK_EXIT_SECONDS = 10.0  # a worker that dies this soon after its start: give up
WORKER_STOP_SECONDS = 20.0  # how long the workers get to stop gracefully (then SIGKILL)


def worker_env(
    settings: Settings, database_url: str | None, worker: int, count: int
) -> dict[str, str]:
    """What worker ``worker`` of ``count`` is given beyond the parent's environment: the
    database (an embedded server is the parent's, one for all), the port and address, and its
    share of the recorders' ingest ports (two recorders never bind the same one)."""
    env = {"RADA_HOST": settings.http.host, "RADA_PORT": str(settings.http.port)}
    if database_url is not None:
        env["RADA_DATABASE_URL"] = database_url
    ports = settings.recording.ports
    share = ports[worker::count] if len(ports) >= count else ports[worker % len(ports) :][:1]
    env["RADA_RECORDING_PORTS"] = ",".join(str(p) for p in share)
    return env


def serve_workers(count: int, settings: Settings, command: Callable[[int], list[str]]) -> int:
    """Run ``count`` worker processes (``command(i)``) sharing one port (SO_REUSEPORT), each
    with its own event loop, pool and journal listener; LISTEN/NOTIFY keeps their live state
    the same, so any socket may land on any worker. The parent runs the embedded PostgreSQL
    (when there is no RADA_DATABASE_URL), restarts a worker that dies, and on SIGTERM/SIGINT
    stops them all gracefully. Returns the exit status."""
    server = None
    url = settings.database.url
    if url is None:
        server = database.EmbeddedPostgres(settings.data_dir / "postgres")
        url = asyncio.run(database.ensure_database(server.start(), "rada"))
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}

    def spawn(i: int) -> tuple[subprocess.Popen[bytes], float]:
        env = {**os.environ, **worker_env(settings, url, i, count)}
        return subprocess.Popen(command(i), env=env), time.monotonic()  # noqa: S603

    print(
        f"rada is starting {count} workers on http://{settings.http.host}:{settings.http.port} "
        f"(data in {settings.data_dir})",
        flush=True,
    )
    workers = {i: spawn(i) for i in range(count)}
    status = 0
    try:
        while not stopping:
            time.sleep(0.2)
            for i, (process, began) in list(workers.items()):
                code = process.poll()
                if code is None or stopping:
                    continue
                log.warning("worker_exited", worker=i, pid=process.pid, code=code)
                if time.monotonic() - began < WORKER_QUICK_EXIT_SECONDS:
                    log.error("worker_failed_at_start", worker=i, code=code)
                    stopping, status = True, 1
                    break
                workers[i] = spawn(i)
    finally:
        for process, _ in workers.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + WORKER_STOP_SECONDS
        for process, _ in workers.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if server is not None:
            server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status


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
        path = ffmpeg_path(settings.recording.ffmpeg)
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
    return [rehearsal.register, committee.register, verify.register]


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
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="processes sharing the port (SO_REUSEPORT), e.g. one per core (default 1)",
    )
    serve.add_argument(
        "--loop",
        choices=("auto", "uvloop", "asyncio"),
        default="auto",
        help="event loop: uvloop when installed (auto, the default), or asyncio's own",
    )
    serve.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # one of them
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


def _positive(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError("must be between 1 and 64")
    return value


def _options(args: argparse.Namespace) -> dict[str, str]:
    """``serve --host/--port`` win over ``RADA_HOST``/``RADA_PORT`` (and so move the default
    public URL with them)."""
    options = {}
    if getattr(args, "host", None):
        options["RADA_HOST"] = args.host
    if getattr(args, "port", None) is not None:
        options["RADA_PORT"] = str(args.port)
    return options


def _defaults(args: argparse.Namespace) -> dict[str, str]:
    """A one-shot command prints its findings; its logs are only for trouble (warnings),
    unless ``RADA_LOG_LEVEL`` is set."""
    return {} if args.command == "serve" else {"RADA_LOG_LEVEL": "warning"}


def main(argv: Sequence[str] | None = None) -> int:
    # platformdirs warns when XDG_RUNTIME_DIR is unset (services, containers): harmless here
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(overrides=_options(args), defaults=_defaults(args))
    except SettingsError as exc:
        print(f"rada: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log, stream=sys.stderr if args.command != "serve" else None)
    result: int = args.func(args, settings)
    return result


if __name__ == "__main__":
    sys.exit(main())
