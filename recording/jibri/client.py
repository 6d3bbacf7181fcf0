"""Jibri control: an HTTP client for Jibri's API over a pool of Jibri instances.

``POST /jibri/api/v1.0/startService`` with ``sinkType: "stream"`` makes Jibri join the Jitsi
call and push the composed call over RTMP to ``youTubeStreamKey`` (a full ``rtmp://`` URL is
used as is): the session's ingest URL with its stream key. 412 means this Jibri is busy with
another call: the pool moves to the next one. ``stopService`` ends it, ``health`` reports
``busyStatus`` (IDLE/BUSY/EXPIRED) and ``healthStatus``. Jibri stops by itself 30 s after the
room empties, so the session service starts it again when a break ends (DESIGN, Jibri facts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import structlog

from recording.errors import JibriUnavailable

API = "/jibri/api/v1.0"
BUSY = 412

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class JibriLogin:
    """``callLoginParams``: the XMPP account Jibri joins the call with."""

    domain: str
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class JibriHandle:
    """A started Jibri session: which instance runs it (``jibri_id``: its ``jibri.id`` when
    the settings name it, so its status webhooks find the session)."""

    base_url: str
    session_id: str
    jibri_id: str | None = None


@dataclass(frozen=True, slots=True)
class JibriHealth:
    base_url: str
    busy_status: str
    health_status: str


def start_payload(
    *, session_id: str, call_base_url: str, room: str, login: JibriLogin, stream_url: str
) -> dict[str, Any]:
    """The ``StartServiceParams`` body of a streaming session."""
    return {
        "sessionId": session_id,
        "callParams": {"callUrlInfo": {"baseUrl": call_base_url, "callName": room}},
        "callLoginParams": {
            "domain": login.domain,
            "username": login.username,
            "password": login.password,
        },
        "sinkType": "stream",
        "youTubeStreamKey": stream_url,
    }


class JibriPool:
    """Start, stop and probe Jibri instances, trying each base URL in order."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        base_urls: Sequence[str],
        login: JibriLogin,
        *,
        ids: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._http = http
        self._urls = tuple(u.rstrip("/") for u in base_urls)
        self._ids = {url.rstrip("/"): jibri_id for url, jibri_id in (ids or {}).items()}
        self._login = login
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def health(self, base_url: str) -> JibriHealth:
        async with self._http.get(f"{base_url}{API}/health", timeout=self._timeout) as response:
            response.raise_for_status()
            body = await response.json()
        status = body.get("status", {}) if isinstance(body, dict) else {}
        return JibriHealth(
            base_url,
            str(status.get("busyStatus", "UNKNOWN")),
            str(status.get("health", {}).get("healthStatus", "UNKNOWN")),
        )

    async def start(
        self, *, session_id: str, call_base_url: str, room: str, stream_url: str
    ) -> JibriHandle:
        """Start streaming the call on the first Jibri that accepts it."""
        payload = start_payload(
            session_id=session_id,
            call_base_url=call_base_url,
            room=room,
            login=self._login,
            stream_url=stream_url,
        )
        refusals: list[str] = []
        for base_url in self._urls:
            try:
                async with self._http.post(
                    f"{base_url}{API}/startService", json=payload, timeout=self._timeout
                ) as response:
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("jibri_unreachable", jibri=base_url, error=repr(exc))
                refusals.append(f"{base_url}: unreachable")
                continue
            if status == 200:
                log.info("jibri_started", jibri=base_url, jibri_session=session_id)
                return JibriHandle(base_url, session_id, self._ids.get(base_url))
            reason = "busy" if status == BUSY else f"HTTP {status}"
            log.warning("jibri_refused", jibri=base_url, reason=reason)
            refusals.append(f"{base_url}: {reason}")
        raise JibriUnavailable("no Jibri accepted the session", refusals=refusals)

    async def stop(self, handle: JibriHandle) -> None:
        """Stop the Jibri running ``handle`` (it stops its stream; the part closes)."""
        async with self._http.post(
            f"{handle.base_url}{API}/stopService", json={}, timeout=self._timeout
        ) as response:
            response.raise_for_status()
        log.info("jibri_stopped", jibri=handle.base_url, jibri_session=handle.session_id)
