"""A fake Jibri: Jibri's HTTP API (``/jibri/api/v1.0/health``, ``startService``,
``stopService``) in front of an ffmpeg that, on ``startService`` with ``sinkType: stream``,
pushes a test source (testsrc + sine, libx264 + aac, FLV) to the ``youTubeStreamKey`` URL
exactly as Jibri's own ffmpeg pushes the composed call. ``die()`` SIGKILLs that ffmpeg to
simulate an outage (Jibri or its ffmpeg dying).

Like Jibri's webhook client (jitsi/jibri ``doc/webhooks.md``), it POSTs
``{subscriber}/v1/status`` with ``{"jibriId", "status": {"busyStatus", "health":
{"healthStatus", "details"}}}`` to each subscriber base URL on every change of its status
(concurrently with the call that changed it, as Jibri does); ``post_status()`` sends the
periodic repeat Jibri sends every minute. With ``jwt_info`` it authenticates as Jibri does
with ``jibri.jwt-info`` set (``webhooks/v1/WebhookClient.kt``): ``Authorization: Bearer`` an
RS256 JWT with the header ``kid`` and the claims ``iss``, ``aud`` and ``exp`` only, reused
until five minutes before it expires. Without it, ``webhook_secret`` stands for the bearer a
proxy in front of rada would add (real Jibri sends nothing then)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt
from aiohttp import web

from recording.media.ingest import ffmpeg_executable, simulated_call_args

API = "/jibri/api/v1.0"
STOP_GRACE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class JwtInfo:
    """Jibri's ``jwt-info``: the signing key (PEM), kid, issuer, audience and ttl."""

    private_key_pem: bytes
    kid: str
    issuer: str
    audience: str
    ttl_seconds: float = 3600.0


class JibriWebhookToken:
    """The token Jibri's webhook client attaches, refreshed five minutes before it expires."""

    def __init__(self, info: JwtInfo) -> None:
        self.info = info
        self._token = ""
        self._refresh_at = 0.0

    def __call__(self) -> str:
        now = time.time()
        if now >= self._refresh_at:
            claims = {
                "iss": self.info.issuer,
                "aud": self.info.audience,
                "exp": int(now + self.info.ttl_seconds),
            }
            self._token = jwt.encode(
                claims, self.info.private_key_pem, algorithm="RS256", headers={"kid": self.info.kid}
            )
            self._refresh_at = now + self.info.ttl_seconds - 300
        return self._token


class FakeJibri:
    def __init__(
        self,
        *,
        busy: bool = False,
        size: str = "320x180",
        jibri_id: str = "jibri-fake",
        subscribers: Sequence[str] = (),
        webhook_secret: str = "",
        jwt_info: JwtInfo | None = None,
    ) -> None:
        self.forced_busy = busy
        self.size = size
        self.jibri_id = jibri_id
        self.subscribers = list(subscribers)
        self.webhook_secret = webhook_secret
        self.token = JibriWebhookToken(jwt_info) if jwt_info is not None else None
        self.healthy = True
        self.posted: list[tuple[dict[str, Any], int]] = []  # (body, rada's answer status)
        self._http: aiohttp.ClientSession | None = None
        self._posting: set[asyncio.Task[None]] = set()
        self.requests: list[dict[str, Any]] = []
        self.process: asyncio.subprocess.Process | None = None
        self.app = web.Application()
        self.app.add_routes(
            [
                web.get(f"{API}/health", self.health),
                web.post(f"{API}/startService", self.start_service),
                web.post(f"{API}/stopService", self.stop_service),
            ]
        )
        self.app.on_cleanup.append(self._cleanup)

    @property
    def busy(self) -> bool:
        return self.forced_busy or (self.process is not None and self.process.returncode is None)

    def status(self) -> dict[str, Any]:
        """Jibri's ``JibriStatus``: its busy status and health."""
        health = "HEALTHY" if self.healthy else "UNHEALTHY"
        return {"busyStatus": "BUSY" if self.busy else "IDLE",
                "health": {"healthStatus": health, "details": {}}}  # fmt: skip

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": self.status(), "environmentContext": None})

    async def post_status(self) -> list[int]:
        """POST the current status to every subscriber (the minute repeat, or a change);
        rada's answer statuses."""
        if self._http is None:
            self._http = aiohttp.ClientSession()
        body = {"jibriId": self.jibri_id, "status": self.status()}
        bearer = self.token() if self.token is not None else self.webhook_secret
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        answers: list[int] = []
        for base in self.subscribers:
            async with self._http.post(
                f"{base.rstrip('/')}/v1/status", json=body, headers=headers
            ) as response:
                answers.append(response.status)
            self.posted.append((body, response.status))
        return answers

    def _changed(self) -> None:
        """Jibri posts a status change from its own thread, not inside the API call."""
        if self.subscribers:
            task = asyncio.get_running_loop().create_task(self.post_status())
            self._posting.add(task)
            task.add_done_callback(self._posting.discard)

    async def settle(self) -> None:
        """Wait for the status changes being posted."""
        while self._posting:
            await asyncio.gather(*self._posting)

    async def set_healthy(self, healthy: bool) -> None:
        self.healthy = healthy
        self._changed()
        await self.settle()

    async def start_service(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        if self.busy:
            return web.Response(status=412)
        url_info = body.get("callParams", {}).get("callUrlInfo", {})
        url = body.get("youTubeStreamKey", "")
        if (
            body.get("sinkType") != "stream"
            or not isinstance(body.get("sessionId"), str)
            or not url_info.get("baseUrl")
            or not url_info.get("callName")
            or not str(url).startswith("rtmp://")
        ):
            return web.Response(status=400, text="bad StartServiceParams")
        self.process = await asyncio.create_subprocess_exec(
            *simulated_call_args(ffmpeg_executable(), url, size=self.size),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        self._changed()
        return web.Response(status=200)

    async def stop_service(self, request: web.Request) -> web.Response:
        process = self.process
        if process is not None and process.returncode is None:
            process.terminate()  # Jibri stops its ffmpeg: the stream ends cleanly
            try:  # ...and, like Jibri, kills an ffmpeg stuck in a blocked write
                await asyncio.wait_for(asyncio.shield(process.wait()), STOP_GRACE_SECONDS)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
            self.process = None
            self._changed()
        self.process = None
        return web.Response(status=200)

    async def die(self) -> None:
        """SIGKILL the streaming ffmpeg (an outage); Jibri is then idle again and says so."""
        if await self._kill():
            self._changed()
            await self.settle()

    async def _kill(self) -> bool:
        process = self.process
        self.process = None
        if process is None or process.returncode is not None:
            return False
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        return True

    async def _cleanup(self, _app: web.Application) -> None:
        await self._kill()
        for task in list(self._posting):
            task.cancel()
        await asyncio.gather(*self._posting, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
