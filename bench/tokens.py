"""Jitsi tokens per second: through ``GET /api/v1/sessions/{id}/jitsi-token`` vs bare pyjwt.

    python bench/tokens.py [--requests 2000] [--concurrency 8]

The HTTP side is the whole path a participant's page takes: the sign-in cookie looked up
(with its link and the participant list), the session and the participant read, the claims
built and signed (HS256), the JSON answer, over a real loopback socket, ``concurrency``
requests in flight. The baseline signs the same claims with ``jwt.encode`` in a loop in the
same process. Prints both rates and the ratio. Uses RADA_DATABASE_URL if set (a server where
it may create a database), else a temporary embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import aiohttp
import jwt
import structlog
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from identity.api import IDENTITY, configure
from identity.tokens import SessionWindow, TokenSubject, build_claims
from orchestrator.kernel import database
from orchestrator.kernel.settings import DatabaseSettings, HttpSettings, Settings
from orchestrator.kernel.settings.identity import JitsiSettings
from orchestrator.kernel.web.auth import Role

ADMIN = {"Authorization": "Bearer bench-admin-token-0123456789"}
JITSI = JitsiSettings.from_env({
    "RADA_JITSI_DOMAIN": "meet.bench.test",
    "RADA_JITSI_APP_SECRET": "bench-secret-0123456789-0123456789-0123456789",
})  # fmt: skip
ROSTER = (
    "surname,given_name,patronymic,role,email,phone\n"
    "Коваленко,Олена,Петрівна,mayor,mayor@b.test,+380501112233\n"
    "Єрмоленко,Ірина,Олегівна,secretary,secretary@b.test,+380501112235\n"
    "Іваненко,Андрій,Миколайович,deputy,ivanenko@b.test,+380501112236\n"
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


async def database_url(stack: list[object]) -> str:
    given = os.environ.get("RADA_DATABASE_URL")
    if given:
        return given
    server = database.EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="radabench")) / "pg")
    uri = await asyncio.to_thread(server.start)
    stack.append(server)
    return await database.ensure_database(uri, "bench_tokens")


async def prepare(
    base: str, client: aiohttp.ClientSession, app: web.Application, clock: Clock
) -> tuple[str, str]:
    """A council, an announced session, a signed-in deputy; the clock inside the window."""
    r = await client.post(f"{base}/api/v1/councils", headers=ADMIN,
                          json={"name": "Бенч", "convocation": 1, "total_composition": 26})  # fmt: skip
    council = (await r.json())["id"]
    await client.put(f"{base}/api/v1/councils/{council}/roster", data=ROSTER.encode(),
                     headers={**ADMIN, "Content-Type": "text/csv"})  # fmt: skip
    starts = clock.now + timedelta(hours=30)
    r = await client.post(f"{base}/api/v1/councils/{council}/sessions", headers=ADMIN, json={
        "title": "Бенч", "number": 1, "starts_at": starts.isoformat(),
        "agenda": [{"title": "Питання", "category": "urgent_budget"}]})  # fmt: skip
    session = await r.json()
    assert r.status == 201, session
    await client.post(f"{base}/api/v1/sessions/{session['id']}/announce", headers=ADMIN)
    view = await (await client.get(f"{base}/api/v1/sessions/{session['id']}")).json()
    deputy = next(p for p in view["participants"] if p["role"] == "deputy")["participant_id"]
    token, _, _ = await app[IDENTITY].issue_link(UUID(session["id"]), UUID(deputy))
    r = await client.get(f"{base}/join/{token}", allow_redirects=False)
    assert r.status == 303, await r.text()
    clock.now = starts
    return session["id"], deputy


async def http_rate(
    base: str, client: aiohttp.ClientSession, sid: str, n: int, concurrency: int
) -> float:
    url = f"{base}/api/v1/sessions/{sid}/jitsi-token"
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            async with client.get(url) as r:
                assert r.status == 200, await r.text()
                await r.read()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - start)


def bare_rate(n: int, now: datetime) -> float:
    subject = TokenSubject(UUID(int=7), "Іваненко", "Андрій", "ivanenko@b.test", Role.DEPUTY)
    window = SessionWindow(now, now + timedelta(hours=4))
    claims = build_claims(JITSI, subject, "rada-" + "0" * 32, window, now)
    start = time.perf_counter()
    for _ in range(n):
        jwt.encode(claims, JITSI.app_secret, algorithm="HS256", headers={"typ": "JWT"})
    return n / (time.perf_counter() - start)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    stack: list[object] = []
    clock = Clock()
    try:
        url = await database_url(stack)
        from orchestrator.app import create_app

        settings = Settings(
            data_dir=Path(tempfile.mkdtemp(prefix="radabenchdata")),
            database=DatabaseSettings(url=url, pool_max=args.concurrency + 2),
            http=HttpSettings(public_url="http://127.0.0.1"),
            jitsi=JITSI,
            admin_token=ADMIN["Authorization"].split()[1],
        )
        app = create_app(settings, clock=clock, extensions=[configure(send_notices=False)])
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as client:
            sid, _ = await prepare(base, client, app, clock)
            await http_rate(base, client, sid, min(200, args.requests), args.concurrency)  # warm-up
            http = await http_rate(base, client, sid, args.requests, args.concurrency)
        await runner.cleanup()
        bare = bare_rate(args.requests * 5, clock.now)
        print(f"bare pyjwt HS256 signing:        {bare:10.0f} tokens/s")
        print(f"GET …/jitsi-token over HTTP:     {http:10.0f} tokens/s "
              f"(concurrency {args.concurrency})")  # fmt: skip
        print(f"ratio HTTP / bare:               {http / bare:10.4f}  (1/{bare / http:.0f})")
    finally:
        for server in stack:
            await asyncio.to_thread(server.stop)  # type: ignore[attr-defined]


if __name__ == "__main__":
    asyncio.run(main())
