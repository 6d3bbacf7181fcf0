"""rada's app exactly as ``rada serve`` builds it, except that participants sign in with an
``X-Test-As: <participant_id>`` header instead of identity's personal link, so that
``bench/conduct_load.py`` measures conduct and not the delivery of 20,000 e-mails.

Run: ``python bench/conduct_server.py [--workers N]`` with the usual ``RADA_*`` variables
(``--workers``: N processes sharing the port, as ``rada serve --workers N``; ``BENCH_LOOP``:
``auto``, ``uvloop`` or ``asyncio``, as ``rada serve --loop``).
Never deploy this: anyone could act as anyone.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web

from orchestrator.app import create_app
from orchestrator.cli import event_loop, serve_workers
from orchestrator.kernel.keys import POOL
from orchestrator.kernel.logconfig import configure_logging
from orchestrator.kernel.settings import Settings, first_start
from orchestrator.kernel.web.auth import (
    AUTHENTICATOR,
    PUBLIC,
    Principal,
    Role,
    admin_only_authenticator,
)

HEADER = "X-Test-As"


def build(settings: Settings) -> web.Application:
    app = create_app(settings)
    known: dict[str, Principal] = {}

    async def authenticate(request: web.Request) -> Principal:
        raw = request.headers.get(HEADER)
        if not raw:
            return await admin_only_authenticator(request)
        found = known.get(raw)
        if found is None:
            try:
                pid = UUID(raw)
            except ValueError:
                return PUBLIC
            async with request.app[POOL].acquire() as conn:
                row = await conn.fetchrow(
                    "SELECT session_id, role FROM participants WHERE participant_id = $1", pid
                )
            if row is None:
                return PUBLIC
            found = Principal("participant", row["session_id"], pid, Role(row["role"]))
            known[raw] = found
        return found

    app[AUTHENTICATOR] = authenticate
    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    settings, _ = first_start.complete(Settings.from_env())
    configure_logging(settings.log, stream=sys.stderr)
    if args.workers > 1 and not args.worker:
        return serve_workers(
            args.workers, settings, lambda _i: [sys.executable, __file__, "--worker"]
        )
    print(f"serving on {settings.http.host}:{settings.http.port}", flush=True)
    web.run_app(
        build(settings),
        loop=event_loop(os.environ.get("BENCH_LOOP", "auto")),  # as `rada serve --loop`
        host=settings.http.host,
        port=settings.http.port,
        print=None,
        access_log=None,
        reuse_port=args.worker,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
