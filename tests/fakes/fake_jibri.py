"""A fake Jibri: Jibri's HTTP API (``/jibri/api/v1.0/health``, ``startService``,
``stopService``) in front of an ffmpeg that, on ``startService`` with ``sinkType: stream``,
pushes a test source (testsrc + sine, libx264 + aac, FLV) to the ``youTubeStreamKey`` URL
exactly as Jibri's own ffmpeg pushes the composed call. ``die()`` SIGKILLs that ffmpeg to
simulate an outage (Jibri or its ffmpeg dying)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import web

from recording.ingest import ffmpeg_executable, simulated_call_args

API = "/jibri/api/v1.0"


class FakeJibri:
    def __init__(self, *, busy: bool = False, size: str = "320x180") -> None:
        self.forced_busy = busy
        self.size = size
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
        self.app.on_cleanup.append(lambda _app: self.die())

    @property
    def busy(self) -> bool:
        return self.forced_busy or (self.process is not None and self.process.returncode is None)

    async def health(self, request: web.Request) -> web.Response:
        status = {"busyStatus": "BUSY" if self.busy else "IDLE",
                  "health": {"healthStatus": "HEALTHY", "details": {}}}  # fmt: skip
        return web.json_response({"status": status, "environmentContext": None})

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
        return web.Response(status=200)

    async def stop_service(self, request: web.Request) -> web.Response:
        process = self.process
        if process is not None and process.returncode is None:
            process.terminate()  # Jibri stops its ffmpeg: the stream ends cleanly
            await process.wait()
        self.process = None
        return web.Response(status=200)

    async def die(self) -> None:
        """SIGKILL the streaming ffmpeg (an outage); Jibri is then idle again."""
        process = self.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        self.process = None
